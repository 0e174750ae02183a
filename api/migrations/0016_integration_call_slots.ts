/**
 * Provider call pacing shared by every worker process: one row per integration holding the earliest time its
 * next provider call may start (api/src/scans/call-limiter.ts). A worker reserves a call by moving that time
 * one interval on in a single upsert and waits until the slot it got; the row lock serialises concurrent
 * reservations, so the calls of all workers scanning the integration are spaced by the interval.
 *
 * A small table of its own rather than a column of `integrations`: it is updated before every provider call,
 * and a narrow row keeps those updates cheap (HOT, no index touched) and apart from the integration's row.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE integration_call_slots (
    tenant_id uuid NOT NULL,
    integration_id uuid NOT NULL,
    next_slot_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, integration_id),
    FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE
  )`,
  `ALTER TABLE integration_call_slots ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE integration_call_slots FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON integration_call_slots USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, UPDATE ON integration_call_slots TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS integration_call_slots`);
}
