/**
 * Password resets and self-service sign-up.
 *
 * `password_resets` holds the sha256 of each mailed reset token (1 hour, single use). The public confirm
 * route does not know the account yet: like an invitation, a reset is found by its hash alone through a
 * narrow SELECT policy keyed on `app.reset_token_hash`; requesting and spending one run as its account
 * (`app.user_id`).
 *
 * `signups` holds a pending sign-up (organization name, e-mail, token hash; 24 hours, single use). Nothing
 * else exists until the e-mailed token comes back: the row is readable and updatable only by whoever
 * presents its token (`app.signup_token_hash`). Completing it records the id of the tenant it creates, and
 * the runtime role may insert a tenant only with exactly that id, while presenting that token (a restrictive
 * policy for the runtime role alone: the owner's bootstrap and `complywise tenants create` are unaffected).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const setting = (name: string) => `NULLIF(current_setting('app.${name}', true), '')`;
const currentUser = `${setting('user_id')}::uuid`;
const tokenHash = `CHECK (token_hash ~ '^[0-9a-f]{64}$')`;
const lowerEmail = `CHECK (email = lower(email) AND position('@' in email) > 1)`;

const statements = [
  `CREATE TABLE password_resets (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE ${tokenHash},
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  )`,
  `CREATE INDEX password_resets_user ON password_resets (user_id)`,
  `ALTER TABLE password_resets ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE password_resets FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY own_resets ON password_resets USING (user_id = ${currentUser}) WITH CHECK (user_id = ${currentUser})`,
  `CREATE POLICY presented_reset ON password_resets FOR SELECT USING (token_hash = ${setting('reset_token_hash')})`,
  `GRANT SELECT, INSERT, UPDATE ON password_resets TO ${APP_ROLE}`,
  `CREATE TABLE signups (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL ${lowerEmail},
    organization_name text NOT NULL CHECK (length(organization_name) BETWEEN 1 AND 200),
    token_hash text NOT NULL UNIQUE ${tokenHash},
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    completed_at timestamptz,
    completed_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_tenant_id uuid
  )`,
  `ALTER TABLE signups ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE signups FORCE ROW LEVEL SECURITY`,
  // Anyone may ask (the answer never says more); a new row cannot claim to be completed.
  `CREATE POLICY signup_requested ON signups FOR INSERT WITH CHECK (completed_at IS NULL AND created_tenant_id IS NULL)`,
  `CREATE POLICY presented_signup ON signups USING (token_hash = ${setting('signup_token_hash')}) WITH CHECK (token_hash = ${setting('signup_token_hash')})`,
  `GRANT SELECT, INSERT, UPDATE ON signups TO ${APP_ROLE}`,
  `GRANT INSERT ON tenants TO ${APP_ROLE}`,
  `CREATE POLICY tenant_created_by_signup ON tenants AS RESTRICTIVE FOR INSERT TO ${APP_ROLE}
    WITH CHECK (id IN (SELECT s.created_tenant_id FROM signups s WHERE s.token_hash = ${setting('signup_token_hash')}))`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP POLICY IF EXISTS tenant_created_by_signup ON tenants`);
  await knex.raw(`REVOKE INSERT ON tenants FROM ${APP_ROLE}`);
  await knex.raw(`DROP TABLE IF EXISTS signups`);
  await knex.raw(`DROP TABLE IF EXISTS password_resets`);
}
