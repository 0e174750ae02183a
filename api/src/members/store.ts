/**
 * The member store: memberships joined to their users, as a tenant sees them. Functions take the tenant
 * transaction; with a user's id in the context too, that user's memberships of other tenants are visible
 * (own_memberships policy), so every write names the tenant or runs where only one tenant is in view.
 */
import type { Role } from '../auth/role.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

/** What the API shows of a member (never a password hash). */
export interface MemberView {
  user_id: string;
  email: string;
  display_name: string | null;
  role: Role;
  created_at: Date;
}

const MEMBER_COLUMNS = ['m.user_id', 'u.email', 'u.display_name', 'm.role', 'm.created_at'];

/** The member `userId` of the tenant in view, if any. */
export function findMember(trx: Trx, userId: string): Promise<MemberView | undefined> {
  return trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.user_id', userId)
    .first();
}

const LIST_ORDER: SortKey[] = [
  { column: 'u.email', direction: 'asc' },
  { column: 'm.user_id', direction: 'asc' },
];

/** One page of the tenant's members, by e-mail. */
export async function listMemberPage(
  trx: Trx,
  options: { limit: number; cursor?: string },
): Promise<{ items: MemberView[]; next_cursor: string | null }> {
  const after = options.cursor ? decodeCursor(options.cursor, 'email', LIST_ORDER) : null;
  const query = trx('memberships as m').join('users as u', 'u.id', 'm.user_id').select(MEMBER_COLUMNS);
  const rows = await applyPage(query, LIST_ORDER, after, options.limit);
  return toPage(rows as Record<string, unknown>[], options.limit, 'email', LIST_ORDER) as unknown as {
    items: MemberView[];
    next_cursor: string | null;
  };
}

/**
 * Locks the tenant's admin memberships and the target's, so two admins demoting or removing each other at
 * the same time cannot both pass the last-admin check.
 */
export function lockAdminsAnd(
  trx: Trx,
  tenantId: string,
  userId: string,
): Promise<{ user_id: string; role: Role }[]> {
  // The explicit tenant filter matters: with the user's id in the context, their memberships of other
  // tenants are visible too (own_memberships policy).
  return trx('memberships')
    .select('user_id', 'role')
    .where({ tenant_id: tenantId })
    .andWhere((q) => q.where({ role: 'admin' }).orWhere({ user_id: userId }))
    .forUpdate();
}

export async function updateMemberRole(trx: Trx, userId: string, role: Role): Promise<void> {
  await trx('memberships').where({ user_id: userId }).update({ role });
}

export async function deleteMembership(trx: Trx, tenantId: string, userId: string): Promise<void> {
  await trx('memberships').where({ tenant_id: tenantId, user_id: userId }).delete();
}

/** Revokes the live refresh tokens of `userId` in `tenantId`; returns how many there were. */
export function revokeRefreshTokensIn(trx: Trx, tenantId: string, userId: string): Promise<number> {
  return trx('refresh_tokens')
    .where({ user_id: userId, tenant_id: tenantId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Revokes the API tokens `userId` created in the tenant of `trx`; returns how many were live. */
export function revokeApiTokensOf(trx: Trx, userId: string): Promise<number> {
  return trx('api_tokens')
    .where({ created_by: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** The member of the tenant in view whose account has `email` (already normalized), if any. */
export function findMemberByEmail(trx: Trx, email: string): Promise<MemberView | undefined> {
  return trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('u.email', email)
    .first();
}
