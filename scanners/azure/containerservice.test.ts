// AKS clusters through the Azure scanner, over HTTP, against the ARM fixture server: sign-in, API server
// exposure, network policy and upgrade settings as the managedClusters list answers them, and a refused
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
const clusters = (resources: Resource[]): Resource[] =>
  resources.filter((r) => r.type === 'azure.containerservice.aks_cluster');

describe('AKS clusters', () => {
  it('reads each cluster with its access, network and upgrade settings', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const all = clusters(outcome.resources);
    expect(all).toHaveLength(5);
    for (const r of all) expect(assertValidResource(r)).toBe(r);
    expect(server.requests.find((r) => r.route === 'managedClusters')?.path).toContain(
      'api-version=2024-05-01',
    );

    expect(all.find((r) => r.name === 'aks-acme-0')).toMatchObject({
      region: 'westeurope',
      attributes: {
        resource_group: 'rg-prod',
        kubernetes_version: '1.30.3',
        sku_tier: 'Standard',
        rbac_enabled: true,
        entra_integration: true,
        azure_rbac_enabled: true,
        local_accounts_disabled: true,
        private_cluster: true,
        authorized_ip_ranges: [],
        network_plugin: 'azure',
        network_policy: 'cilium',
        azure_policy_enabled: true,
        defender_enabled: true,
        auto_upgrade_channel: 'stable',
      },
    });
    // The legacy cluster: no Entra profile, kubenet without policy, auto-upgrade "none".
    expect(all.find((r) => r.name === 'aks-acme-3')?.attributes).toMatchObject({
      kubernetes_version: '1.27.9',
      rbac_enabled: false,
      entra_integration: false,
      azure_rbac_enabled: false,
      local_accounts_disabled: false,
      private_cluster: false,
      network_plugin: 'kubenet',
      network_policy: null,
      auto_upgrade_channel: null,
    });
    // networkPolicy "none" reads as no policy; an open authorized range is kept as given.
    expect(all.find((r) => r.name === 'aks-acme-4')?.attributes).toMatchObject({
      authorized_ip_ranges: ['0.0.0.0/0'],
      network_policy: null,
      auto_upgrade_channel: null,
    });
    expect(all.find((r) => r.name === 'aks-acme-1')?.attributes.authorized_ip_ranges).toEqual([
      '203.0.113.0/24',
      '198.51.100.10/32',
    ]);
  });

  it('records a refused cluster list with the action it needs', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['managedClusters'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:managedClusters.list',
        code: 'AuthorizationFailed',
        missing_permission: 'Microsoft.ContainerService/managedClusters/read',
      }),
    ]);
    expect(clusters(outcome.resources)).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'azure.compute.virtual_machine')).toHaveLength(8);
  });
});
