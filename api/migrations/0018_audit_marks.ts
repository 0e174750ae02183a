/**
 * Auditor feedback: an auditor of an audit marks a framework requirement's evidence `accepted`, `flagged`
 * (with a comment) or `not_applicable`. Marks are appended, never edited: the newest mark of a requirement in
 * an audit is its current one, and the history stays (each mark is also a ledger entry).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE audit_marks (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    audit_id uuid NOT NULL,
    framework_id text NOT NULL CHECK (length(framework_id) BETWEEN 1 AND 200),
    framework_version text NOT NULL CHECK (length(framework_version) BETWEEN 1 AND 100),
    requirement_id text NOT NULL CHECK (length(requirement_id) BETWEEN 1 AND 200),
    mark text NOT NULL CHECK (mark IN ('accepted', 'flagged', 'not_applicable')),
    comment text CHECK (length(comment) <= 4000),
    marked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    marked_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE,
    CHECK (mark <> 'flagged' OR length(comment) > 0)
  )`,
  `CREATE INDEX audit_marks_requirement ON audit_marks (tenant_id, audit_id, framework_id, framework_version, requirement_id, marked_at DESC)`,
  `ALTER TABLE audit_marks ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE audit_marks FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON audit_marks USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT ON audit_marks TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS audit_marks`);
}
