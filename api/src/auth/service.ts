/**
 * Authentication: password login, rotating single-use refresh tokens (reuse of a spent one revokes its whole
 * family), logout, password change and the check of an access token's session. All database work runs as
 * the runtime role: at login the policies only reveal the user whose e-mail was given, then that user's own
 * memberships; a refresh token is found only by its hash.
 */
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { hashPassword, verifyAgainstDummy, verifyPassword } from '../plugins/app/passwords.ts';
import { SessionCache } from '../plugins/app/session-cache.ts';
import { skipCommitFlush, type Trx, type WithContext } from '../plugins/app/tenancy.ts';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  REFRESH_TOKEN_TTL_SECONDS,
  hashRefreshToken,
  newRefreshToken,
  AccessTokenVerifier,
  signAccessToken,
  type AccessClaims,
} from '../plugins/app/tokens.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import type { Role } from './role.ts';
import {
  actAsUser,
  findMembership,
  findPublicTenant,
  findPublicUser,
  findRefreshByHash,
  findUserByEmail,
  findUserPassword,
  firstMembership,
  insertRefreshToken,
  liveSessionRole,
  membershipTenants,
  readLedgerHead,
  revokeAllBut,
  revokeAllOf,
  revokeFamily,
  spendRefreshToken,
  updatePasswordHash,
  type PublicTenant,
  type PublicUser,
} from './store.ts';

/** The body of a successful login or refresh. */
export interface Session {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
  user: PublicUser;
  tenant: PublicTenant;
  role: Role;
}

/** The user id looked up for an unknown e-mail: a valid UUID no account has (ids are random v4). */
const NO_ONE = '00000000-0000-0000-0000-000000000000';

const invalidCredentials = () => new ApiError('INVALID_CREDENTIALS', 'e-mail or password is wrong');
const invalidRefresh = () =>
  new ApiError('INVALID_REFRESH_TOKEN', 'refresh token is invalid, expired or already used');

async function readUser(trx: Trx, userId: string): Promise<PublicUser> {
  const user = await findPublicUser(trx, userId);
  if (!user) throw invalidCredentials();
  return user;
}

async function readTenant(trx: Trx, tenantId: string): Promise<PublicTenant> {
  const tenant = await findPublicTenant(trx, tenantId);
  if (!tenant) throw new ApiError('NO_MEMBERSHIP', 'you are not a member of this tenant');
  return tenant;
}

/**
 * How long a session found live (and its role) is taken on trust by this process. What this process itself
 * does (logout, removal, role change) applies at once; another API process's changes within this time.
 */
const SESSION_CHECK_TTL_MS = 5_000;

/** An access token whose session was signed out, or whose user left the tenant. */
export class SessionEnded extends Error {
  constructor() {
    super('this session has ended (signed out, or no longer a member of the tenant): sign in again');
    this.name = 'SessionEnded';
  }
}

/** Login, refresh and logout over the runtime role. */
export class AuthService {
  readonly #withContext: WithContext;
  readonly #secret: Uint8Array;
  readonly #ledger: LedgerService | undefined;
  readonly #sessions: SessionCache;
  readonly #accessTokens: AccessTokenVerifier;
  constructor(
    withContext: WithContext,
    secret: Uint8Array,
    ledger?: LedgerService,
    sessionCheckTtlMs = SESSION_CHECK_TTL_MS,
  ) {
    this.#withContext = withContext;
    this.#secret = secret;
    this.#ledger = ledger;
    this.#sessions = new SessionCache(sessionCheckTtlMs);
    this.#accessTokens = new AccessTokenVerifier(secret);
  }

  /** Issues an access token and a new refresh token of `familyId` for a membership (inside `trx`). */
  async #issue(trx: Trx, userId: string, tenantId: string, role: Role, familyId: string): Promise<Session> {
    const refreshToken = newRefreshToken();
    await insertRefreshToken(trx, {
      user_id: userId,
      tenant_id: tenantId,
      family_id: familyId,
      token_hash: hashRefreshToken(refreshToken),
      expires_at: new Date(Date.now() + REFRESH_TOKEN_TTL_SECONDS * 1000),
    });
    return {
      access_token: await signAccessToken(this.#secret, { userId, tenantId, role, sessionId: familyId }),
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      refresh_token: refreshToken,
      refresh_expires_in: REFRESH_TOKEN_TTL_SECONDS,
      user: await readUser(trx, userId),
      tenant: await readTenant(trx, tenantId),
      role,
    };
  }

  /**
   * Checks e-mail and password; picks `tenantId` or the user's oldest membership. A wrong password for a
   * known e-mail and any password for an unknown one take the same path: one user lookup, one argon2 verify
   * (against a dummy hash for the unknown), one membership lookup (of no one for the unknown) and the ledger
   * entries, so the answer time does not tell which e-mails have accounts (bench/login/run.ts measures it).
   */
  async login(email: string, password: string, tenantId?: string): Promise<Session> {
    const loginEmail = email.trim().toLowerCase();
    const user: { id: string; password_hash: string } | undefined = await this.#withContext(
      { loginEmail },
      (trx) => findUserByEmail(trx, loginEmail),
    );
    // Hash outside any transaction: the embedded database has a single connection.
    const ok = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDummy(password);
    if (!user || !ok) {
      await this.#recordFailedLogin(user?.id ?? NO_ONE);
      throw invalidCredentials();
    }

    const membership = await this.#withContext({ userId: user.id }, (trx) =>
      firstMembership(trx, user.id, tenantId),
    );
    if (!membership) throw new ApiError('NO_MEMBERSHIP', 'this account is not a member of that tenant');
    const { tenant_id: chosen, role } = membership;
    return this.#withContext({ userId: user.id, tenantId: chosen }, async (trx) => {
      const session = await this.#issue(trx, user.id, chosen, role, randomUUID());
      await this.#ledger?.append(trx, chosen, [
        { kind: 'auth.login.succeeded', actor: user.id, payload: { role } },
      ]);
      return session;
    });
  }

  /**
   * A wrong password for a known account goes into the ledger of every tenant the account belongs to. Called
   * for unknown e-mails too (with NO_ONE, who belongs nowhere), so both run the same membership lookup.
   */
  async #recordFailedLogin(userId: string): Promise<void> {
    const ledger = this.#ledger;
    const tenants = await this.#withContext({ userId }, (trx) => membershipTenants(trx, userId));
    if (!ledger) return;
    if (tenants.length === 0) return this.#decoyLedgerWork();
    for (const { tenant_id } of tenants) {
      await this.#withContext({ userId, tenantId: tenant_id }, async (trx) => {
        // As cheap to commit as the decoy of an unknown e-mail is to read; a crash may lose this entry.
        await skipCommitFlush(trx);
        await ledger.append(trx, tenant_id, [{ kind: 'auth.login.failed', actor: userId }]);
      });
    }
  }

  /**
   * For a login that no tenant records (an unknown e-mail): the transaction and reads of one ledger entry in
   * the chain of no one, without the insert, so the answer costs what a recorded failure costs.
   */
  async #decoyLedgerWork(): Promise<void> {
    await this.#withContext({ userId: NO_ONE, tenantId: NO_ONE }, async (trx) => {
      await skipCommitFlush(trx);
      await readLedgerHead(trx, NO_ONE);
    });
  }

  /** Spends a refresh token and returns a new session; a spent or revoked token revokes its whole family. */
  async refresh(refreshToken: string): Promise<Session> {
    const refreshTokenHash = hashRefreshToken(refreshToken);
    const row = await this.#withContext({ refreshTokenHash }, (trx) =>
      findRefreshByHash(trx, refreshTokenHash),
    );
    if (!row) throw invalidRefresh();
    const context = { userId: row.user_id, tenantId: row.tenant_id };
    // The family is revoked in its own committed transaction, then the client gets 401.
    const outcome = await this.#withContext(context, async (trx): Promise<Session | 'reused' | 'invalid'> => {
      if (row.revoked_at || row.used_at) {
        await revokeFamily(trx, row.user_id, row.family_id);
        return 'reused';
      }
      if (row.expires_at.getTime() <= Date.now()) return 'invalid';
      if (!(await spendRefreshToken(trx, row.id))) {
        // Lost a race against another use of the same token: that is reuse too.
        await revokeFamily(trx, row.user_id, row.family_id);
        return 'reused';
      }
      const membership = await findMembership(trx, row.user_id, row.tenant_id);
      if (!membership) {
        await revokeFamily(trx, row.user_id, row.family_id);
        return 'invalid';
      }
      return this.#issue(trx, row.user_id, row.tenant_id, membership.role, row.family_id);
    });
    if (typeof outcome === 'string') {
      // A reused token ended its whole session: its access tokens must not outlive it here either.
      this.#sessions.forgetUser(row.user_id, row.tenant_id);
      throw invalidRefresh();
    }
    return outcome;
  }

  /**
   * Signs the user of `refreshToken` out everywhere: revokes every refresh token of that user, in every
   * tenant and on every device (unknown tokens are ignored: logout always succeeds). Access tokens already
   * issued are refused from the next request on, since their sessions are over (see verify).
   */
  async logout(refreshToken: string): Promise<void> {
    const refreshTokenHash = hashRefreshToken(refreshToken);
    await this.#withContext({ refreshTokenHash }, async (trx) => {
      const row = await findRefreshByHash(trx, refreshTokenHash);
      if (!row) return;
      await actAsUser(trx, row.user_id);
      await revokeAllOf(trx, row.user_id);
      this.#sessions.forgetUser(row.user_id);
    });
  }

  /**
   * Changes the signed-in user's password: the current one must be right (400 CURRENT_PASSWORD_WRONG), the
   * new one passes the password policy. Every other session of the user, in every tenant, is revoked in the
   * same transaction; the one making the change stays signed in.
   */
  async changePassword(claims: AccessClaims, currentPassword: string, newPassword: string): Promise<void> {
    const { userId, tenantId, sessionId } = claims;
    const user = await this.#withContext({ userId }, (trx) => findUserPassword(trx, userId));
    if (!user) throw new ApiError('UNAUTHENTICATED', 'sign in first');
    // Hashes outside any transaction: the embedded database has a single connection.
    if (!(await verifyPassword(user.password_hash, currentPassword)))
      throw new ApiError('CURRENT_PASSWORD_WRONG', 'the current password is wrong', [
        { field: 'current_password', message: 'is wrong' },
      ]);
    assertPasswordAcceptable(newPassword, user.email);
    const passwordHash = await hashPassword(newPassword);
    await this.#withContext({ userId, tenantId }, async (trx) => {
      await updatePasswordHash(trx, userId, passwordHash);
      const revoked = await revokeAllBut(trx, userId, sessionId);
      await this.#ledger?.append(trx, tenantId, [
        { kind: 'auth.password_changed', actor: userId, payload: { sessions_revoked: revoked } },
      ]);
    });
    this.#sessions.forgetUser(userId);
  }

  /** The current user, tenant and role of a verified access token. */
  async me(claims: AccessClaims): Promise<{ user: PublicUser; tenant: PublicTenant; role: Role }> {
    return this.#withContext({ userId: claims.userId, tenantId: claims.tenantId }, async (trx) => ({
      user: await readUser(trx, claims.userId),
      tenant: await readTenant(trx, claims.tenantId),
      role: claims.role,
    }));
  }

  /**
   * Verifies an access token (throws InvalidAccessToken), then that its session still lives and its user is
   * still a member of the tenant (throws SessionEnded otherwise), and takes the role from the membership as it
   * is now: a sign-out, a removal or a role change applies to the next request, not at the token's expiry.
   */
  async verify(token: string): Promise<AccessClaims> {
    const claims = await this.#accessTokens.verify(token);
    const { userId, tenantId, sessionId } = claims;
    const remembered = this.#sessions.get(sessionId, userId, tenantId);
    if (remembered) return { ...claims, role: remembered };
    const live = await this.#withContext({ userId, tenantId }, (trx) =>
      liveSessionRole(trx, userId, tenantId, sessionId),
    );
    if (!live) throw new SessionEnded();
    this.#sessions.set(sessionId, userId, tenantId, live.role);
    return { ...claims, role: live.role };
  }

  /**
   * Forgets what verify remembered of a user's sessions (in one tenant, or all): called when a member is
   * removed or changes role, so the next request of theirs is checked against the database.
   */
  forgetSessions(userId: string, tenantId?: string): void {
    this.#sessions.forgetUser(userId, tenantId);
  }
}
