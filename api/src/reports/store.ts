/**
 * The `reports` table (what was asked, how far its job got, which stored file it produced) and the one
 * figure of a scan the readiness report needs that no other domain reads: how many distinct resource
 * snapshots back each rule's findings. Every function runs in the caller's transaction.
 */
import { applyPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { scanCreatedAt } from '../scans/store.ts';
import type { ReportKind, ReportStatus, ReportView } from './types.ts';

const REPORT_COLUMNS = [
  'id',
  'kind',
  'framework_id',
  'framework_version',
  'status',
  'progress',
  'scan_id',
  'sha256',
  'size',
  'content_type',
  'failure_code',
  'failure_message',
  'requested_by',
  'created_at',
  'started_at',
  'finished_at',
] as const;

/** Inserts a queued report; returns its id. */
export async function insertReport(
  trx: Trx,
  row: {
    tenant_id: string;
    kind: ReportKind;
    framework_id: string;
    framework_version: string | null;
    requested_by: string | null;
  },
): Promise<string> {
  const [inserted] = (await trx('reports').insert(row).returning('id')) as { id: string }[];
  return inserted!.id;
}

/** The report `id` of the tenant of `trx`, or undefined. */
export async function findReport(trx: Trx, id: string): Promise<ReportView | undefined> {
  return (await trx('reports').select(REPORT_COLUMNS).where({ id }).first()) as ReportView | undefined;
}

/** One page of the tenant's reports after the cursor values `after` (`cursor_created_at` carries the order). */
export async function reportPage(
  trx: Trx,
  order: SortKey[],
  after: (string | number | null)[] | null,
  limit: number,
): Promise<(ReportView & { cursor_created_at: string })[]> {
  const query = trx('reports').select(
    ...REPORT_COLUMNS,
    // Full microsecond precision as text (a JS Date would cut it to ms), as the scans list does.
    trx.raw('created_at::text as cursor_created_at'),
  );
  return (await applyPage(query, order, after, limit)) as (ReportView & { cursor_created_at: string })[];
}

/** Changes a report row (status, progress, result or failure). */
export async function updateReport(
  trx: Trx,
  id: string,
  changes: Partial<{
    status: ReportStatus;
    progress: number;
    scan_id: string;
    framework_version: string;
    sha256: string;
    size: number;
    content_type: string;
    failure_code: string;
    failure_message: string;
    started_at: Date;
    finished_at: Date;
  }>,
): Promise<void> {
  await trx('reports').where({ id }).update(changes);
}

/** Per rule, the number of distinct resource snapshots (evidence hashes) its findings in `scanId` cite. */
export async function evidenceCountsByRule(trx: Trx, scanId: string): Promise<Map<string, number>> {
  const rows = (await trx('findings')
    .select('rule_id')
    .countDistinct({ n: 'evidence_sha256' })
    .where({ scan_id: scanId })
    .where('created_at', scanCreatedAt(trx, scanId)) // that scan's month partition only
    .whereNotNull('evidence_sha256')
    .groupBy('rule_id')) as { rule_id: string; n: string | number }[];
  return new Map(rows.map((row) => [row.rule_id, Number(row.n)]));
}
