/**
 * The invitation store: pending invitations of a tenant (by e-mail, with role and expiry), found by the
 * sha256 of their token, accepted or revoked once by a conditional update (accounts and memberships are
 * written through accounts/store.ts). The caller's transaction decides what the row-level security policies
 * show: the tenant context for everything but the token lookup, which sees only the presented hash.
 */
import type { Role } from '../auth/role.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../pagination.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

/** What the API shows of an invitation (never the token or its hash). */
export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  invited_by: string | null;
  created_at: Date;
  expires_at: Date;
}

/** An invitation row as accepting reads it. */
export interface InvitationRow extends InvitationView {
  tenant_id: string;
  accepted_at: Date | null;
  revoked_at: Date | null;
}

const VIEW_COLUMNS = ['id', 'email', 'role', 'invited_by', 'created_at', 'expires_at'];

const pending = (query: ReturnType<Trx>) => query.whereNull('accepted_at').whereNull('revoked_at');

export async function insertInvitation(
  trx: Trx,
  row: {
    tenant_id: string;
    email: string;
    role: Role;
    token_hash: string;
    invited_by: string | null;
    expires_at: Date;
  },
): Promise<InvitationView> {
  const [view] = await trx('invitations').insert(row).returning(VIEW_COLUMNS);
  return view as InvitationView;
}

/** Revokes the pending invitations of `email` (a new invitation replaces them); returns how many. */
export function revokePendingOf(trx: Trx, email: string, actor: string | null): Promise<number> {
  return pending(trx('invitations').where({ email })).update({ revoked_at: trx.fn.now(), revoked_by: actor });
}

/** Revokes one pending invitation; false when there is no such pending invitation. */
export async function revokeInvitation(trx: Trx, id: string, actor: string): Promise<boolean> {
  const count = await pending(trx('invitations').where({ id })).update({
    revoked_at: trx.fn.now(),
    revoked_by: actor,
  });
  return count === 1;
}

/** One page of the tenant's pending invitations (expired ones included, so admins see and renew them). */
export async function listPendingPage(
  trx: Trx,
  options: { limit: number; cursor?: string },
): Promise<{ items: InvitationView[]; next_cursor: string | null }> {
  const order: SortKey[] = [
    { column: 'email', direction: 'asc' },
    { column: 'id', direction: 'asc' },
  ];
  const after = options.cursor ? decodeCursor(options.cursor, 'email', order) : null;
  const rows = await applyPage(pending(trx('invitations').select(VIEW_COLUMNS)), order, after, options.limit);
  return toPage(rows as Record<string, unknown>[], options.limit, 'email', order) as unknown as {
    items: InvitationView[];
    next_cursor: string | null;
  };
}

/** The invitation with this token hash (the presented_invitation policy shows only that one). */
export async function findByTokenHash(trx: Trx, tokenHash: string): Promise<InvitationRow | undefined> {
  return trx('invitations')
    .select([...VIEW_COLUMNS, 'tenant_id', 'accepted_at', 'revoked_at'])
    .where({ token_hash: tokenHash })
    .first();
}

/** Marks a pending, unexpired invitation accepted; false when another request used it first. */
export async function markAccepted(trx: Trx, id: string, userId: string): Promise<boolean> {
  const count = await pending(trx('invitations').where({ id }))
    .where('expires_at', '>', trx.fn.now())
    .update({ accepted_at: trx.fn.now(), accepted_by: userId });
  return count === 1;
}

/** Whether an account with this e-mail is a member of the current tenant. */
export async function isMemberEmail(trx: Trx, email: string): Promise<boolean> {
  const row = await trx('memberships as m')
    .join('users as u', 'u.id', 'm.user_id')
    .where('u.email', email)
    .first('m.user_id');
  return row !== undefined;
}
