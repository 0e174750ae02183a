// The activity log's diagnostic settings and alerts through the Azure scanner, over HTTP, against the ARM
// fixture server: both demo subscriptions, anyOf conditions, paging, and refused reads naming the action.
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { scanAzure } from './azure.ts';
import {
  DEMO_AZURE_SECOND_SUBSCRIPTION_ID,
  DEMO_AZURE_SUBSCRIPTION_ID,
  demoAzureData,
  startAzureFixtureServer,
  type AzureFixtureServer,
} from './fixtures/azure-fixture-server.ts';
import { demoAzureTarget, UNPACED_AZURE_SCAN } from './testing.ts';
import { activityLogAlert } from './fixtures/azure-subscription-lists.ts';

let server: AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const target = (s: AzureFixtureServer) =>
  demoAzureTarget(s, [DEMO_AZURE_SUBSCRIPTION_ID, DEMO_AZURE_SECOND_SUBSCRIPTION_ID]);
const fast = UNPACED_AZURE_SCAN;
const ofType = (resources: Resource[], type: string, subscription: string): Resource[] =>
  resources.filter((r) => r.type === type && r.account === subscription);

describe('activity log export and alerts', () => {
  it('reads the diagnostic settings and alerts of each subscription, and sums them up per subscription', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    for (const r of outcome.resources) expect(assertValidResource(r)).toBe(r);

    const [setting] = ofType(
      outcome.resources,
      'azure.monitor.diagnostic_setting',
      DEMO_AZURE_SUBSCRIPTION_ID,
    );
    expect(setting).toMatchObject({
      id: `/subscriptions/${DEMO_AZURE_SUBSCRIPTION_ID}/providers/microsoft.insights/diagnosticSettings/activity-to-sentinel`,
      region: 'global',
      attributes: {
        resource_group: '',
        storage_account_id: null,
        event_hub_authorization_rule_id: null,
        event_hub_name: null,
      },
    });
    expect(setting?.attributes.workspace_id).toMatch(/\/workspaces\/law-secops$/);
    expect(setting?.attributes.enabled_categories).toEqual(
      expect.arrayContaining(['Administrative', 'Security', 'Policy', 'Alert']),
    );
    // A category listed with enabled: false is not sent.
    expect(
      ofType(outcome.resources, 'azure.monitor.diagnostic_setting', DEMO_AZURE_SECOND_SUBSCRIPTION_ID)[0]
        ?.attributes,
    ).toMatchObject({ enabled_categories: [], workspace_id: null });

    const alerts = ofType(outcome.resources, 'azure.monitor.activity_log_alert', DEMO_AZURE_SUBSCRIPTION_ID);
    expect(alerts).toHaveLength(6);
    // Two operations in an anyOf group: the alert fires on both; names are compared lower-cased.
    expect(alerts.find((a) => a.name === 'policy-assignment-changes')?.attributes).toMatchObject({
      resource_group: 'rg-monitor',
      enabled: true,
      subscription_wide: true,
      category: 'Administrative',
      operation_names: [
        'microsoft.authorization/policyassignments/write',
        'microsoft.authorization/policyassignments/delete',
      ],
      action_group_ids: [
        `/subscriptions/${DEMO_AZURE_SUBSCRIPTION_ID}/resourceGroups/rg-monitor/providers/Microsoft.Insights/actionGroups/ag-secops`,
      ],
    });
    const second = ofType(
      outcome.resources,
      'azure.monitor.activity_log_alert',
      DEMO_AZURE_SECOND_SUBSCRIPTION_ID,
    );
    expect(second.find((a) => a.name === 'nsg-write-paused')?.attributes.enabled).toBe(false);
    expect(second.find((a) => a.name === 'policy-write-silent')?.attributes.action_group_ids).toEqual([]);
    expect(second.find((a) => a.name === 'sql-firewall-one-group')?.attributes.subscription_wide).toBe(false);

    const [log] = ofType(outcome.resources, 'azure.monitor.activity_log', DEMO_AZURE_SECOND_SUBSCRIPTION_ID);
    expect(log?.id).toBe(
      `/subscriptions/${DEMO_AZURE_SECOND_SUBSCRIPTION_ID}/providers/Microsoft.Insights/eventtypes/management`,
    );
    expect(log?.attributes.diagnostic_settings).toEqual([
      {
        name: 'legacy-archive',
        enabled_categories: [],
        workspace_id: null,
        storage_account_id: expect.stringMatching(/legacylogs$/),
        event_hub_authorization_rule_id: null,
        event_hub_name: null,
      },
    ]);
    expect(log?.attributes.alerts).toContainEqual({
      name: 'policy-write-silent',
      enabled: true,
      subscription_wide: true,
      category: 'Administrative',
      operation_names: ['microsoft.authorization/policyassignments/write'],
      action_group_count: 0,
    });
  });

  it('follows nextLink through a long alert list', async () => {
    const data = demoAzureData();
    data.lists.activityLogAlerts = Array.from({ length: 23 }, (_, i) =>
      activityLogAlert(DEMO_AZURE_SUBSCRIPTION_ID, `alert-${i}`, [
        'Microsoft.Network/publicIPAddresses/write',
      ]),
    );
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(
      { ...target(server), subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID] },
      fast,
    );
    expect(outcome.resources.filter((r) => r.type === 'azure.monitor.activity_log_alert')).toHaveLength(23);
    expect(
      server.requests
        .filter((r) => r.route === 'activityLogAlerts')
        .map((r) => new URL(r.path, server?.url).searchParams.get('$skiptoken')),
    ).toEqual([null, '10', '20']);
    const [log] = outcome.resources.filter((r) => r.type === 'azure.monitor.activity_log');
    expect(log?.attributes.alerts).toHaveLength(23);
  });

  it('records refused reads with the actions they need, leaving the unread list out of the activity log', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['activityLogAlerts', 'diagnosticSettings'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:subscriptionDiagnosticSettings.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.Insights/DiagnosticSettings/Read',
      }),
      expect.objectContaining({
        operation: 'azure:activityLogAlerts.listBySubscriptionId',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.Insights/ActivityLogAlerts/Read',
      }),
    ]);
    // The activity log is still there, without the lists that could not be read (rules on it then error).
    const [log] = ofType(outcome.resources, 'azure.monitor.activity_log', DEMO_AZURE_SUBSCRIPTION_ID);
    expect(log?.attributes).toEqual({ resource_group: '' });
    expect(ofType(outcome.resources, 'azure.monitor.activity_log_alert', DEMO_AZURE_SUBSCRIPTION_ID)).toEqual(
      [],
    );
    expect(
      ofType(outcome.resources, 'azure.monitor.activity_log', DEMO_AZURE_SECOND_SUBSCRIPTION_ID)[0]
        ?.attributes.alerts,
    ).toHaveLength(5);
  });
});
