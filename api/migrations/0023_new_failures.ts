/**
 * New failures recorded when a scan's findings are written (issue 15: "new since last scan" within 1 s at
 * 1M findings). Until now the explorer worked the flag out at read time, probing the previous scan once per
 * failing finding: with few new failures that read every failing finding of the posture (4.5 s at 125k).
 *
 * - `findings.new_failure`: true for a failing finding that the integration's previous succeeded scan (the
 *   one the posture pairs it with) did not fail; written with the finding, in the transaction that completes
 *   the scan, so it is as immutable as the finding itself.
 * - `scans.new_failures_recorded`: whether the scan's findings carry that flag. Scans stored before this
 *   migration say false (the column's first default) and keep the read-time probe; every scan created after
 *   it says true (the default changes in the next statement). No row is rewritten, so no backfill has to see
 *   across tenants under row-level security.
 * - A partial index of the new failures in the explorer's default order, so `new_since_last_scan=true`
 *   reads only them.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const statements = [
  `ALTER TABLE findings ADD COLUMN new_failure boolean NOT NULL DEFAULT false`,
  `ALTER TABLE scans ADD COLUMN new_failures_recorded boolean NOT NULL DEFAULT false`,
  `ALTER TABLE scans ALTER COLUMN new_failures_recorded SET DEFAULT true`,
  `CREATE INDEX findings_new_failures ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id)
     WHERE new_failure`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS findings_new_failures`);
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS new_failures_recorded`);
  await knex.raw(`ALTER TABLE findings DROP COLUMN IF EXISTS new_failure`);
}
