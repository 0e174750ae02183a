/**
 * Scans under real conditions (issue 6): a scan can be `cancelled`, and an integration can carry a cron
 * schedule on which its scans are queued. The schedule lives on the integration row, so the tenant isolation
 * and grants of `integrations` cover it; pg-boss holds the timer (one schedule per integration).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const statements = [
  `ALTER TABLE scans DROP CONSTRAINT scans_status_check`,
  `ALTER TABLE scans ADD CONSTRAINT scans_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'))`,
  `ALTER TABLE integrations ADD COLUMN scan_schedule text CHECK (length(scan_schedule) BETWEEN 1 AND 200)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE integrations DROP COLUMN IF EXISTS scan_schedule`);
  await knex.raw(`UPDATE scans SET status = 'failed' WHERE status = 'cancelled'`);
  await knex.raw(`ALTER TABLE scans DROP CONSTRAINT scans_status_check`);
  await knex.raw(
    `ALTER TABLE scans ADD CONSTRAINT scans_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed'))`,
  );
}
