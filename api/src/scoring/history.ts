/**
 * Score history: one snapshot per succeeded scan and framework version, newest scan first, cursor-paginated
 * on (scan finished_at, scan id). Each snapshot says what it was computed with (policy, manual evidence, time).
 */
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

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
