// PostgreSQL flexible servers through the Azure scanner, over HTTP, against the ARM fixture server: the
// server list and each server's parameters (one configurations GET each), and refused reads becoming scan
// errors naming the action, with what was not read left absent.
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
const servers = (resources: Resource[]): Resource[] =>
  resources.filter((r) => r.type === 'azure.dbforpostgresql.flexible_server');

describe('PostgreSQL flexible servers', () => {
  it('reads each server and its TLS and logging parameters', async () => {
    server = await startAzureFixtureServer();
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toEqual([]);
    const all = servers(outcome.resources);
    expect(all).toHaveLength(5);
    for (const r of all) expect(assertValidResource(r)).toBe(r);
    const configCalls = server.requests.filter((r) => r.route === 'postgresConfiguration');
    expect(configCalls).toHaveLength(15);
    expect(configCalls[0]?.path).toMatch(
      /\/flexibleServers\/pg-acme-\d\/configurations\/\w+\?api-version=2024-08-01$/,
    );

    expect(all.find((r) => r.name === 'pg-acme-0')?.attributes).toEqual({
      resource_group: 'rg-prod',
      version: '16',
      public_network_access: 'Disabled',
      backup_retention_days: 35,
      geo_redundant_backup: true,
      high_availability_mode: 'ZoneRedundant',
      entra_auth_enabled: true,
      password_auth_enabled: false,
      data_encryption_type: 'AzureKeyVault',
      require_secure_transport: true,
      ssl_min_protocol_version: 'TLSv1.2',
      log_connections: true,
    });
    // "off" parameters read as false.
    expect(all.find((r) => r.name === 'pg-acme-1')?.attributes).toMatchObject({
      public_network_access: 'Enabled',
      backup_retention_days: 7,
      geo_redundant_backup: false,
      require_secure_transport: false,
      log_connections: false,
    });
    expect(all.find((r) => r.name === 'pg-acme-3')?.attributes.ssl_min_protocol_version).toBe('TLSv1');
  });

  it('records refused reads with the actions they need', async () => {
    const data = demoAzureData();
    data.deniedRoutes = ['postgresConfiguration'];
    server = await startAzureFixtureServer({ data });
    const outcome = await scanAzure(target(server), fast);
    expect(outcome.errors).toHaveLength(15);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'azure:flexibleServerConfigurations.get',
      code: 'AuthorizationFailed',
      missing_permission: 'Microsoft.DBforPostgreSQL/flexibleServers/configurations/read',
      resource_id: expect.stringMatching(/\/flexibleServers\/pg-acme-\d$/),
    });
    // The servers are there, their parameters absent (not guessed).
    const all = servers(outcome.resources);
    expect(all).toHaveLength(5);
    expect(
      all.every(
        (r) => !('require_secure_transport' in r.attributes) && 'geo_redundant_backup' in r.attributes,
      ),
    ).toBe(true);

    const denied = demoAzureData();
    denied.deniedRoutes = ['postgresServers'];
    await server.close();
    server = await startAzureFixtureServer({ data: denied });
    const refused = await scanAzure(target(server), fast);
    expect(refused.errors).toEqual([
      expect.objectContaining({
        operation: 'azure:flexibleServers.list',
        missing_permission: 'Microsoft.DBforPostgreSQL/flexibleServers/read',
      }),
    ]);
    expect(servers(refused.resources)).toEqual([]);
  });
});
