/**
 * Initial schema: tenants, users, memberships, refresh tokens, tenant keys, integrations, scans, evidence,
 * findings, control results and framework scores, with row-level security on every table and the runtime
 * role `complywise_app`.
 *
 * One SQL statement per knex.raw: PGlite rejects multi-statement prepared statements.
 */
import type { Knex } from 'knex';

/** The runtime role every request and job switches to with SET LOCAL ROLE. */
export const APP_ROLE = 'complywise_app';

/** The current request's tenant, user, login e-mail and presented refresh-token hash (empty means unset). */
const setting = (name: string) => `NULLIF(current_setting('app.${name}', true), '')`;
const currentTenant = `${setting('tenant_id')}::uuid`;
const currentUser = `${setting('user_id')}::uuid`;

/** Tables whose rows belong to exactly one tenant, isolated by `tenant_id = current tenant`. */
export const TENANT_TABLES = [
  'tenant_keys',
  'integrations',
  'scans',
  'evidence',
  'findings',
  'control_results',
  'framework_scores',
] as const;

/** Creates a NOLOGIN role that cannot bypass RLS, unless it exists (also used by later migrations). */
export const createRoleStatement = (role: string) => `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
    CREATE ROLE ${role} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
EXCEPTION
  -- Roles are cluster-wide: another database migrating at the same moment may have created it first.
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$`;

/** A migrator that is not superuser must be a member of a role to SET ROLE to it. */
export const grantRoleToMigratorStatement = (role: string) => `
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, '${role}', 'MEMBER') THEN
    EXECUTE format('GRANT ${role} TO %I', current_user);
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
END
$$`;

const createRole = createRoleStatement(APP_ROLE);
const grantRoleToMigrator = grantRoleToMigratorStatement(APP_ROLE);

const tables = [
  `CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text NOT NULL,
    demo boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    display_name text,
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX users_email_key ON users (email)`,
  `CREATE TABLE memberships (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('admin', 'auditor', 'user')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
  )`,
  `CREATE INDEX memberships_user_idx ON memberships (user_id)`,
  `CREATE TABLE refresh_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    family_id uuid NOT NULL,
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    revoked_at timestamptz
  )`,
  `CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (user_id, family_id)`,
  `CREATE TABLE tenant_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key_version integer NOT NULL CHECK (key_version > 0),
    master_key_id text NOT NULL,
    wrapped_key text NOT NULL,
    wrap_iv text NOT NULL,
    wrap_tag text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key_version)
  )`,
  `CREATE TABLE integrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider text NOT NULL CHECK (provider IN ('aws', 'azure', 'github', 'okta')),
    name text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}',
    credentials_ciphertext text NOT NULL,
    credentials_iv text NOT NULL,
    credentials_tag text NOT NULL,
    key_version integer NOT NULL,
    demo boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, key_version) REFERENCES tenant_keys (tenant_id, key_version)
  )`,
  `CREATE TABLE scans (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    integration_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    progress jsonb NOT NULL DEFAULT '{}',
    errors jsonb NOT NULL DEFAULT '[]',
    bundle_revision text,
    failure_code text,
    failure_message text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX scans_tenant_created_idx ON scans (tenant_id, created_at DESC)`,
  `CREATE TABLE evidence (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size integer NOT NULL CHECK (size >= 0),
    content_type text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sha256)
  )`,
  `CREATE TABLE findings (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    scan_id uuid NOT NULL,
    rule_id text NOT NULL,
    rule_version text NOT NULL,
    rule_hash text NOT NULL,
    bundle_revision text NOT NULL,
    resource_id text NOT NULL,
    resource_type text NOT NULL,
    resource_name text NOT NULL DEFAULT '',
    status text NOT NULL CHECK (status IN ('pass', 'fail', 'not_applicable', 'error')),
    severity text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    message text NOT NULL,
    evidence_sha256 text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, scan_id, rule_id, resource_id),
    FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, evidence_sha256) REFERENCES evidence (tenant_id, sha256)
  )`,
  `CREATE TABLE control_results (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    scan_id uuid NOT NULL,
    control_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('pass', 'fail', 'not_applicable', 'error')),
    counts jsonb NOT NULL,
    rule_ids jsonb NOT NULL,
    UNIQUE (tenant_id, scan_id, control_id),
    FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE TABLE framework_scores (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL,
    scan_id uuid NOT NULL,
    framework_id text NOT NULL,
    framework_version text NOT NULL,
    title text NOT NULL,
    score double precision CHECK (score BETWEEN 0 AND 1),
    passed integer NOT NULL,
    failed integer NOT NULL,
    not_applicable integer NOT NULL,
    requirements jsonb NOT NULL,
    UNIQUE (tenant_id, scan_id, framework_id, framework_version),
    FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE
  )`,
];

/** ENABLE + FORCE (owners obey policies too) on a table. */
const lockDown = (table: string) => [
  `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
];

const policies = [
  ...TENANT_TABLES.flatMap((table) => [
    ...lockDown(table),
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  ]),
  // Tenants: the current one, plus (at login, before a tenant is chosen) those the current user belongs to.
  ...lockDown('tenants'),
  `CREATE POLICY tenant_self ON tenants USING (id = ${currentTenant}) WITH CHECK (id = ${currentTenant})`,
  `CREATE POLICY tenant_of_current_user ON tenants FOR SELECT USING (id IN (SELECT m.tenant_id FROM memberships m WHERE m.user_id = ${currentUser}))`,
  // Memberships: the current tenant's, plus the current user's own (to pick a tenant at login).
  ...lockDown('memberships'),
  `CREATE POLICY tenant_isolation ON memberships USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `CREATE POLICY own_memberships ON memberships FOR SELECT USING (user_id = ${currentUser})`,
  // Users are global: visible when they are the current user, the e-mail being logged in with, or members
  // of the current tenant; never a user of another tenant.
  ...lockDown('users'),
  `CREATE POLICY user_self ON users USING (id = ${currentUser} OR email = ${setting('login_email')}) WITH CHECK (id = ${currentUser})`,
  `CREATE POLICY users_of_current_tenant ON users FOR SELECT USING (id IN (SELECT m.user_id FROM memberships m WHERE m.tenant_id = ${currentTenant}))`,
  // Refresh tokens are keyed by user; a presented token is found by its hash, which only its holder knows.
  ...lockDown('refresh_tokens'),
  `CREATE POLICY own_tokens ON refresh_tokens USING (user_id = ${currentUser} OR token_hash = ${setting('refresh_token_hash')}) WITH CHECK (user_id = ${currentUser})`,
];

/** Exactly what the runtime role needs, nothing more (no DELETE on history, no DDL, no ownership). */
const grants = [
  `GRANT USAGE ON SCHEMA public TO ${APP_ROLE}`,
  `GRANT SELECT ON tenants, users, memberships TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT, UPDATE ON refresh_tokens TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT ON tenant_keys TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT, UPDATE, DELETE ON integrations TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT, UPDATE ON scans TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT ON evidence TO ${APP_ROLE}`,
  `GRANT SELECT, INSERT, UPDATE ON findings, control_results, framework_scores TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of [createRole, grantRoleToMigrator, ...tables, ...policies, ...grants]) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  const all = ['framework_scores', 'control_results', 'findings', 'evidence', 'scans', 'integrations'];
  for (const table of [...all, 'tenant_keys', 'refresh_tokens', 'memberships', 'users', 'tenants']) {
    await knex.raw(`DROP TABLE IF EXISTS ${table}`);
  }
  // The role is cluster-wide and may serve other databases: revoke here, never drop.
  await knex.raw(`REVOKE ALL ON SCHEMA public FROM ${APP_ROLE}`);
}
