// The Azure scanner through the @azure/arm-resources pipeline, over HTTP, against the ARM fixture
// server: nextLink paging, 429 with Retry-After, 5xx, slow answers, AuthorizationFailed, bad secret.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { scanAzure, type AzureScanOptions, type AzureScanTarget } from './azure.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  demoAzureData,
  startAzureFixtureServer,
  type AzureFault,
  type AzureFixtureData,
  type AzureFixtureServer,
} from './fixtures/azure-fixture-server.ts';

let server: AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  opts: { data?: AzureFixtureData; faults?: AzureFault[] } = {},
): Promise<AzureFixtureServer> {
  server = await startAzureFixtureServer(opts);
  return server;
}
const target = (s: AzureFixtureServer, extra: Partial<AzureScanTarget> = {}): AzureScanTarget => ({
  tenantId: DEMO_AZURE_TENANT_ID,
  subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
  ...DEMO_AZURE_CLIENT,
  endpoint: s.url,
  ...extra,
});
const fast: AzureScanOptions = { callsPerSecond: 10_000, retryDelayMs: 20 };
const count = (resources: Resource[], type: string): number =>
  resources.filter((r) => r.type === type).length;

describe('scanAzure against the demo subscription', () => {
  it('collects every storage account, NSG, vault, SQL server and App Service app, following nextLink', async () => {
    const s = await start();
    const outcome = await scanAzure(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(count(outcome.resources, 'azure.storage.account')).toBe(30);
    expect(count(outcome.resources, 'azure.network.security_group')).toBe(20);
    expect(count(outcome.resources, 'azure.keyvault.vault')).toBe(12);
    expect(count(outcome.resources, 'azure.sql.server')).toBe(6);
    expect(count(outcome.resources, 'azure.appservice.app')).toBe(8);
    // Two keys in every third vault.
    expect(count(outcome.resources, 'azure.keyvault.key')).toBe(8);
    for (const r of outcome.resources) expect(assertValidResource(r)).toBe(r);
    // 30 accounts at 10 a page: three pages, the later ones through nextLink.
    expect(
      s.requests
        .filter((r) => r.route === 'storageAccounts')
        .map((r) => new URL(r.path, s.url).searchParams.get('$skiptoken')),
    ).toEqual([null, '10', '20']);
    expect(outcome.progress.calls_made).toBe(s.requests.length);

    const lax = outcome.resources.find((r) => r.name === 'acmest001');
    expect(lax).toMatchObject({ account: DEMO_AZURE_SUBSCRIPTION_ID, region: 'eastus' });
    expect(lax?.attributes).toMatchObject({
      resource_group: 'rg-data',
      https_only: false,
      minimum_tls_version: 'TLS1_0',
      allow_blob_public_access: true,
      allow_shared_key_access: true,
      network_default_action: 'Allow',
    });
    expect(outcome.resources.find((r) => r.name === 'acmest005')?.attributes.minimum_tls_version).toBeNull();

    const ssh = outcome.resources.find((r) => r.name === 'nsg-app-1');
    expect(ssh?.attributes.security_rules).toContainEqual({
      name: 'allow-ssh-any',
      priority: 100,
      direction: 'Inbound',
      access: 'Allow',
      protocol: 'Tcp',
      source_address_prefixes: ['*'],
      destination_port_ranges: [{ from: 22, to: 22 }],
      default_rule: false,
    });
    const ranges = outcome.resources.find((r) => r.name === 'nsg-mgmt-4');
    expect(
      (ranges?.attributes.security_rules as { destination_port_ranges: unknown }[])[0]
        ?.destination_port_ranges,
    ).toEqual([
      { from: 20, to: 25 },
      { from: 3380, to: 3390 },
    ]);

    expect(outcome.resources.find((r) => r.name === 'kv-acme-5')?.attributes).toMatchObject({
      soft_delete_enabled: false,
      purge_protection_enabled: false,
      network_default_action: 'Allow',
    });
    expect(outcome.resources.find((r) => r.name === 'sql-acme-1')?.attributes).toMatchObject({
      minimal_tls_version: '1.0',
      entra_admin_configured: false,
      auditing: { enabled: false, retention_days: 0 },
      tde_protector: { server_key_type: 'ServiceManaged' },
      databases: [
        { name: 'orders1', tde_enabled: true },
        { name: 'legacy1', tde_enabled: false },
      ],
    });
    // The list leaves siteConfig empty: TLS, FTP and debugging come from each app's config/web.
    expect(outcome.resources.find((r) => r.name === 'app-acme-5')?.attributes).toEqual({
      resource_group: 'rg-dev',
      kind: 'app',
      https_only: false,
      public_network_access: 'Enabled',
      // identity.type "None": no managed identity.
      managed_identity_type: null,
      minimum_tls_version: '1.1',
      scm_minimum_tls_version: '1.2',
      ftps_state: 'AllAllowed',
      remote_debugging_enabled: true,
      http20_enabled: false,
    });
    expect(outcome.resources.find((r) => r.name === 'app-acme-4')?.attributes.managed_identity_type).toBe(
      'SystemAssigned, UserAssigned',
    );
    expect(outcome.resources.find((r) => r.name === 'app-acme-0')?.attributes).toMatchObject({
      managed_identity_type: 'SystemAssigned',
      https_only: true,
      minimum_tls_version: '1.2',
      ftps_state: 'Disabled',
      remote_debugging_enabled: false,
    });
    expect(s.requests.filter((r) => r.route === 'webAppConfig')).toHaveLength(8);
    // ARM gives key timestamps in epoch seconds; a key without an expiry has no exp at all.
    const keyOf = (vault: string, key: string): Resource | undefined =>
      outcome.resources.find(
        (r) => r.type === 'azure.keyvault.key' && r.id.endsWith(`/vaults/${vault}/keys/${key}`),
      );
    expect(keyOf('kv-acme-3', 'cmk')?.attributes).toEqual({
      resource_group: 'rg-prod',
      vault_name: 'kv-acme-3',
      key_type: 'RSA-HSM',
      key_size: 3072,
      curve_name: null,
      enabled: true,
      created_at: '2025-09-04T00:00:00.000Z',
      expires_at: '2026-09-04T00:00:00.000Z',
    });
    expect(keyOf('kv-acme-3', 'signing')?.attributes).toMatchObject({
      key_type: 'EC',
      key_size: null,
      curve_name: 'P-256',
      expires_at: null,
    });
  });
});

describe('scanAzure under throttling and faults', () => {
  it('honours Retry-After on a 429 and counts the call once', async () => {
    const s = await start({
      faults: [{ route: 'vaults', kind: 'throttle', retryAfterSeconds: 1, times: 1 }],
    });
    const started = Date.now();
    const outcome = await scanAzure(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(s.requests.filter((r) => r.route === 'vaults').map((r) => r.status)).toEqual([429, 200, 200]);
    expect(outcome.progress.calls_made).toBe(s.requests.length - 1);
  });

  it('retries a 5xx with backoff, and records a call that keeps failing', async () => {
    const s = await start({
      faults: [
        { route: 'networkSecurityGroups', status: 503, times: 1 },
        { route: 'sqlAuditing', status: 500 },
      ],
    });
    const outcome = await scanAzure(target(s), { ...fast, maxRetries: 1 });
    expect(count(outcome.resources, 'azure.network.security_group')).toBe(20);
    const auditing = outcome.errors.filter((e) => e.operation === 'azure:serverBlobAuditingPolicies.get');
    expect(auditing).toHaveLength(6);
    expect(auditing[0]).toMatchObject({ code: 'InternalServerError', missing_permission: null });
    expect(
      outcome.resources
        .filter((r) => r.type === 'azure.sql.server')
        .every((r) => !('auditing' in r.attributes)),
    ).toBe(true);
  });

  it('records AuthorizationFailed with the RBAC action and goes on', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['sqlTde', 'storageAccounts', 'webAppConfig', 'vaultKeys'];
    const s = await start({ data });
    const outcome = await scanAzure(target(s), fast);
    expect(outcome.errors.find((e) => e.operation === 'azure:storageAccounts.list')).toMatchObject({
      code: 'AuthorizationFailed',
      missing_permission: 'Microsoft.Storage/storageAccounts/read',
    });
    expect(
      outcome.errors.filter((e) => e.operation === 'azure:transparentDataEncryptions.get')[0],
    ).toMatchObject({ missing_permission: 'Microsoft.Sql/servers/databases/transparentDataEncryption/read' });
    expect(count(outcome.resources, 'azure.storage.account')).toBe(0);
    expect(count(outcome.resources, 'azure.keyvault.vault')).toBe(12);
    expect(
      outcome.resources
        .filter((r) => r.type === 'azure.sql.server')
        .every((r) => !('databases' in r.attributes) && 'auditing' in r.attributes),
    ).toBe(true);
    // Without the web configuration the app is still listed, its configuration settings absent (not guessed).
    expect(outcome.errors.filter((e) => e.operation === 'azure:webApps.getConfiguration')[0]).toMatchObject({
      missing_permission: 'Microsoft.Web/sites/config/Read',
    });
    expect(outcome.errors.filter((e) => e.operation === 'azure:keys.list')).toHaveLength(12);
    expect(outcome.errors.find((e) => e.operation === 'azure:keys.list')).toMatchObject({
      missing_permission: 'Microsoft.KeyVault/vaults/keys/read',
    });
    expect(count(outcome.resources, 'azure.keyvault.key')).toBe(0);
    const apps = outcome.resources.filter((r) => r.type === 'azure.appservice.app');
    expect(apps).toHaveLength(8);
    expect(apps.every((r) => !('minimum_tls_version' in r.attributes) && 'https_only' in r.attributes)).toBe(
      true,
    );
  });

  it('waits for a slow answer', async () => {
    const s = await start({ faults: [{ route: 'sqlServers', delayMs: 300, times: 1 }] });
    const started = Date.now();
    const outcome = await scanAzure(target(s), fast);
    expect(count(outcome.resources, 'azure.sql.server')).toBe(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('fails fast on a wrong client secret, without printing it', async () => {
    const s = await start();
    const clientSecret = 'wrong-secret-value-for-this-app';
    const error = await scanAzure(target(s, { clientSecret }), fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(inspect(error, { depth: 6 })).not.toContain(clientSecret);
    expect(s.requests.map((r) => r.route)).toEqual(['token']);
  });

  it('refuses plain http to anything but a loopback sandbox, and malformed ids', async () => {
    const error = await scanAzure({
      tenantId: 'contoso',
      subscriptionIds: [],
      clientId: 'app',
      clientSecret: 'x',
      endpoint: 'http://management.example.com',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    for (const field of ['tenantId', 'subscriptionIds', 'clientId', 'clientSecret', 'endpoint'])
      expect((error as Error).message).toContain(field);
  });
});
