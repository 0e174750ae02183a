/**
 * Members and master-key rotation.
 *
 * Members: admins add, re-role and remove memberships of their own tenant (the tenant_isolation policy of
 * 0001 already confines every row to the current tenant), and may create a user account for a new member.
 * Users stay global: a tenant-scoped transaction may INSERT a user but still only sees users of its own
 * tenant (or the e-mail it looks up), never updates or deletes one.
 *
 * Key rotation: the runtime role may rewrap a tenant data key in place (only the wrapping columns, never the
 * tenant or version). Listing which tenants hold keys is a maintenance step run by the database owner (the
 * CLI), never by the runtime role: the enumeration policy admits only a role other than complywise_app that
 * has set app.maintenance = 'key-rotation'.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
const keyRotation = `current_user <> '${APP_ROLE}' AND current_setting('app.maintenance', true) = 'key-rotation'`;

const statements = [
  `GRANT INSERT, UPDATE, DELETE ON memberships TO ${APP_ROLE}`,
  `GRANT INSERT ON users TO ${APP_ROLE}`,
  `CREATE POLICY user_created_for_tenant ON users FOR INSERT WITH CHECK (${currentTenant} IS NOT NULL)`,
  `GRANT UPDATE (master_key_id, wrapped_key, wrap_iv, wrap_tag) ON tenant_keys TO ${APP_ROLE}`,
  `CREATE POLICY key_rotation_enumeration ON tenant_keys FOR SELECT USING (${keyRotation})`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP POLICY IF EXISTS key_rotation_enumeration ON tenant_keys`);
  await knex.raw(`REVOKE UPDATE ON tenant_keys FROM ${APP_ROLE}`);
  await knex.raw(`DROP POLICY IF EXISTS user_created_for_tenant ON users`);
  await knex.raw(`REVOKE INSERT ON users FROM ${APP_ROLE}`);
  await knex.raw(`REVOKE INSERT, UPDATE, DELETE ON memberships FROM ${APP_ROLE}`);
}
