/**
 * The scoring tables: `framework_scores` (a scan's score snapshot, one row per framework version, and their
 * history, newest scan first, cursor-paginated on (scan finished_at, scan id)) and `scoring_policies` (a
 * tenant's policy, append-only: the newest row is in force). Every function takes the caller's tenant
 * transaction.
 */
import type { FrameworkScore, ScoringPolicy } from '../../../schemas/index.ts';
import { chunks } from '../batch.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { policySha256, type StoredPolicy } from './policy.ts';

function toScore(row: Record<string, unknown>): FrameworkScore {
  return {
    framework_id: row.framework_id as string,
    framework_version: row.framework_version as string,
    title: row.title as string,
    score: row.score as number | null,
    passed: row.passed as number,
    failed: row.failed as number,
    not_applicable: row.not_applicable as number,
    requirements: row.requirements as FrameworkScore['requirements'],
    // Requirements waiting for manual evidence, and whether policy weights were used (docs/scoring.md).
    needs_evidence: (row.needs_evidence as number | undefined) ?? 0,
    weighted: (row.weighted as boolean | undefined) ?? false,
  };
}

/** The framework scores of one scan, by framework id and version. */
export async function scoresOf(trx: Trx, scanId: string): Promise<FrameworkScore[]> {
  const rows = await trx('framework_scores')
    .where({ scan_id: scanId })
    .orderBy('framework_id')
    .orderBy('framework_version');
  return rows.map(toScore);
}

/**
 * The row versions (xmin) of a scan's score rows, joined: they change whenever the rows are rewritten
 * (manual evidence rescoring), so with the scan id they name one version of its scores.
 */
export async function scoresVersion(trx: Trx, scanId: string): Promise<string> {
  const row: { rows: string | null } | undefined = await trx('framework_scores')
    .select(trx.raw("string_agg(xmin::text, ',' ORDER BY id) AS rows"))
    .where({ scan_id: scanId })
    .first();
  return row?.rows ?? '';
}

/** Upserts a scan's score snapshot (one row per framework version). */
export async function storeScores(trx: Trx, rows: Record<string, unknown>[]): Promise<void> {
  for (const batch of chunks(rows)) {
    await trx('framework_scores')
      .insert(batch)
      .onConflict(['tenant_id', 'scan_id', 'framework_id', 'framework_version'])
      .merge();
  }
}

export interface ScoreHistoryOptions {
  framework: string;
  version?: string;
  limit: number;
  cursor?: string;
}

export const HISTORY_COLUMNS = [
  'fs.scan_id',
  's.finished_at',
  'fs.scored_at',
  'fs.framework_id',
  'fs.framework_version',
  'fs.title',
  'fs.score',
  'fs.passed',
  'fs.failed',
  'fs.not_applicable',
  'fs.needs_evidence',
  'fs.weighted',
  'fs.policy',
  'fs.policy_sha256',
  'fs.manual_evidence',
];

const ORDER: SortKey[] = [
  { column: 's.finished_at', field: 'cursor_finished_at', direction: 'desc' },
  { column: 's.id', field: 'scan_id', direction: 'desc' },
  { column: 'fs.framework_version', field: 'framework_version', direction: 'asc' },
];

/** One page of the tenant's score snapshots of `framework` (`id` or `id@version`). */
export async function scoreHistory(
  trx: Trx,
  options: ScoreHistoryOptions,
): Promise<{ items: Record<string, unknown>[]; next_cursor: string | null }> {
  const [id, inline] = options.framework.split('@') as [string, string | undefined];
  const version = options.version ?? inline;
  const after = options.cursor ? decodeCursor(options.cursor, 'history', ORDER) : null;
  const query = trx('framework_scores as fs')
    .join('scans as s', 's.id', 'fs.scan_id')
    .select(HISTORY_COLUMNS)
    .select(trx.raw('s.finished_at::text as cursor_finished_at'))
    .where('s.status', 'succeeded')
    .whereNotNull('s.finished_at')
    .where('fs.framework_id', id);
  if (version !== undefined) query.where('fs.framework_version', version);
  const rows = (await applyPage(query, ORDER, after, options.limit)) as Record<string, unknown>[];
  const page = toPage(rows, options.limit, 'history', ORDER);
  return {
    items: page.items.map(({ cursor_finished_at: _c, ...row }) => row),
    next_cursor: page.next_cursor,
  };
}

/**
 * Whether `tenantId` ever set a policy. Filtered by tenant explicitly: the demo seed asks as the owner, whom
 * row-level security may not restrict.
 */
export async function tenantHasPolicy(trx: Trx, tenantId: string): Promise<boolean> {
  return Boolean(await trx('scoring_policies').where({ tenant_id: tenantId }).first());
}

/** The policy in force for the tenant of `trx` (empty, every default, when none was ever set). */
export async function currentPolicy(trx: Trx): Promise<StoredPolicy> {
  const row = (await trx('scoring_policies')
    .select('policy', 'sha256', 'created_at', 'created_by')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .first()) as
    { policy: ScoringPolicy; sha256: string; created_at: Date; created_by: string | null } | undefined;
  if (!row) return { policy: {}, sha256: null, updated_at: null, updated_by: null };
  return { policy: row.policy, sha256: row.sha256, updated_at: row.created_at, updated_by: row.created_by };
}

/** Stores `policy` as the tenant's new policy (already validated); returns what is now in force. */
export async function insertPolicy(
  trx: Trx,
  tenantId: string,
  policy: ScoringPolicy,
  userId: string | null,
): Promise<StoredPolicy> {
  const sha256 = policySha256(policy);
  const [row] = (await trx('scoring_policies')
    .insert({ tenant_id: tenantId, policy: JSON.stringify(policy), sha256, created_by: userId })
    .returning(['created_at'])) as { created_at: Date }[];
  return { policy, sha256, updated_at: row!.created_at, updated_by: userId };
}
