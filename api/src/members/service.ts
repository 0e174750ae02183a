/**
 * Members of a tenant: who may sign in to it and with which role. Admins change a member's role and remove a
 * member; members join only by accepting an invitation (api/src/invitations). Every change is one
 * transaction with its ledger entry; a tenant always keeps at least one admin.
 */
import type { Role } from '../auth/role.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { Trx, WithContext } from '../plugins/app/tenancy.ts';
import {
  deleteMembership,
  findMember,
  listMemberPage,
  lockAdminsAnd,
  revokeApiTokensOf,
  revokeRefreshTokensIn,
  updateMemberRole,
  type MemberView,
} from './store.ts';

const notFound = (userId: string) => new ApiError('MEMBER_NOT_FOUND', `no member ${userId} in this tenant`);

/**
 * Locks the tenant's admin memberships and the target's (see lockAdminsAnd). Returns the target's role
 * (undefined: no member) and how many admins the tenant has.
 */
async function lockForChange(
  trx: Trx,
  tenantId: string,
  userId: string,
): Promise<{ role: Role | undefined; admins: number }> {
  const rows = await lockAdminsAnd(trx, tenantId, userId);
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

/** Tenant-scoped member reads and writes. */
export class MemberService {
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService;
  constructor(withContext: WithContext, ledger: LedgerService) {
    this.#withContext = withContext;
    this.#ledger = ledger;
  }

  async #view(trx: Trx, userId: string): Promise<MemberView> {
    const row = await findMember(trx, userId);
    if (!row) throw notFound(userId);
    return row;
  }

  /** One page of members, by e-mail. */
  list(
    tenantId: string,
    options: { limit: number; cursor?: string },
  ): Promise<{ items: MemberView[]; next_cursor: string | null }> {
    return this.#withContext({ tenantId }, (trx) => listMemberPage(trx, options));
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
      await updateMemberRole(trx, userId, role);
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
      await deleteMembership(trx, tenantId, userId);
      const refreshTokensRevoked = await revokeRefreshTokensIn(trx, tenantId, userId);
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
