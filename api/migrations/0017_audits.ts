/**
 * Audits: a named audit period over one or more frameworks, opened and closed by an admin, with the auditors
 * invited to it (by e-mail: an invitee who has not joined yet is listed as invited). A closed audit is read
 * only and keeps its package: the zip made when it closed, stored in the evidence store under its sha256 (the
 * foreign key to `evidence` keeps retention from dropping the tenant's record of those bytes).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

function isolated(table: string, grants: string): string[] {
  return [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
    `GRANT ${grants} ON ${table} TO ${APP_ROLE}`,
  ];
}

const statements = [
  `CREATE TABLE audits (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    frameworks jsonb NOT NULL CHECK (jsonb_typeof(frameworks) = 'array' AND jsonb_array_length(frameworks) > 0),
    period_start timestamptz NOT NULL,
    period_end timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    closed_at timestamptz,
    package_sha256 text,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, package_sha256) REFERENCES evidence (tenant_id, sha256),
    CHECK (period_start < period_end),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
    CHECK (package_sha256 IS NULL OR status = 'closed')
  )`,
  `CREATE INDEX audits_tenant_created ON audits (tenant_id, created_at DESC, id DESC)`,
  ...isolated('audits', 'SELECT, INSERT, UPDATE'),
  `CREATE TABLE audit_auditors (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    audit_id uuid NOT NULL,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    invitation_id uuid,
    added_by uuid REFERENCES users (id) ON DELETE SET NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, audit_id, email),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE
  )`,
  ...isolated('audit_auditors', 'SELECT, INSERT'),
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS audit_auditors`);
  await knex.raw(`DROP TABLE IF EXISTS audits`);
}
