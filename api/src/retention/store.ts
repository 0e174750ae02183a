/**
 * Retention's tables: a tenant's settings and legal hold (`retention_settings`, migration 0008), and the
 * pruning of old scan data, findings and evidence rows the run does as the retention role. Every function
 * runs in the caller's transaction.
 */
import type { Knex } from 'knex';
import type { Trx } from '../plugins/app/tenancy.ts';

/** The four windows, in days; null keeps that kind of data for ever. */
export const RETENTION_WINDOWS = [
  'raw_scan_data_days',
  'findings_days',
  'evidence_days',
  'audit_log_days',
] as const;
export type RetentionWindow = (typeof RETENTION_WINDOWS)[number];
export type RetentionWindows = Record<RetentionWindow, number | null>;

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

/** The tenant's settings row (undefined when it never set any); `lock` holds it until the transaction ends. */
export async function settingsRow(
  trx: Trx,
  tenantId: string,
  options: { lock?: boolean } = {},
): Promise<RetentionRow | undefined> {
  const query = trx('retention_settings').where({ tenant_id: tenantId });
  if (options.lock) query.forUpdate();
  return query.first();
}

/** Writes the given columns of the tenant's settings row, creating it if needed. */
export async function upsertSettings(
  trx: Trx,
  tenantId: string,
  values: Partial<RetentionRow>,
): Promise<RetentionRow> {
  const [row] = (await trx('retention_settings')
    .insert({ tenant_id: tenantId, ...values, updated_at: trx.fn.now() })
    .onConflict('tenant_id')
    .merge()
    .returning('*')) as RetentionRow[];
  return row!;
}

/** Every tenant's settings row, by tenant (the run's list of work; the retention role sees them all). */
export async function allSettings(trx: Trx): Promise<RetentionRow[]> {
  return (await trx('retention_settings').select('*').orderBy('tenant_id')) as RetentionRow[];
}

/** SQL: a ledger entry inside the window names scan `scanColumn`. */
const scanInLedgerWindow = (scanColumn: string) =>
  `exists (select 1 from ledger_entries l where l.tenant_id = ? and l.occurred_at >= ?::timestamptz
     and l.payload->>'scan_id' = ${scanColumn}::text)`;

/**
 * Empties the raw data (progress, errors) of the tenant's scans finished before `finishedBefore` that no
 * ledger entry from `ledgerFrom` on names; returns how many scans were cleared.
 */
export async function clearRawScanData(
  trx: Trx,
  tenantId: string,
  finishedBefore: Date,
  ledgerFrom: string,
): Promise<number> {
  const cleared = await trx.raw(
    `update scans s set progress = '{}', errors = '[]', updated_at = now()
     where s.tenant_id = ? and s.finished_at < ? and (s.progress <> '{}'::jsonb or s.errors <> '[]'::jsonb)
       and not ${scanInLedgerWindow('s.id')}`,
    [tenantId, finishedBefore, tenantId, ledgerFrom],
  );
  return cleared.rowCount ?? 0;
}

/**
 * Deletes the findings of the tenant's scans finished before `finishedBefore` that no ledger entry from
 * `ledgerFrom` on names, and forgets the finding counts those scans recorded; returns how many findings went.
 */
export async function deleteOldFindings(
  trx: Trx,
  tenantId: string,
  finishedBefore: Date,
  ledgerFrom: string,
): Promise<number> {
  const deleted = await trx.raw(
    // A scan's findings carry its created_at (migration 0027), before it finished: naming that bound too
    // keeps the delete out of the month partitions from `finishedBefore` on (the recent ones, the largest).
    `delete from findings f using scans s
     where f.tenant_id = ? and s.tenant_id = f.tenant_id and s.id = f.scan_id and s.finished_at < ?
       and f.created_at = s.created_at and f.created_at < ?
       and not ${scanInLedgerWindow('s.id')}`,
    [tenantId, finishedBefore, finishedBefore, tenantId, ledgerFrom],
  );
  // The counts those scans recorded no longer describe findings anyone can open: counted from what is left.
  await trx.raw(
    `update scans s set finding_counts = null
     where s.tenant_id = ? and s.finished_at < ? and s.finding_counts is not null
       and not ${scanInLedgerWindow('s.id')}`,
    [tenantId, finishedBefore, tenantId, ledgerFrom],
  );
  return deleted.rowCount ?? 0;
}

/**
 * Deletes the tenant's evidence rows recorded before `recordedBefore` that no finding and no ledger entry
 * from `ledgerFrom` on names; returns their hashes, sorted. A row another table still points at (e.g.
 * manual evidence, which this role cannot read) makes the batch fail on its foreign key: then rows are
 * deleted one by one, each in a savepoint, and the referenced ones kept.
 */
export async function deleteOldEvidence(
  trx: Trx,
  tenantId: string,
  recordedBefore: Date,
  ledgerFrom: string,
): Promise<string[]> {
  const candidates = await trx.raw<{ rows: { sha256: string }[] }>(
    `select e.sha256 from evidence e
     where e.tenant_id = ? and e.created_at < ?
       and not exists (select 1 from findings f where f.tenant_id = e.tenant_id and f.evidence_sha256 = e.sha256)
       and not exists (select 1 from ledger_entries l where l.tenant_id = e.tenant_id and l.occurred_at >= ?::timestamptz
         and (l.artifact_sha256 = e.sha256 or l.payload->'evidence' @> to_jsonb(e.sha256)))
     order by e.sha256`,
    [tenantId, recordedBefore, ledgerFrom],
  );
  const shas = candidates.rows.map((r) => r.sha256);
  const remove = (list: string[]) =>
    trx.transaction((savepoint) =>
      savepoint('evidence').where({ tenant_id: tenantId }).whereRaw('sha256 = any(?::text[])', [list]).del(),
    );
  const referenced = (error: unknown) => (error as { code?: string }).code === '23503';
  if (shas.length === 0) return [];
  try {
    await remove(shas);
    return shas;
  } catch (error) {
    if (!referenced(error)) throw error;
  }
  const deleted: string[] = [];
  for (const sha of shas) {
    try {
      await remove([sha]);
      deleted.push(sha);
    } catch (error) {
      if (!referenced(error)) throw error;
    }
  }
  return deleted;
}

/** Whether any tenant still records the artifact `sha256` (the retention role sees every tenant's rows). */
export async function evidenceRecordedAnywhere(trx: Trx, sha256: string): Promise<boolean> {
  const [row] = (await trx('evidence').where({ sha256 }).count({ n: '*' })) as { n: string | number }[];
  return Number(row!.n) > 0;
}

/** A month partition of `findings` (migration 0027): rows with created_at in [from, to). */
export interface FindingsPartition {
  name: string;
  from: Date;
  to: Date;
}

/**
 * Creates the findings partitions of the current month and the next `monthsAhead`, and of any month whose
 * rows the DEFAULT partition took (moving them); returns how many it created. Owner DDL through a SECURITY
 * DEFINER function (migration 0027), so the retention role and the owner connection both may call it.
 */
export async function ensureFindingsPartitions(trx: Trx | Knex, monthsAhead: number): Promise<number> {
  const { rows } = await trx.raw<{ rows: { created: number }[] }>(
    `select findings_ensure_partitions(?) as created`,
    [monthsAhead],
  );
  return Number(rows[0]!.created);
}

/** The month partitions of `findings` (not the DEFAULT one), oldest first, from the catalog. */
export async function findingsPartitions(trx: Trx): Promise<FindingsPartition[]> {
  const { rows } = await trx.raw<{ rows: { name: string; from: Date; to: Date }[] }>(
    `select name, bounds[1]::timestamptz as "from", bounds[2]::timestamptz as "to" from (
       select c.relname as name,
              regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') as bounds
         from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'findings'::regclass) p
     where bounds is not null order by 2`,
  );
  return rows.map((r) => ({ name: r.name, from: new Date(r.from), to: new Date(r.to) }));
}

/** The tenants with rows in partition `name` (ids only; through migration 0027's function). */
export async function findingsPartitionTenants(trx: Trx, name: string): Promise<string[]> {
  const { rows } = await trx.raw<{ rows: { tenant_id: string }[] }>(
    `select tenant_id from findings_partition_tenants(?) as tenant_id`,
    [name],
  );
  return rows.map((r) => r.tenant_id);
}

/**
 * Whether the tenant keeps any of its findings created in [from, to): one whose scan has not finished before
 * `finishedBefore`, or that a ledger entry from `ledgerFrom` on names (what deleteOldFindings keeps). Walks
 * the kept scans (few: the recent ones and those the ledger names) and probes each one's findings.
 */
export async function keepsFindingsBetween(
  trx: Trx,
  tenantId: string,
  from: Date,
  to: Date,
  finishedBefore: Date,
  ledgerFrom: string,
): Promise<boolean> {
  const { rows } = await trx.raw<{ rows: { kept: boolean }[] }>(
    `select exists (
       select 1 from scans s join findings f on f.tenant_id = s.tenant_id and f.scan_id = s.id
        where s.tenant_id = ? and f.created_at >= ? and f.created_at < ?
          and (s.finished_at is null or s.finished_at >= ? or ${scanInLedgerWindow('s.id')})) as kept`,
    [tenantId, from, to, finishedBefore, tenantId, ledgerFrom],
  );
  return rows[0]!.kept;
}

/** How many findings of the tenant were created in [from, to). */
export async function countFindingsBetween(
  trx: Trx,
  tenantId: string,
  from: Date,
  to: Date,
): Promise<number> {
  const [row] = (await trx('findings')
    .where({ tenant_id: tenantId })
    .andWhere('created_at', '>=', from)
    .andWhere('created_at', '<', to)
    .count({ n: '*' })) as { n: string | number }[];
  return Number(row!.n);
}

/** Detaches and drops month partition `name` (migration 0027's function; gives up after a 5 s lock wait). */
export async function dropFindingsPartition(trx: Trx, name: string): Promise<void> {
  await trx.raw(`select findings_drop_partition(?)`, [name]);
}
