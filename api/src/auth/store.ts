/**
 * The sign-in store: users by e-mail or id, their memberships, and refresh tokens (one row per issued token:
 * its sha256, family, expiry, when spent or revoked). At login the policies show only the user whose e-mail
 * is in the context (`loginEmail`), then that user's own memberships (`userId`); a refresh token is found
 * only by its hash (`refreshTokenHash`).
 */
import type { Role } from './role.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

export interface PublicUser {
  id: string;
  email: string;
  display_name: string | null;
}
export interface PublicTenant {
  id: string;
  slug: string;
  name: string;
  demo: boolean;
}

export interface MembershipRow {
  tenant_id: string;
  role: Role;
}
export interface RefreshRow {
  id: string;
  user_id: string;
  tenant_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** What the API shows of a user, if the policies show the user. */
export function findPublicUser(trx: Trx, userId: string): Promise<PublicUser | undefined> {
  return trx('users').select('id', 'email', 'display_name').where({ id: userId }).first();
}

/** What the API shows of a tenant, if the policies show it. */
export function findPublicTenant(trx: Trx, tenantId: string): Promise<PublicTenant | undefined> {
  return trx('tenants').select('id', 'slug', 'name', 'demo').where({ id: tenantId }).first();
}

/** The account with this (normalised) e-mail, with its password hash. */
export function findUserByEmail(
  trx: Trx,
  email: string,
): Promise<{ id: string; password_hash: string } | undefined> {
  return trx('users').select('id', 'password_hash').where({ email }).first();
}

/** The account's e-mail and password hash. */
export function findUserPassword(
  trx: Trx,
  userId: string,
): Promise<{ email: string; password_hash: string } | undefined> {
  return trx('users').select('email', 'password_hash').where({ id: userId }).first();
}

export async function updatePasswordHash(trx: Trx, userId: string, passwordHash: string): Promise<void> {
  await trx('users').where({ id: userId }).update({ password_hash: passwordHash });
}

/** The user's membership of `tenantId`, or without one their oldest membership. */
export function firstMembership(
  trx: Trx,
  userId: string,
  tenantId?: string,
): Promise<MembershipRow | undefined> {
  const query = trx('memberships').select('tenant_id', 'role').where({ user_id: userId });
  if (tenantId) query.andWhere({ tenant_id: tenantId });
  return query.orderBy([{ column: 'created_at' }, { column: 'tenant_id' }]).first();
}

/** The user's membership of exactly `tenantId`. */
export function findMembership(
  trx: Trx,
  userId: string,
  tenantId: string,
): Promise<MembershipRow | undefined> {
  return trx('memberships')
    .select('tenant_id', 'role')
    .where({ user_id: userId, tenant_id: tenantId })
    .first();
}

/** Every tenant the user belongs to (as far as the policies show). */
export function membershipTenants(trx: Trx, userId: string): Promise<{ tenant_id: string }[]> {
  return trx('memberships').select('tenant_id').where({ user_id: userId });
}

/**
 * The reads of appending to the ledger chain of `tenantId` (its lock, then its last entry), without the
 * insert: what a login no tenant records does so that it costs what a recorded one costs.
 */
export async function readLedgerHead(trx: Trx, tenantId: string): Promise<void> {
  await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 7))`, [`ledger:${tenantId}`]);
  await trx('ledger_entries').select('seq').where({ tenant_id: tenantId }).orderBy('seq', 'desc').first();
}

export async function insertRefreshToken(
  trx: Trx,
  row: { user_id: string; tenant_id: string; family_id: string; token_hash: string; expires_at: Date },
): Promise<void> {
  await trx('refresh_tokens').insert(row);
}

/** The refresh token with this hash, if the policies show it. */
export function findRefreshByHash(trx: Trx, tokenHash: string): Promise<RefreshRow | undefined> {
  return trx('refresh_tokens').where({ token_hash: tokenHash }).first();
}

/** Spends a live refresh token; false when it was already spent or revoked (a race lost). */
export async function spendRefreshToken(trx: Trx, id: string): Promise<boolean> {
  const spent = await trx('refresh_tokens')
    .where({ id })
    .whereNull('used_at')
    .whereNull('revoked_at')
    .update({ used_at: trx.fn.now() });
  return spent === 1;
}

export async function revokeFamily(trx: Trx, userId: string, familyId: string): Promise<void> {
  await trx('refresh_tokens')
    .where({ user_id: userId, family_id: familyId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Revokes every live refresh token of a user (logout). */
export async function revokeAllOf(trx: Trx, userId: string): Promise<void> {
  await trx('refresh_tokens')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Revokes every live refresh token of a user but those of session `keptFamilyId`; returns how many. */
export function revokeAllBut(trx: Trx, userId: string, keptFamilyId: string): Promise<number> {
  return trx('refresh_tokens')
    .where({ user_id: userId })
    .whereNot({ family_id: keptFamilyId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Lets the rest of the transaction see the user's own rows (own_tokens policy), once a token named them. */
export async function actAsUser(trx: Trx, userId: string): Promise<void> {
  await trx.raw(`select set_config('app.user_id', ?, true)`, [userId]);
}

/** The role of a live (unrevoked, unexpired) session whose user is still a member of the tenant. */
export function liveSessionRole(
  trx: Trx,
  userId: string,
  tenantId: string,
  sessionId: string,
): Promise<{ role: Role } | undefined> {
  return trx('refresh_tokens as r')
    .join('memberships as m', function () {
      this.on('m.user_id', 'r.user_id').andOn('m.tenant_id', 'r.tenant_id');
    })
    .where({ 'r.user_id': userId, 'r.tenant_id': tenantId, 'r.family_id': sessionId })
    .whereNull('r.revoked_at')
    .where('r.expires_at', '>', trx.fn.now())
    .first('m.role');
}
