/**
 * Master-key rotation: rewraps every tenant data key still wrapped under an older master key (local version
 * or KMS key) under the provider's current one. The data keys themselves do not change, so every sealed
 * credential opens exactly as before; only `tenant_keys.wrapped_key/wrap_iv/wrap_tag/master_key_id` move.
 *
 * One transaction per tenant (its rows locked, rewrapped, and a `master_key.rotated` ledger entry), so an
 * interrupted run leaves each tenant either fully old or fully new, both readable while the old master key
 * is still configured; running again finishes the rest (resumable) and changes nothing once done
 * (idempotent).
 */
import type { Knex } from 'knex';
import type { LedgerEvent } from '../ledger/ledger.ts';
import { dataKeyContext, wrappedKeyBox, wrappedKeyColumns, type KeyProvider } from '../plugins/app/crypto.ts';
import { runAsApp, runAsOwner, type Trx } from '../plugins/app/tenancy.ts';
import {
  enterKeyMaintenance,
  keyCountsByMasterKey,
  lockKeysNotUnder,
  rewrapTenantKey,
  tenantsWithKeysNotUnder,
} from './store.ts';

/** Appends ledger events inside the caller's transaction (LedgerService.append). */
export type AppendEvents = (trx: Trx, tenantId: string, events: LedgerEvent[]) => Promise<unknown>;

export interface RotationReport {
  /** The master key every row is wrapped under afterwards. */
  masterKeyId: string;
  /** Tenants whose keys were rewrapped in this run, with how many data keys each. */
  tenants: { tenantId: string; dataKeys: number }[];
}

/** Runs `work` as the database owner in the key-rotation maintenance context (see migration 0007). */
function asKeyMaintenance<T>(knex: Knex, work: (trx: Trx) => Promise<T>): Promise<T> {
  return runAsOwner(knex, {}, async (trx) => {
    await enterKeyMaintenance(trx);
    return work(trx);
  });
}

/**
 * Tenants with a data key not under `masterKeyId`. Runs as the database owner in the key-rotation
 * maintenance context: the runtime role can never list other tenants' keys (migration 0007).
 */
export async function tenantsToRotate(knex: Knex, masterKeyId: string): Promise<string[]> {
  return asKeyMaintenance(knex, (trx) => tenantsWithKeysNotUnder(trx, masterKeyId));
}

/** Rewraps one tenant's stale data keys in one transaction; returns how many were rewrapped. */
export async function rotateTenant(
  knex: Knex,
  keys: KeyProvider,
  append: AppendEvents,
  tenantId: string,
  actor: string | null = null,
): Promise<number> {
  return runAsApp(knex, { tenantId }, async (trx) => {
    const rows = await lockKeysNotUnder(trx, tenantId, keys.id);
    if (rows.length === 0) return 0;
    for (const row of rows) {
      const context = dataKeyContext(tenantId, row.key_version);
      const dataKey = await keys.unwrapKey(wrappedKeyBox(row), context, row.master_key_id);
      const wrapped = await keys.wrapKey(dataKey, context);
      dataKey.fill(0);
      await rewrapTenantKey(trx, tenantId, row.key_version, wrappedKeyColumns(keys.id, wrapped));
    }
    await append(trx, tenantId, [
      {
        kind: 'master_key.rotated',
        actor,
        payload: {
          from: [...new Set(rows.map((r) => r.master_key_id))].sort(),
          to: keys.id,
          key_versions: rows.map((r) => r.key_version),
        },
      },
    ]);
    return rows.length;
  });
}

/** Rotates every tenant (see the file comment). `onTenant` reports progress. */
export async function rotateMasterKey(
  knex: Knex,
  keys: KeyProvider,
  append: AppendEvents,
  onTenant: (tenantId: string, dataKeys: number) => void = () => {},
): Promise<RotationReport> {
  const tenants: RotationReport['tenants'] = [];
  for (const tenantId of await tenantsToRotate(knex, keys.id)) {
    const dataKeys = await rotateTenant(knex, keys, append, tenantId);
    if (dataKeys > 0) tenants.push({ tenantId, dataKeys });
    onTenant(tenantId, dataKeys);
  }
  return { masterKeyId: keys.id, tenants };
}

/** How many tenant data keys each master key wraps (owner, key-rotation maintenance context). */
export async function dataKeysByMasterKey(knex: Knex): Promise<Record<string, number>> {
  return asKeyMaintenance(knex, keyCountsByMasterKey);
}
