/**
 * The `framework_scores` table: a scan's score snapshot, one row per framework version. Every function takes
 * the caller's tenant transaction.
 */
import type { FrameworkScore } from '../../../schemas/index.ts';
import { chunks } from '../batch.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

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
