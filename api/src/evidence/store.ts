/**
 * The `evidence` table: which tenant records which bytes of the evidence store (the bytes themselves live in
 * the store, plugins/app/evidence.ts). Every function runs in the caller's transaction.
 */
import type { Knex } from 'knex';
import { chunks } from '../batch.ts';

/** What every recorded artifact is: canonical JSON. */
export const EVIDENCE_CONTENT_TYPE = 'application/json';

/**
 * Transaction-scoped advisory locks on evidence hashes (sorted, so two lockers never deadlock). A writer that
 * records bytes takes them shared until its evidence rows commit; the retention job takes one exclusive
 * before it deletes bytes no tenant records, so it never removes bytes a row is about to name.
 */
export async function lockEvidence(
  trx: Knex.Transaction,
  sha256s: string[],
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (sha256s.length === 0) return;
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await trx.raw(`select ${fn}(hashtextextended('evidence:' || sha, 0)) from unnest(?::text[]) as sha`, [
    [...new Set(sha256s)].sort(),
  ]);
}

/** An `evidence` row: the tenant records these bytes. */
export interface EvidenceRow {
  tenant_id: string;
  sha256: string;
  size: number;
  content_type: string;
}

/** Records evidence rows for their tenant, once per (tenant, sha256); returns the sha256s newly recorded. */
export async function insertEvidenceRows(
  trx: Knex.Transaction,
  rows: readonly EvidenceRow[],
): Promise<string[]> {
  const added: string[] = [];
  for (const batch of chunks(rows)) {
    const inserted = (await trx('evidence')
      .insert(batch)
      .onConflict(['tenant_id', 'sha256'])
      .ignore()
      .returning('sha256')) as { sha256: string }[];
    added.push(...inserted.map((row) => row.sha256));
  }
  return added;
}

/** What the tenant's row says of an artifact, or undefined when the tenant does not record it. */
export async function evidenceRecord(
  trx: Knex.Transaction,
  sha256: string,
): Promise<{ sha256: string; size: number; content_type: string; created_at: Date } | undefined> {
  return trx('evidence').select('sha256', 'size', 'content_type', 'created_at').where({ sha256 }).first();
}
