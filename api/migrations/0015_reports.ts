/**
 * Reports: documents the API generates in the background (the framework readiness report PDF). A row says
 * what was asked (kind, framework), by whom, how far the job got, and, once it succeeded, the sha256 of the
 * file in the evidence store. The foreign key to `evidence` keeps the retention job from dropping the
 * tenant's record of the bytes while the report row names them.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE reports (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    kind text NOT NULL CHECK (kind IN ('readiness')),
    framework_id text NOT NULL CHECK (length(framework_id) BETWEEN 1 AND 200),
    framework_version text CHECK (length(framework_version) BETWEEN 1 AND 100),
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    scan_id uuid,
    sha256 text,
    size integer CHECK (size >= 0),
    content_type text,
    failure_code text,
    failure_message text,
    requested_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, sha256) REFERENCES evidence (tenant_id, sha256),
    CHECK ((status = 'succeeded') = (sha256 IS NOT NULL))
  )`,
  `CREATE INDEX reports_tenant_created ON reports (tenant_id, created_at DESC, id DESC)`,
  `ALTER TABLE reports ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE reports FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON reports USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, UPDATE ON reports TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS reports`);
}
