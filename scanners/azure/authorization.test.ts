// Azure RBAC through the Azure scanner, over HTTP, against the ARM fixture server: custom role definitions,
// role assignments named with their role, and refused reads becoming scan errors naming the action (an
// unreadable role list leaves role names absent, not guessed).
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
const ofType = (resources: Resource[], type: string): Resource[] => resources.filter((r) => r.type === type);

describe('Azure RBAC', () => {
  it('reads custom roles and every assignment with its role name and scope', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const roles = ofType(outcome.resources, 'azure.authorization.role_definition');
    const assignments = ofType(outcome.resources, 'azure.authorization.role_assignment');
    // Built-in roles are resolved but not listed as resources.
    expect(roles.map((r) => r.name).sort()).toEqual([
      'Acme Log Reader',
      'Acme Platform Admin',
      'Acme VM Operator',
    ]);
    expect(assignments).toHaveLength(8);
    for (const r of [...roles, ...assignments]) expect(assertValidResource(r)).toBe(r);

    expect(roles.find((r) => r.name === 'Acme Platform Admin')?.attributes).toEqual({
      resource_group: '',
      role_name: 'Acme Platform Admin',
      description: 'Acme Platform Admin (custom).',
      actions: ['*'],
      not_actions: ['Microsoft.Authorization/*/Delete'],
      data_actions: [],
      assignable_scopes: [`/subscriptions/${DEMO_AZURE_SUBSCRIPTION_ID}`],
    });
    const main = assignments.filter((a) => a.account === DEMO_AZURE_SUBSCRIPTION_ID);
    expect(main.map((a) => a.attributes.role_name)).toEqual([
      'Owner',
      'Owner',
      'Contributor',
      'Reader',
      'Acme VM Operator',
      'User Access Administrator',
    ]);
    expect(main[4]?.attributes).toMatchObject({
      role_type: 'CustomRole',
      principal_type: 'Group',
      scope: `/subscriptions/${DEMO_AZURE_SUBSCRIPTION_ID}/resourceGroups/rg-prod`,
      scope_level: 'resource_group',
      resource_group: 'rg-prod',
      conditional: false,
    });
    const foreignOwner = assignments.find(
      (a) => a.account === DEMO_AZURE_SECOND_SUBSCRIPTION_ID && a.attributes.role_name === 'Owner',
    );
    expect(foreignOwner?.attributes).toMatchObject({
      role_type: 'BuiltInRole',
      principal_type: 'ForeignGroup',
      scope_level: 'subscription',
    });
  });

  it('records refused reads with the actions they need, leaving unresolved role names absent', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['roleDefinitions'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(
      { ...target(server), subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID] },
      fast,
    );
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:roleDefinitions.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.Authorization/roleDefinitions/read',
      }),
    ]);
    const assignments = ofType(outcome.resources, 'azure.authorization.role_assignment');
    expect(assignments).toHaveLength(6);
    expect(assignments.every((a) => !('role_name' in a.attributes) && 'principal_type' in a.attributes)).toBe(
      true,
    );

    const other = demoAzureData();
    other.deniedRoutes = ['roleAssignments'];
    await server.close();
    server = await startAzureFixtureServer({ data: other });
    const refused = await scanAzure(
      { ...target(server), subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID] },
      fast,
    );
    expect(refused.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:roleAssignments.listForSubscription',
        missing_permission: 'Microsoft.Authorization/roleAssignments/read',
      }),
    ]);
    expect(ofType(refused.resources, 'azure.authorization.role_assignment')).toEqual([]);
    expect(ofType(refused.resources, 'azure.authorization.role_definition')).toHaveLength(2);
  });
});
