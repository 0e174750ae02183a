/**
 * Scans split into parts (issue 18): one row per part of a scan, leased by any worker through its own
 * `scan-part` job. A part row records which worker collected it, and once done, what it collected: its
 * resources as (resource id, evidence sha256) pairs (the snapshots themselves are evidence, stored once per
 * hash), its scan errors and its progress counts, so a part is retried alone and the scan's last step
 * evaluates the resources of every part. `scans` counts its parts for the API (parts_total, parts_done).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `ALTER TABLE scans ADD COLUMN parts_total integer NOT NULL DEFAULT 0`,
  `ALTER TABLE scans ADD COLUMN parts_done integer NOT NULL DEFAULT 0`,
  `CREATE TABLE scan_parts (
    tenant_id uuid NOT NULL,
    scan_id uuid NOT NULL,
    part_key text NOT NULL,
    position integer NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    worker_id text,
    attempts integer NOT NULL DEFAULT 0,
    resources jsonb,
    errors jsonb NOT NULL DEFAULT '[]',
    progress jsonb,
    failure_message text,
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, scan_id, part_key),
    FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE
  )`,
  `ALTER TABLE scan_parts ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE scan_parts FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON scan_parts USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, UPDATE ON scan_parts TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS scan_parts`);
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS parts_done`);
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS parts_total`);
}
