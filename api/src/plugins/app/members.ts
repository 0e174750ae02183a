/**
 * Members of a tenant: who may sign in to it and with which role. Admins change a member's role and remove a
 * member; members join only by accepting an invitation (api/src/invitations). Every change is one
 * transaction with its ledger entry; a tenant always keeps at least one admin.
 */
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.ts';
import type { LedgerService } from '../../ledger/ledger.ts';
import { applyPage, decodeCursor, toPage, type SortKey } from '../../pagination.ts';
import type { Role } from '../../auth/role.ts';
import type { Trx, WithContext } from './tenancy.ts';

/** What the API shows of a member (never a password hash). */
export interface MemberView {
  user_id: string;
  email: string;
  display_name: string | null;
  role: Role;
  created_at: Date;
}

const MEMBER_COLUMNS = ['m.user_id', 'u.email', 'u.display_name', 'm.role', 'm.created_at'];

const notFound = (userId: string) => new ApiError('MEMBER_NOT_FOUND', `no member ${userId} in this tenant`);

/**
 * Locks the tenant's admin memberships and the target's, so two admins demoting or removing each other at
 * the same time cannot both pass the last-admin check. Returns the target's role (undefined: no member).
 */
async function lockForChange(
  trx: Trx,
  tenantId: string,
  userId: string,
): Promise<{ role: Role | undefined; admins: number }> {
  // The explicit tenant filter matters: with the user's id in the context, their memberships of other
  // tenants are visible too (own_memberships policy).
  const rows: { user_id: string; role: Role }[] = await trx('memberships')
    .select('user_id', 'role')
    .where({ tenant_id: tenantId })
    .andWhere((q) => q.where({ role: 'admin' }).orWhere({ user_id: userId }))
    .forUpdate();
  return {
    role: rows.find((r) => r.user_id === userId)?.role,
    admins: rows.filter((r) => r.role === 'admin').length,
  };
}

function refuseLastAdmin(current: Role, next: Role | null, admins: number): void {
  if (current === 'admin' && next !== 'admin' && admins <= 1) {
    throw new ApiError('LAST_ADMIN', 'this is the last admin of the tenant: make another member admin first');
  }
}

/** Revokes the API tokens `userId` created in the tenant of `trx`; returns how many were live. */
async function revokeApiTokensOf(trx: Trx, userId: string): Promise<number> {
  return trx('api_tokens')
    .where({ created_by: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Tenant-scoped member reads and writes. */
export class MemberService {
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService;
  constructor(withContext: WithContext, ledger: LedgerService) {
    this.#withContext = withContext;
    this.#ledger = ledger;
  }

  async #view(trx: Trx, userId: string): Promise<MemberView> {
    const row: MemberView | undefined = await trx('memberships as m')
      .join('users as u', 'u.id', 'm.user_id')
      .select(MEMBER_COLUMNS)
      .where('m.user_id', userId)
      .first();
    if (!row) throw notFound(userId);
    return row;
  }

  /** One page of members, by e-mail. */
  list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: MemberView[]; next_cursor: string | null }> {
    const order: SortKey[] = [
      { column: 'u.email', direction: 'asc' },
      { column: 'm.user_id', direction: 'asc' },
    ];
    const after = options.cursor ? decodeCursor(options.cursor, 'email', order) : null;
    return this.#withContext({ tenantId }, async (trx) => {
      const query = trx('memberships as m').join('users as u', 'u.id', 'm.user_id').select(MEMBER_COLUMNS);
      const rows = await applyPage(query, order, after, options.limit);
      return toPage(rows as Record<string, unknown>[], options.limit, 'email', order) as unknown as {
        items: MemberView[];
        next_cursor: string | null;
      };
    });
  }

  /**
   * Changes a member's role. Demoting the last admin answers 409 LAST_ADMIN. A member who stops being an
   * admin loses the API tokens they created (only admins may create them, so they carried admin trust).
   */
  changeRole(tenantId: string, actor: string, userId: string, role: Role): Promise<MemberView> {
    return this.#withContext({ tenantId }, async (trx) => {
      const { role: current, admins } = await lockForChange(trx, tenantId, userId);
      if (!current) throw notFound(userId);
      if (current === role) return this.#view(trx, userId);
      refuseLastAdmin(current, role, admins);
      await trx('memberships').where({ user_id: userId }).update({ role });
      const apiTokensRevoked = current === 'admin' ? await revokeApiTokensOf(trx, userId) : 0;
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'member.role_changed',
          actor,
          payload: { user_id: userId, from: current, to: role, api_tokens_revoked: apiTokensRevoked },
        },
      ]);
      return this.#view(trx, userId);
    });
  }

  /**
   * Removes a member: the membership, every refresh token of theirs for this tenant and every API token they
   * created here, in one transaction. Removing the last admin answers 409 LAST_ADMIN. Access tokens already
   * issued are refused from then on: their session is over (AuthService.verify).
   */
  remove(tenantId: string, actor: string, userId: string): Promise<void> {
    // The removed user's id in the context lets the own_tokens policy reach their refresh tokens (as at
    // logout); the tenant id still confines every other statement to this tenant.
    return this.#withContext({ tenantId, userId }, async (trx) => {
      const { role: current, admins } = await lockForChange(trx, tenantId, userId);
      if (!current) throw notFound(userId);
      refuseLastAdmin(current, null, admins);
      await trx('memberships').where({ tenant_id: tenantId, user_id: userId }).delete();
      const refreshTokensRevoked = await trx('refresh_tokens')
        .where({ user_id: userId, tenant_id: tenantId })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now() });
      const apiTokensRevoked = await revokeApiTokensOf(trx, userId);
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'member.removed',
          actor,
          payload: {
            user_id: userId,
            role: current,
            refresh_tokens_revoked: refreshTokensRevoked,
            api_tokens_revoked: apiTokensRevoked,
          },
        },
      ]);
    });
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    members: MemberService;
  }
}

/** Decorates `app.members`. */
export const membersPlugin = fp(
  async (app) => {
    app.decorate('members', new MemberService(app.withContext, app.ledger));
  },
  { name: 'members', dependencies: ['tenancy', 'ledger'] },
);
