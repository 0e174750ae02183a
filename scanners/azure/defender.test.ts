// Defender for Cloud plans through the Azure scanner, over HTTP, against the ARM fixture server: both demo
// subscriptions, and a refused pricings read becoming a scan error that names the RBAC action.
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

let server: AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const target = (s: AzureFixtureServer) =>
  demoAzureTarget(s, [DEMO_AZURE_SUBSCRIPTION_ID, DEMO_AZURE_SECOND_SUBSCRIPTION_ID]);
const fast = UNPACED_AZURE_SCAN;
const plans = (resources: Resource[], subscription: string): Resource[] =>
  resources.filter((r) => r.type === 'azure.security.defender_plan' && r.account === subscription);

describe('Defender for Cloud plans', () => {
  it('reads every plan of each subscription, on or off, with its sub-plan and extensions', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const main = plans(outcome.resources, DEMO_AZURE_SUBSCRIPTION_ID);
    const second = plans(outcome.resources, DEMO_AZURE_SECOND_SUBSCRIPTION_ID);
    expect(main).toHaveLength(12);
    expect(second).toHaveLength(12);
    for (const r of [...main, ...second]) expect(assertValidResource(r)).toBe(r);
    // 12 plans at 10 a page: the second page comes through nextLink, with the api-version on every call.
    const calls = server.requests.filter((r) => r.route === 'defenderPricings').map((r) => r.path);
    expect(calls).toHaveLength(4);
    expect(calls.every((p) => p.includes('api-version=2024-01-01'))).toBe(true);

    const servers = main.find((r) => r.name === 'VirtualMachines');
    expect(servers).toMatchObject({
      id: `/subscriptions/${DEMO_AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Security/pricings/VirtualMachines`,
      region: 'global',
      attributes: {
        resource_group: '',
        plan: 'VirtualMachines',
        pricing_tier: 'Standard',
        sub_plan: 'P2',
        enabled_at: '2026-03-02T09:15:00.000Z',
        deprecated: false,
        extensions: [],
      },
    });
    expect(second.find((r) => r.name === 'VirtualMachines')?.attributes).toMatchObject({
      pricing_tier: 'Free',
      sub_plan: null,
      enabled_at: null,
    });
    // isEnabled comes as the string "True"/"False".
    expect(main.find((r) => r.name === 'StorageAccounts')?.attributes.extensions).toEqual([
      { name: 'OnUploadMalwareScanning', enabled: true },
      { name: 'SensitiveDataDiscovery', enabled: true },
    ]);
    expect(second.find((r) => r.name === 'StorageAccounts')?.attributes).toMatchObject({
      pricing_tier: 'Free',
      extensions: [],
    });
  });

  it('records a refused pricings read with the action it needs, and scans the rest', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['defenderPricings'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:pricings.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.Security/pricings/read',
      }),
    ]);
    expect(plans(outcome.resources, DEMO_AZURE_SUBSCRIPTION_ID)).toHaveLength(0);
    // The other subscription, and the other services of the refused one, are still read.
    expect(plans(outcome.resources, DEMO_AZURE_SECOND_SUBSCRIPTION_ID)).toHaveLength(12);
    expect(outcome.resources.filter((r) => r.type === 'azure.storage.account')).toHaveLength(30);
  });
});
