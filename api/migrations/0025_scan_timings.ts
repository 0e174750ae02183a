/**
 * Where a scan's time went (issue 18: 100k resources end to end): each part records how long it collected
 * and how long it stored its evidence, and the scan records its finish's steps, so an operator (and the
 * end-to-end bench, bench/scale/) reads the split from the scan itself rather than from worker logs.
 *
 * - `scan_parts.timings`: `{ collect_ms, store_evidence_ms }`, written with the part's `done`.
 * - `scans.timings`: the parts' sums (`collect_ms`, `store_evidence_ms`) and the finish's own steps
 *   (`gather_ms`: resources read back from their evidence; `evaluate_ms`: overrides in force, the rule
 *   bundle and the overrides applied; `score_ms`; `persist_ms`: the transaction writing findings, control
 *   results and scores and recording the scan in the ledger); written right after that transaction
 *   commits. Null before (and for scans finished before this migration).
 *
 * Milliseconds of wall time in the worker that ran the step. One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const statements = [
  `ALTER TABLE scan_parts ADD COLUMN timings jsonb`,
  `ALTER TABLE scans ADD COLUMN timings jsonb`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS timings`);
  await knex.raw(`ALTER TABLE scan_parts DROP COLUMN IF EXISTS timings`);
}
