/** The only file that names `tenant_rule_packs`: the rule packs a tenant has enabled (a row per enabled pack). */
import type { Trx } from '../plugins/app/tenancy.ts';

/** An enabled pack of the tenant of `trx`: who enabled it and when. */
export interface EnabledPack {
  pack_id: string;
  enabled_by: string | null;
  enabled_at: string;
}

/** Every pack the tenant has enabled, by pack id. */
export async function enabledPacks(trx: Trx): Promise<EnabledPack[]> {
  const rows = (await trx('tenant_rule_packs')
    .select('pack_id', 'enabled_by', 'enabled_at')
    .orderBy('pack_id')) as { pack_id: string; enabled_by: string | null; enabled_at: Date }[];
  return rows.map((r) => ({ ...r, enabled_at: new Date(r.enabled_at).toISOString() }));
}

/** Enables a pack; false when it was already enabled (the row and its first author stay). */
export async function enablePack(
  trx: Trx,
  tenantId: string,
  packId: string,
  actor: string,
): Promise<boolean> {
  const inserted = await trx('tenant_rule_packs')
    .insert({ tenant_id: tenantId, pack_id: packId, enabled_by: actor })
    .onConflict(['tenant_id', 'pack_id'])
    .ignore()
    .returning('pack_id');
  return inserted.length > 0;
}

/** Disables a pack; false when it was not enabled. */
export async function disablePack(trx: Trx, packId: string): Promise<boolean> {
  // The deleted rows, not the driver's count: PGlite's knex dialect does not report one.
  const deleted = await trx('tenant_rule_packs').where({ pack_id: packId }).delete().returning('pack_id');
  return deleted.length > 0;
}
