/**
 * The explorer's reads of `scans`, `integrations` and `findings`: which scans make up the posture, and one
 * page of their findings. Every function takes the caller's tenant transaction (row-level security decides
 * what exists).
 *
 * A page is one ordered subquery per scan (each an index range of the scan in the sort's order, after the
 * cursor, at most limit + 1 rows), merged by UNION ALL under the same ORDER BY: PostgreSQL merges the
 * ordered streams (Merge Append) instead of sorting the posture's findings, so a page costs the same at any
 * depth and for any number of findings. Each subquery, and the probe of the previous scan, names its scan's
 * created_at (SCAN_CREATED_AT), so it reads only that scan's month partition of `findings`.
 */
import type { Knex } from 'knex';
import { applyPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { FINDING_COLUMNS, previousSucceededScanId, SCAN_CREATED_AT, scanCreatedAt } from '../scans/store.ts';
import type { ExplorerFinding, FindingFilters, ScanSource } from './types.ts';

/** Succeeded scans numbered per integration, newest first (ties by id, as the posture takes them). */
function rankedScans(trx: Trx) {
  return trx('scans')
    .select(
      'id',
      'integration_id',
      'new_failures_recorded',
      trx.raw(
        'row_number() over (partition by integration_id order by finished_at desc, id asc) as position',
      ),
    )
    .where({ status: 'succeeded' })
    .whereNotNull('finished_at');
}

/** The posture's scans: the latest succeeded scan of each active integration, with the one before it. */
export async function postureSources(trx: Trx): Promise<ScanSource[]> {
  return (await trx
    .with('ranked', rankedScans(trx))
    .select(
      'r.id as scan_id',
      'r.integration_id',
      'i.name as integration_name',
      'i.provider',
      'p.id as previous_scan_id',
      'r.new_failures_recorded',
    )
    .from('ranked as r')
    .join('integrations as i', 'i.id', 'r.integration_id')
    .leftJoin('ranked as p', (on) => {
      on.on('p.integration_id', 'r.integration_id').andOnVal('p.position', '=', 2);
    })
    .where('r.position', 1)
    .whereNull('i.archived_at')
    .orderBy('r.integration_id')) as ScanSource[];
}

/** One scan of the tenant as a source (its previous succeeded scan included), or undefined. */
export async function scanSource(trx: Trx, scanId: string): Promise<ScanSource | undefined> {
  const source = (await trx('scans as s')
    .join('integrations as i', 'i.id', 's.integration_id')
    .select(
      's.id as scan_id',
      's.integration_id',
      'i.name as integration_name',
      'i.provider',
      's.new_failures_recorded',
    )
    .where('s.id', scanId)
    .first()) as Omit<ScanSource, 'previous_scan_id'> | undefined;
  if (!source) return undefined;
  return { ...source, previous_scan_id: (await previousSucceededScanId(trx, scanId)) ?? null };
}

/**
 * SQL true for a failing finding `f` of `source` that the previous scan did not fail (every failing one
 * without a previous). Scans since migration 0023 recorded it with their findings (`f.new_failure`, with a
 * partial index); older ones probe the previous scan per row. OFFSET 0 keeps that subquery a probe of the
 * unique key per row: without it PostgreSQL may turn the EXISTS into a hashed set of every failing finding of
 * the previous scan, read in full for one page of 100 rows.
 */
function newSinceLastScan(source: ScanSource): { sql: string; bindings: string[] } {
  if (source.new_failures_recorded) return { sql: 'f.new_failure', bindings: [] };
  if (!source.previous_scan_id) return { sql: `f.status = 'fail'`, bindings: [] };
  return {
    sql: `f.status = 'fail' AND NOT EXISTS (SELECT 1 FROM findings p WHERE p.tenant_id = f.tenant_id
       AND p.scan_id = ? AND p.created_at = ${SCAN_CREATED_AT} AND p.rule_id = f.rule_id
       AND p.resource_id = f.resource_id AND p.status = 'fail' OFFSET 0)`,
    bindings: [source.previous_scan_id, source.previous_scan_id],
  };
}

/** The filters that are columns of `findings`. */
const COLUMN_FILTERS = [
  ['account', 'f.resource_account'],
  ['region', 'f.resource_region'],
  ['resource_type', 'f.resource_type'],
  ['resource_id', 'f.resource_id'],
  ['rule_id', 'f.rule_id'],
  ['severity', 'f.severity'],
  ['status', 'f.status'],
] as const;

/** One scan's findings under `filters` (and among `ruleIds` when given), ordered and after the cursor. */
function scanPageQuery(
  trx: Trx,
  source: ScanSource,
  filters: FindingFilters,
  ruleIds: readonly string[] | undefined,
  order: SortKey[],
  after: (string | number | null)[] | null,
  limit: number,
): Knex.QueryBuilder {
  const isNew = newSinceLastScan(source);
  const query = trx('findings as f')
    .select(
      ...FINDING_COLUMNS.map((c) => `f.${c}`),
      'f.scan_id',
      'f.resource_account',
      'f.resource_region',
      'f.severity_rank',
      trx.raw('?::uuid as integration_id', [source.integration_id]),
      trx.raw('?::text as integration_name', [source.integration_name]),
      trx.raw('?::text as provider', [source.provider]),
      trx.raw(`(${isNew.sql}) as new_since_last_scan`, isNew.bindings),
    )
    .where('f.scan_id', source.scan_id)
    .where('f.created_at', scanCreatedAt(trx, source.scan_id));
  for (const [filter, column] of COLUMN_FILTERS) {
    const value = filters[filter];
    if (value !== undefined) void query.where(column, value);
  }
  if (ruleIds) void query.whereIn('f.rule_id', ruleIds);
  if (filters.excepted !== undefined) {
    if (filters.excepted) void query.whereNotNull('f.exception_id');
    else void query.whereNull('f.exception_id');
  }
  if (filters.new_since_last_scan !== undefined) {
    void query.whereRaw(
      filters.new_since_last_scan ? `(${isNew.sql})` : `NOT (${isNew.sql})`,
      isNew.bindings,
    );
  }
  return applyPage(query, order, after, limit);
}

/**
 * One page (limit + 1 rows, to tell whether another follows) of the findings of `sources` under `filters`,
 * in `order` after the cursor values `after`. `order` names the columns without a table (`rule_id`).
 */
export async function explorerPage(
  trx: Trx,
  sources: readonly ScanSource[],
  filters: FindingFilters,
  ruleIds: readonly string[] | undefined,
  order: SortKey[],
  after: (string | number | null)[] | null,
  limit: number,
): Promise<(ExplorerFinding & { severity_rank: number })[]> {
  if (sources.length === 0 || ruleIds?.length === 0) return [];
  const inner = order.map((key) => ({ ...key, column: `f.${key.column}`, field: key.column }));
  const parts = sources.map((source) => scanPageQuery(trx, source, filters, ruleIds, inner, after, limit));
  const merged = trx.select('*').from(trx.raw(`(${parts.map(() => '(?)').join(' UNION ALL ')}) as u`, parts));
  return (await applyPage(merged, order, null, limit)) as (ExplorerFinding & { severity_rank: number })[];
}
