// Cosmos DB accounts through the Azure scanner, over HTTP, against the ARM fixture server: network rules,
// key-based access, customer-managed key and TLS as the databaseAccounts list answers them, and a refused
// list becoming a scan error naming the action.
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { scanAzure } from './azure.ts';
import {
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

const target = (s: AzureFixtureServer) => demoAzureTarget(s);
const fast = UNPACED_AZURE_SCAN;
const accounts = (resources: Resource[]): Resource[] =>
  resources.filter((r) => r.type === 'azure.cosmosdb.account');

describe('Cosmos DB accounts', () => {
  it('reads each account with its network, authentication and encryption settings', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const all = accounts(outcome.resources);
    expect(all).toHaveLength(6);
    for (const r of all) expect(assertValidResource(r)).toBe(r);
    expect(server.requests.find((r) => r.route === 'cosmosAccounts')?.path).toContain(
      'api-version=2024-05-15',
    );

    expect(all.find((r) => r.name === 'cosmos-acme-0')?.attributes).toEqual({
      resource_group: 'rg-prod',
      kind: 'GlobalDocumentDB',
      public_network_access: 'Disabled',
      ip_rules: [],
      virtual_network_filter_enabled: false,
      virtual_network_subnet_ids: [],
      private_endpoint_count: 1,
      local_auth_disabled: true,
      key_based_metadata_write_disabled: true,
      key_vault_key_uri: 'https://kv-acme-0.vault.azure.net/keys/cmk',
      minimal_tls_version: 'Tls12',
      backup_policy_type: 'Continuous',
    });
    expect(all.find((r) => r.name === 'cosmos-acme-1')?.attributes).toMatchObject({
      public_network_access: 'Enabled',
      ip_rules: ['203.0.113.0/24', '198.51.100.7'],
      local_auth_disabled: false,
      key_based_metadata_write_disabled: false,
      key_vault_key_uri: null,
      backup_policy_type: 'Periodic',
    });
    expect(all.find((r) => r.name === 'cosmos-acme-2')?.attributes.virtual_network_subnet_ids).toEqual([
      expect.stringMatching(/\/subnets\/app$/),
    ]);
    expect(all.find((r) => r.name === 'cosmos-acme-5')?.attributes).toMatchObject({
      public_network_access: 'Enabled',
      ip_rules: [],
      virtual_network_filter_enabled: false,
      minimal_tls_version: 'Tls',
    });
  });

  it('records a refused account list with the action it needs', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['cosmosAccounts'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:databaseAccounts.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.DocumentDB/databaseAccounts/read',
      }),
    ]);
    expect(accounts(outcome.resources)).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'azure.containerservice.aks_cluster')).toHaveLength(5);
  });
});
