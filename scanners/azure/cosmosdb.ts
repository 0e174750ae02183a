/**
 * Azure Cosmos DB accounts of a subscription: `GET /subscriptions/{id}/providers/Microsoft.DocumentDB/
 * databaseAccounts` (paged with `nextLink`). One `azure.cosmosdb.account` per account: network exposure,
 * key-based access, customer-managed key and TLS floor.
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const COSMOSDB_API_VERSION = '2024-05-15';

export const COSMOSDB_PERMISSIONS = {
  'databaseAccounts.list': 'Microsoft.DocumentDB/databaseAccounts/read',
} as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

export async function scanCosmosDb(arm: ArmReader): Promise<Resource[]> {
  const accounts = await arm.list(
    'databaseAccounts.list',
    `/subscriptions/${arm.subscriptionId}/providers/Microsoft.DocumentDB/databaseAccounts`,
    COSMOSDB_API_VERSION,
  );
  return (accounts ?? []).map((a) => arm.envelope(a, 'azure.cosmosdb.account', cosmosAccount(a)));
}

function cosmosAccount(a: Json): Json {
  const p = (a.properties ?? {}) as Json;
  return {
    kind: String(a.kind ?? 'GlobalDocumentDB'),
    public_network_access: text(p.publicNetworkAccess),
    ip_rules: list(p.ipRules).map((r) => String(r.ipAddressOrRange ?? '')),
    virtual_network_filter_enabled: p.isVirtualNetworkFilterEnabled === true,
    virtual_network_subnet_ids: list(p.virtualNetworkRules).map((r) => String(r.id ?? '')),
    private_endpoint_count: list(p.privateEndpointConnections).length,
    local_auth_disabled: p.disableLocalAuth === true,
    key_based_metadata_write_disabled: p.disableKeyBasedMetadataWriteAccess === true,
    key_vault_key_uri: text(p.keyVaultKeyUri),
    minimal_tls_version: text(p.minimalTlsVersion),
    backup_policy_type: text(((p.backupPolicy ?? {}) as Json).type),
  };
}
