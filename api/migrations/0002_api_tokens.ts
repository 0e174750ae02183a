/**
 * API tokens for automation (CI pipelines, scheduled exports): scoped to one tenant and one role, stored
 * only as sha256, expiring, revocable, with their last use. Row-level security as for every tenant table;
 * a presented token is found by its hash (`app.api_token_hash`) before its tenant is known, like a refresh
 * token.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const setting = (name: string) => `NULLIF(current_setting('app.${name}', true), '')`;
const currentTenant = `${setting('tenant_id')}::uuid`;

const statements = [
  `CREATE TABLE api_tokens (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'auditor', 'user')),
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used_at timestamptz,
    UNIQUE (tenant_id, name)
  )`,
  `ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON api_tokens USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `CREATE POLICY presented_token ON api_tokens FOR SELECT USING (token_hash = ${setting('api_token_hash')})`,
  // No DELETE: a revoked token stays listed (who made it, when it was last used).
  `GRANT SELECT, INSERT, UPDATE ON api_tokens TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS api_tokens`);
}
