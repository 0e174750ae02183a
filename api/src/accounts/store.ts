/**
 * The account store: global accounts (users) by e-mail, their password hash, their memberships and their
 * refresh tokens. The caller's transaction decides what the row-level security policies show: the e-mail
 * as `loginEmail` to find an account, the account as `userId` for its own row, tokens and memberships, a
 * tenant to add a member to it.
 */
import type { Role } from '../auth/role.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

/** The id of the account with this e-mail (needs the e-mail as `loginEmail` in the context). */
export async function accountIdOf(trx: Trx, email: string): Promise<string | undefined> {
  const row: { id: string } | undefined = await trx('users').select('id').where({ email }).first();
  return row?.id;
}

/** The e-mail of an account (needs the account as `userId` in the context). */
export async function emailOf(trx: Trx, userId: string): Promise<string | undefined> {
  const row: { email: string } | undefined = await trx('users').select('email').where({ id: userId }).first();
  return row?.email;
}

export async function insertAccount(
  trx: Trx,
  account: { id: string; email: string; password_hash: string },
): Promise<void> {
  await trx('users').insert(account);
}

/** Replaces an account's password hash (its own row: the account as `userId`). */
export async function setPasswordHash(trx: Trx, userId: string, passwordHash: string): Promise<void> {
  await trx('users').where({ id: userId }).update({ password_hash: passwordHash });
}

/** Revokes every live refresh token of an account, in every tenant; returns how many. */
export function revokeRefreshTokensOf(trx: Trx, userId: string): Promise<number> {
  return trx('refresh_tokens')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** The tenants an account is a member of (its own memberships: the account as `userId`). */
export function tenantIdsOf(trx: Trx, userId: string): Promise<string[]> {
  return trx('memberships').where({ user_id: userId }).orderBy('tenant_id').pluck('tenant_id');
}

/** Adds the membership; false when the account already is a member. */
export async function insertMembership(
  trx: Trx,
  tenantId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const inserted = await trx('memberships')
    .insert({ tenant_id: tenantId, user_id: userId, role })
    .onConflict(['tenant_id', 'user_id'])
    .ignore()
    .returning('user_id');
  return inserted.length === 1;
}
