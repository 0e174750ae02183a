/**
 * Invitations: an admin invites an e-mail with a role, and only the person holding the e-mailed token can
 * accept it (setting their own password for a new account, or consenting while signed in to an existing
 * one). No admin ever sets or learns another person's password.
 *
 * Only the sha256 of the random token is stored. The accept endpoint is public and does not know the tenant
 * yet: like a refresh or API token, the invitation is found by its hash alone through a narrow SELECT policy
 * keyed on `app.invitation_token_hash` (no SECURITY DEFINER function, no owner connection on a request).
 * Everything after the lookup runs in the invitation's tenant context.
 *
 * Users may also change their own password now (UPDATE of password_hash, own row only by the user_self
 * policy of 0001).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const setting = (name: string) => `NULLIF(current_setting('app.${name}', true), '')`;
const currentTenant = `${setting('tenant_id')}::uuid`;

const statements = [
  `CREATE TABLE invitations (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (email = lower(email) AND position('@' in email) > 1),
    role text NOT NULL CHECK (role IN ('admin', 'auditor', 'user')),
    token_hash text NOT NULL CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at timestamptz,
    revoked_by uuid REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (tenant_id, id),
    CONSTRAINT invitations_token_hash_key UNIQUE (tenant_id, token_hash)
  )`,
  `CREATE INDEX invitations_token_hash ON invitations (token_hash)`,
  `CREATE INDEX invitations_pending ON invitations (tenant_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL`,
  `ALTER TABLE invitations ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE invitations FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON invitations USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `CREATE POLICY presented_invitation ON invitations FOR SELECT USING (token_hash = ${setting('invitation_token_hash')})`,
  `GRANT SELECT, INSERT, UPDATE ON invitations TO ${APP_ROLE}`,
  // A signed-in user changes their own password: the user_self policy admits only their own row.
  `GRANT UPDATE (password_hash) ON users TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`REVOKE UPDATE (password_hash) ON users FROM ${APP_ROLE}`);
  await knex.raw(`DROP TABLE IF EXISTS invitations`);
}
