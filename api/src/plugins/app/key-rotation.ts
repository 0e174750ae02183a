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
import type { LedgerEvent } from '../../ledger/ledger.ts';
import { dataKeyContext, type KeyProvider } from './crypto.ts';
import { runAsApp, runAsOwner, type Trx } from './tenancy.ts';

/** Appends ledger events inside the caller's transaction (LedgerService.append). */
export type AppendEvents = (trx: Trx, tenantId: string, events: LedgerEvent[]) => Promise<unknown>;

export interface RotationReport {
  /** The master key every row is wrapped under afterwards. */
  masterKeyId: string;
  /** Tenants whose keys were rewrapped in this run, with how many data keys each. */
  tenants: { tenantId: string; dataKeys: number }[];
}

interface KeyRow {
  key_version: number;
  master_key_id: string;
  wrapped_key: string;
  wrap_iv: string;
  wrap_tag: string;
}

/** Runs `work` as the database owner in the key-rotation maintenance context (see migration 0007). */
function asKeyMaintenance<T>(knex: Knex, work: (trx: Trx) => Promise<T>): Promise<T> {
  return runAsOwner(knex, {}, async (trx) => {
    await trx.raw(`select set_config('app.maintenance', 'key-rotation', true)`);
    return work(trx);
  });
}

/**
 * Tenants with a data key not under `masterKeyId`. Runs as the database owner in the key-rotation
 * maintenance context: the runtime role can never list other tenants' keys (migration 0007).
 */
export async function tenantsToRotate(knex: Knex, masterKeyId: string): Promise<string[]> {
  return asKeyMaintenance(knex, async (trx) => {
    const rows: { tenant_id: string }[] = await trx('tenant_keys')
      .distinct('tenant_id')
      .whereNot({ master_key_id: masterKeyId })
      .orderBy('tenant_id');
    return rows.map((r) => r.tenant_id);
  });
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
    const rows: KeyRow[] = await trx('tenant_keys')
      .select('key_version', 'master_key_id', 'wrapped_key', 'wrap_iv', 'wrap_tag')
      .where({ tenant_id: tenantId })
      .whereNot({ master_key_id: keys.id })
      .orderBy('key_version')
      .forUpdate();
    if (rows.length === 0) return 0;
    for (const row of rows) {
      const context = dataKeyContext(tenantId, row.key_version);
      const dataKey = await keys.unwrapKey(
        { ciphertext: row.wrapped_key, iv: row.wrap_iv, tag: row.wrap_tag },
        context,
        row.master_key_id,
      );
      const wrapped = await keys.wrapKey(dataKey, context);
      dataKey.fill(0);
      await trx('tenant_keys').where({ tenant_id: tenantId, key_version: row.key_version }).update({
        master_key_id: keys.id,
        wrapped_key: wrapped.ciphertext,
        wrap_iv: wrapped.iv,
        wrap_tag: wrapped.tag,
      });
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
  return asKeyMaintenance(knex, async (trx) => {
    const rows = (await trx('tenant_keys')
      .select('master_key_id')
      .count({ n: '*' })
      .groupBy('master_key_id')
      .orderBy('master_key_id')) as unknown as { master_key_id: string; n: string | number }[];
    return Object.fromEntries(rows.map((r) => [r.master_key_id, Number(r.n)]));
  });
}
