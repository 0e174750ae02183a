/**
 * What the demo seed writes outside the integrations: the demo tenant, its admin user and the membership
 * between them. Every function runs in the seed's owner transaction and is idempotent, so the seed can run
 * at every start.
 */
import type { Trx } from '../plugins/app/tenancy.ts';

/** The id of the user with this e-mail, or undefined. */
export async function userIdByEmail(trx: Trx, email: string): Promise<string | undefined> {
  const row: { id: string } | undefined = await trx('users').select('id').where({ email }).first();
  return row?.id;
}

/** Creates the tenant, or refreshes its name and demo flag (its slug stays). */
export async function upsertTenant(
  trx: Trx,
  tenant: { id: string; slug: string; name: string; demo: boolean },
): Promise<void> {
  await trx('tenants').insert(tenant).onConflict('id').merge(['name', 'demo']);
}

/** Creates the user unless one with this e-mail exists. */
export async function insertUserIfAbsent(
  trx: Trx,
  user: { id: string; email: string; display_name: string; password_hash: string },
): Promise<void> {
  await trx('users').insert(user).onConflict('email').ignore();
}

/** Makes the user a member of the tenant with `role`, unless it is one already (its role then stays). */
export async function insertMembershipIfAbsent(
  trx: Trx,
  membership: { tenant_id: string; user_id: string; role: string },
): Promise<void> {
  await trx('memberships').insert(membership).onConflict(['tenant_id', 'user_id']).ignore();
}
