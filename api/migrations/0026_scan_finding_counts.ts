/**
 * A scan's finding counts recorded with its findings (issue 15: the dashboard within 1 s at 1M findings).
 * Until now every scans list counted the findings of each listed scan at read time: the dashboard's
 * `GET /api/scans` grouped all 1M findings of the benchmark tenant's four scans (1.5 s of a 1.9 s page load).
 * A scan's findings are immutable once it succeeded (exceptions are applied when they are written), so their
 * counts are a fact of the scan, like its finish time.
 *
 * - `scans.finding_counts`: `{ pass, fail, not_applicable, error, excepted }` (excepted: failing findings set
 *   aside by an exception, counted apart), written in the transaction that completes the scan. Null for scans
 *   that have not succeeded, scans stored before this migration, and scans whose findings retention deleted:
 *   for those the counts are read from the findings as before. The retention role may clear it. No row is rewritten, so no backfill has to see
 *   across tenants under row-level security.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { RETENTION_ROLE } from './0008_retention.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE scans ADD COLUMN finding_counts jsonb`);
  // Retention deletes old findings, and with them forgets the counts (its role clears only these columns).
  await knex.raw(`GRANT UPDATE (finding_counts) ON scans TO ${RETENTION_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE UPDATE (finding_counts) ON scans FROM ${RETENTION_ROLE}`);
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS finding_counts`);
}
