/**
 * Azure Database for PostgreSQL flexible servers of a subscription: `GET /subscriptions/{id}/providers/
 * Microsoft.DBforPostgreSQL/flexibleServers` (paged with `nextLink`), then for each server the server
 * parameters the rules need, one `GET {server}/configurations/{name}` each. One
 * `azure.dbforpostgresql.flexible_server` per server; a parameter that cannot be read is absent.
 */
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const POSTGRES_API_VERSION = '2024-08-01';

export const POSTGRES_PERMISSIONS = {
  'flexibleServers.list': 'Microsoft.DBforPostgreSQL/flexibleServers/read',
  'flexibleServerConfigurations.get': 'Microsoft.DBforPostgreSQL/flexibleServers/configurations/read',
} as const;

/** Server parameters read, and the attribute each becomes. */
const PARAMETERS = {
  require_secure_transport: 'require_secure_transport',
  ssl_min_protocol_version: 'ssl_min_protocol_version',
  log_connections: 'log_connections',
} as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

export async function scanPostgres(arm: ArmReader): Promise<Resource[]> {
  const servers = await arm.list(
    'flexibleServers.list',
    `/subscriptions/${arm.subscriptionId}/providers/Microsoft.DBforPostgreSQL/flexibleServers`,
    POSTGRES_API_VERSION,
  );
  return mapWithConcurrency(servers ?? [], 4, (s) => flexibleServer(arm, s));
}

async function flexibleServer(arm: ArmReader, s: Json): Promise<Resource> {
  const id = String(s.id);
  const p = obj(s.properties);
  const backup = obj(p.backup);
  const auth = obj(p.authConfig);
  const attributes: Json = {
    version: String(p.version ?? ''),
    public_network_access: text(obj(p.network).publicNetworkAccess),
    backup_retention_days: typeof backup.backupRetentionDays === 'number' ? backup.backupRetentionDays : null,
    geo_redundant_backup: backup.geoRedundantBackup === 'Enabled',
    high_availability_mode: text(obj(p.highAvailability).mode) ?? 'Disabled',
    entra_auth_enabled: auth.activeDirectoryAuth === 'Enabled',
    password_auth_enabled: auth.passwordAuth !== 'Disabled',
    data_encryption_type: obj(p.dataEncryption).type === 'AzureKeyVault' ? 'AzureKeyVault' : 'SystemManaged',
  };
  for (const [attribute, parameter] of Object.entries(PARAMETERS)) {
    const config = await arm.get(
      'flexibleServerConfigurations.get',
      `${arm.endpoint}${id}/configurations/${parameter}?api-version=${POSTGRES_API_VERSION}`,
      id,
    );
    if (!config) continue;
    const value = text(obj(config.properties).value);
    // Boolean parameters answer "on"/"off"; the TLS floor a version name such as TLSv1.2.
    attributes[attribute] =
      attribute === 'ssl_min_protocol_version' ? value : value !== null ? value.toLowerCase() === 'on' : null;
  }
  return arm.envelope(s, 'azure.dbforpostgresql.flexible_server', attributes);
}
