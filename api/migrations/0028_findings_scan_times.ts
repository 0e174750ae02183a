/**
 * Every finding carries its scan's created_at (issue 18). Since migration 0027 the scan pipeline writes each
 * finding with its scan's own created_at, and the reads that name a scan now name that value too, so
 * PostgreSQL reads only the scan's month partition of `findings` (api/src/scans/store.ts, SCAN_CREATED_AT).
 * Findings written before 0027 kept the time their row was inserted (when the scan completed, not when it
 * was created), which those reads would no longer find: they take their scan's created_at here.
 *
 * A row whose new month differs moves partition (an UPDATE of the partition key does so); a month with no
 * partition yet (a scan created in the month before its findings were written) takes them in DEFAULT until
 * `findings_ensure_partitions` creates it at the end. RLS is not forced meanwhile, so a migration owner that is
 * not superuser updates every tenant's rows (as 0027's copy did). No-op on a database whose findings all came
 * after 0027. `down` leaves the times as they are: the reads before this change do not depend on them.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { MONTHS_AHEAD } from './0027_findings_partitions.ts';

export async function up(knex: Knex): Promise<void> {
  const statements = [
    `ALTER TABLE findings NO FORCE ROW LEVEL SECURITY`,
    `ALTER TABLE scans NO FORCE ROW LEVEL SECURITY`,
    `UPDATE findings f SET created_at = s.created_at FROM scans s
      WHERE s.tenant_id = f.tenant_id AND s.id = f.scan_id AND f.created_at <> s.created_at`,
    `ALTER TABLE scans FORCE ROW LEVEL SECURITY`,
    `ALTER TABLE findings FORCE ROW LEVEL SECURITY`,
    `SELECT findings_ensure_partitions(${MONTHS_AHEAD})`,
  ];
  for (const sql of statements) await knex.raw(sql);
}

export async function down(): Promise<void> {}
