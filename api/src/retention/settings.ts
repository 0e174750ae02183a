/**
 * A tenant's retention settings and legal hold (table retention_settings, migration 0008): read and changed
 * inside the caller's tenant transaction, each change appended to the tenant's ledger in that transaction.
 * A tenant without a row keeps everything (every window unset) and has no hold.
 */
import type { Trx } from '../plugins/app/tenancy.ts';
import type { LedgerEntry } from '../ledger/chain.ts';
import type { LedgerEvent } from '../ledger/ledger.ts';

/** The four windows, in days; null keeps that kind of data for ever. */
export const RETENTION_WINDOWS = [
  'raw_scan_data_days',
  'findings_days',
  'evidence_days',
  'audit_log_days',
] as const;
export type RetentionWindow = (typeof RETENTION_WINDOWS)[number];
export type RetentionWindows = Record<RetentionWindow, number | null>;

export interface RetentionSettings extends RetentionWindows {
  legal_hold: { active: boolean; reason: string | null; set_by: string | null; set_at: Date | null };
  updated_at: Date | null;
  updated_by: string | null;
}

/** The row as stored. */
export interface RetentionRow extends RetentionWindows {
  tenant_id: string;
  legal_hold: boolean;
  legal_hold_reason: string | null;
  legal_hold_set_by: string | null;
  legal_hold_set_at: Date | null;
  updated_by: string | null;
  updated_at: Date;
}

const windowsOf = (row: RetentionWindows | undefined): RetentionWindows =>
  Object.fromEntries(RETENTION_WINDOWS.map((w) => [w, row?.[w] ?? null])) as RetentionWindows;

function toSettings(row: RetentionRow | undefined): RetentionSettings {
  return {
    ...windowsOf(row),
    legal_hold: {
      active: row?.legal_hold ?? false,
      reason: row?.legal_hold_reason ?? null,
      set_by: row?.legal_hold_set_by ?? null,
      set_at: row?.legal_hold_set_at ?? null,
    },
    updated_at: row?.updated_at ?? null,
    updated_by: row?.updated_by ?? null,
  };
}

/** Appends events to the tenant's ledger inside `trx` (LedgerService.append). */
export type AppendToLedger = (trx: Trx, tenantId: string, events: LedgerEvent[]) => Promise<LedgerEntry[]>;

async function currentRow(trx: Trx, tenantId: string): Promise<RetentionRow | undefined> {
  // FOR UPDATE: two admins changing settings at once apply one after the other, each ledger entry exact.
  return trx('retention_settings').where({ tenant_id: tenantId }).forUpdate().first();
}

async function upsert(trx: Trx, tenantId: string, values: Partial<RetentionRow>): Promise<RetentionRow> {
  const [row] = (await trx('retention_settings')
    .insert({ tenant_id: tenantId, ...values, updated_at: trx.fn.now() })
    .onConflict('tenant_id')
    .merge()
    .returning('*')) as RetentionRow[];
  return row!;
}

/** The tenant's settings (defaults when it never set any). */
export async function readRetention(trx: Trx, tenantId: string): Promise<RetentionSettings> {
  return toSettings(await trx('retention_settings').where({ tenant_id: tenantId }).first());
}

/** Changes the given windows (the others keep their value) and records before/after in the ledger. */
export async function updateRetention(
  trx: Trx,
  append: AppendToLedger,
  tenantId: string,
  actor: string,
  changes: Partial<RetentionWindows>,
): Promise<RetentionSettings> {
  const before = windowsOf(await currentRow(trx, tenantId));
  const row = await upsert(trx, tenantId, { ...before, ...changes, updated_by: actor });
  await append(trx, tenantId, [
    { kind: 'retention.settings.changed', actor, payload: { before, after: windowsOf(row) } },
  ]);
  return toSettings(row);
}

/** Puts the tenant under legal hold (or changes the reason of the current one): nothing is pruned while on. */
export async function setLegalHold(
  trx: Trx,
  append: AppendToLedger,
  tenantId: string,
  actor: string,
  reason: string,
): Promise<RetentionSettings> {
  const before = await currentRow(trx, tenantId);
  const row = await upsert(trx, tenantId, {
    legal_hold: true,
    legal_hold_reason: reason,
    legal_hold_set_by: actor,
    legal_hold_set_at: new Date(),
  });
  await append(trx, tenantId, [
    { kind: 'legal_hold.set', actor, payload: { reason, was_active: before?.legal_hold ?? false } },
  ]);
  return toSettings(row);
}

/** Lifts the legal hold; a no-op (no ledger entry) when none is on. */
export async function releaseLegalHold(
  trx: Trx,
  append: AppendToLedger,
  tenantId: string,
  actor: string,
): Promise<RetentionSettings> {
  const before = await currentRow(trx, tenantId);
  if (!before?.legal_hold) return toSettings(before);
  const row = await upsert(trx, tenantId, {
    legal_hold: false,
    legal_hold_reason: null,
    legal_hold_set_by: null,
    legal_hold_set_at: null,
  });
  await append(trx, tenantId, [
    {
      kind: 'legal_hold.released',
      actor,
      payload: {
        reason: before.legal_hold_reason,
        set_by: before.legal_hold_set_by,
        set_at: before.legal_hold_set_at?.toISOString() ?? null,
      },
    },
  ]);
  return toSettings(row);
}
