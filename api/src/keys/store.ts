/**
 * The `tenant_keys` table: each tenant's data keys by version, each wrapped under a master key whose id the
 * row names. Every function runs in the caller's transaction: a tenant transaction, or for the functions that
 * see every tenant, the owner's key-rotation maintenance context (migration 0007).
 */
import type { Trx } from '../plugins/app/tenancy.ts';

/** A data key wrapped under a master key: the sealed box's parts and the master key's id. */
export interface WrappedKey {
  master_key_id: string;
  wrapped_key: string;
  wrap_iv: string;
  wrap_tag: string;
}

/** A tenant's data key as stored. */
export interface TenantKeyRow extends WrappedKey {
  key_version: number;
}

/** Marks `trx` (the owner's) as the key-rotation maintenance context, in which it sees every tenant's keys. */
export async function enterKeyMaintenance(trx: Trx): Promise<void> {
  await trx.raw(`select set_config('app.maintenance', 'key-rotation', true)`);
}

/** The tenant's data key `version`, or its newest one when no version is given; undefined when none. */
export async function tenantKey(
  trx: Trx,
  tenantId: string,
  version?: number,
): Promise<TenantKeyRow | undefined> {
  if (version !== undefined) {
    return trx('tenant_keys').where({ tenant_id: tenantId, key_version: version }).first();
  }
  return trx('tenant_keys').where({ tenant_id: tenantId }).orderBy('key_version', 'desc').first();
}

/** Stores data key `version` of the tenant unless it exists (a concurrent first use may have stored it). */
export async function insertTenantKeyIfAbsent(
  trx: Trx,
  tenantId: string,
  version: number,
  wrapped: WrappedKey,
): Promise<void> {
  await trx('tenant_keys')
    .insert({ tenant_id: tenantId, key_version: version, ...wrapped })
    .onConflict(['tenant_id', 'key_version'])
    .ignore();
}

/** Tenants with a data key not wrapped under `masterKeyId` (key-rotation maintenance context). */
export async function tenantsWithKeysNotUnder(trx: Trx, masterKeyId: string): Promise<string[]> {
  const rows: { tenant_id: string }[] = await trx('tenant_keys')
    .distinct('tenant_id')
    .whereNot({ master_key_id: masterKeyId })
    .orderBy('tenant_id');
  return rows.map((r) => r.tenant_id);
}

/** The tenant's data keys not wrapped under `masterKeyId`, by version, locked until the transaction ends. */
export async function lockKeysNotUnder(
  trx: Trx,
  tenantId: string,
  masterKeyId: string,
): Promise<TenantKeyRow[]> {
  return trx('tenant_keys')
    .select('key_version', 'master_key_id', 'wrapped_key', 'wrap_iv', 'wrap_tag')
    .where({ tenant_id: tenantId })
    .whereNot({ master_key_id: masterKeyId })
    .orderBy('key_version')
    .forUpdate();
}

/** Replaces the wrapping of the tenant's data key `version` (the key itself is unchanged). */
export async function rewrapTenantKey(
  trx: Trx,
  tenantId: string,
  version: number,
  wrapped: WrappedKey,
): Promise<void> {
  await trx('tenant_keys').where({ tenant_id: tenantId, key_version: version }).update(wrapped);
}

/** How many data keys each master key wraps (key-rotation maintenance context). */
export async function keyCountsByMasterKey(trx: Trx): Promise<Record<string, number>> {
  const rows = (await trx('tenant_keys')
    .select('master_key_id')
    .count({ n: '*' })
    .groupBy('master_key_id')
    .orderBy('master_key_id')) as unknown as { master_key_id: string; n: string | number }[];
  return Object.fromEntries(rows.map((r) => [r.master_key_id, Number(r.n)]));
}
