/**
 * Authentication: password login, rotating single-use refresh tokens (reuse of a spent one revokes its whole
 * family), logout, and the `authenticate` / `requireRole` request hooks. All database work runs as the
 * runtime role: at login the policies only reveal the user whose e-mail was given, then that user's own
 * memberships; a refresh token is found only by its hash.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { assertPasswordAcceptable } from '../../auth/password-policy.ts';
import { ApiError } from '../../errors.ts';
import type { Role } from '../../auth/role.ts';
import type { LedgerService } from '../../ledger/ledger.ts';
import { ApiTokenService, isApiToken } from '../../tokens/service.ts';
import { skipCommitFlush, type Trx, type WithContext } from './tenancy.ts';
import { hashPassword, prepareDummyHash, verifyAgainstDummy, verifyPassword } from './passwords.ts';
import { SessionCache } from './session-cache.ts';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  InvalidAccessToken,
  REFRESH_TOKEN_TTL_SECONDS,
  hashRefreshToken,
  newRefreshToken,
  signAccessToken,
  verifyAccessToken,
  type AccessClaims,
} from './tokens.ts';

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

interface MembershipRow {
  tenant_id: string;
  role: Role;
}
interface RefreshRow {
  id: string;
  user_id: string;
  tenant_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** The user id looked up for an unknown e-mail: a valid UUID no account has (ids are random v4). */
const NO_ONE = '00000000-0000-0000-0000-000000000000';

const invalidCredentials = () => new ApiError('INVALID_CREDENTIALS', 'e-mail or password is wrong');
const invalidRefresh = () =>
  new ApiError('INVALID_REFRESH_TOKEN', 'refresh token is invalid, expired or already used');

async function readUser(trx: Trx, userId: string): Promise<PublicUser> {
  const user: PublicUser | undefined = await trx('users')
    .select('id', 'email', 'display_name')
    .where({ id: userId })
    .first();
  if (!user) throw invalidCredentials();
  return user;
}

async function readTenant(trx: Trx, tenantId: string): Promise<PublicTenant> {
  const tenant: PublicTenant | undefined = await trx('tenants')
    .select('id', 'slug', 'name', 'demo')
    .where({ id: tenantId })
    .first();
  if (!tenant) throw new ApiError('NO_MEMBERSHIP', 'you are not a member of this tenant');
  return tenant;
}

async function revokeFamily(trx: Trx, userId: string, familyId: string): Promise<void> {
  await trx('refresh_tokens')
    .where({ user_id: userId, family_id: familyId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
}

/** Revokes every live refresh token of a user (logout; to be used by member removal too). */
export async function revokeAllOf(trx: Trx, userId: string): Promise<void> {
  await trx('refresh_tokens')
    .where({ user_id: userId })
    .whereNull('revoked_at')
    .update({ revoked_at: trx.fn.now() });
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
  }

  /** Issues an access token and a new refresh token of `familyId` for a membership (inside `trx`). */
  async #issue(trx: Trx, userId: string, tenantId: string, role: Role, familyId: string): Promise<Session> {
    const refreshToken = newRefreshToken();
    await trx('refresh_tokens').insert({
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
      (trx) => trx('users').select('id', 'password_hash').where({ email: loginEmail }).first(),
    );
    // Hash outside any transaction: the embedded database has a single connection.
    const ok = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDummy(password);
    if (!user || !ok) {
      await this.#recordFailedLogin(user?.id ?? NO_ONE);
      throw invalidCredentials();
    }

    const membership: MembershipRow | undefined = await this.#withContext({ userId: user.id }, (trx) => {
      const query = trx('memberships').select('tenant_id', 'role').where({ user_id: user.id });
      if (tenantId) query.andWhere({ tenant_id: tenantId });
      return query.orderBy([{ column: 'created_at' }, { column: 'tenant_id' }]).first();
    });
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
    const tenants: { tenant_id: string }[] = await this.#withContext({ userId }, (trx) =>
      trx('memberships').select('tenant_id').where({ user_id: userId }),
    );
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
      await trx.raw(`select pg_advisory_xact_lock(hashtextextended(?, 7))`, [`ledger:${NO_ONE}`]);
      await trx('ledger_entries').select('seq').where({ tenant_id: NO_ONE }).orderBy('seq', 'desc').first();
    });
  }

  /** Spends a refresh token and returns a new session; a spent or revoked token revokes its whole family. */
  async refresh(refreshToken: string): Promise<Session> {
    const refreshTokenHash = hashRefreshToken(refreshToken);
    const row: RefreshRow | undefined = await this.#withContext({ refreshTokenHash }, (trx) =>
      trx('refresh_tokens').where({ token_hash: refreshTokenHash }).first(),
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
      const spent = await trx('refresh_tokens')
        .where({ id: row.id })
        .whereNull('used_at')
        .whereNull('revoked_at')
        .update({ used_at: trx.fn.now() });
      if (spent !== 1) {
        // Lost a race against another use of the same token: that is reuse too.
        await revokeFamily(trx, row.user_id, row.family_id);
        return 'reused';
      }
      const membership: MembershipRow | undefined = await trx('memberships')
        .select('tenant_id', 'role')
        .where({ user_id: row.user_id, tenant_id: row.tenant_id })
        .first();
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
      const row: RefreshRow | undefined = await trx('refresh_tokens')
        .where({ token_hash: refreshTokenHash })
        .first();
      if (!row) return;
      await trx.raw(`select set_config('app.user_id', ?, true)`, [row.user_id]);
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
    const user: { email: string; password_hash: string } | undefined = await this.#withContext(
      { userId },
      (trx) => trx('users').select('email', 'password_hash').where({ id: userId }).first(),
    );
    if (!user) throw new ApiError('UNAUTHENTICATED', 'sign in first');
    // Hashes outside any transaction: the embedded database has a single connection.
    if (!(await verifyPassword(user.password_hash, currentPassword)))
      throw new ApiError('CURRENT_PASSWORD_WRONG', 'the current password is wrong', [
        { field: 'current_password', message: 'is wrong' },
      ]);
    assertPasswordAcceptable(newPassword, user.email);
    const passwordHash = await hashPassword(newPassword);
    await this.#withContext({ userId, tenantId }, async (trx) => {
      await trx('users').where({ id: userId }).update({ password_hash: passwordHash });
      const revoked = await trx('refresh_tokens')
        .where({ user_id: userId })
        .whereNot({ family_id: sessionId })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now() });
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
    const claims = await verifyAccessToken(this.#secret, token);
    const { userId, tenantId, sessionId } = claims;
    const remembered = this.#sessions.get(sessionId, userId, tenantId);
    if (remembered) return { ...claims, role: remembered };
    const live: { role: Role } | undefined = await this.#withContext({ userId, tenantId }, (trx) =>
      trx('refresh_tokens as r')
        .join('memberships as m', function () {
          this.on('m.user_id', 'r.user_id').andOn('m.tenant_id', 'r.tenant_id');
        })
        .where({ 'r.user_id': userId, 'r.tenant_id': tenantId, 'r.family_id': sessionId })
        .whereNull('r.revoked_at')
        .where('r.expires_at', '>', trx.fn.now())
        .first('m.role'),
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

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthService;
    apiTokens: ApiTokenService;
    /**
     * preValidation hook: requires a valid `Authorization: Bearer` access token and sets `request.principal`.
     * Runs before body validation, so an anonymous caller learns nothing about the route's schema.
     */
    authenticate: RequestGuard;
  }
  interface FastifyRequest {
    principal: AccessClaims | null;
  }
}

/** The authenticated principal of a request that went through `authenticate`. */
export function principalOf(request: FastifyRequest): AccessClaims {
  if (!request.principal) throw new ApiError('UNAUTHENTICATED', 'sign in first');
  return request.principal;
}

/**
 * The person signed in on a public route that a signed-in caller may use differently (accepting an
 * invitation or completing a sign-up for an existing account): undefined without an Authorization header,
 * 401 for an invalid one, 403 for an API token, which never consents for a person.
 */
export async function signedInPersonOf(
  app: FastifyInstance,
  request: FastifyRequest,
  action: string,
): Promise<string | undefined> {
  if (!request.headers.authorization) return undefined;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization)?.[1];
  if (token && isApiToken(token))
    throw new ApiError('FORBIDDEN', `${action} signed in as a person, not with an API token`);
  await app.authenticate(request);
  return principalOf(request).userId;
}

/** A request hook that throws an ApiError to refuse the request. */
export type RequestGuard = (request: FastifyRequest) => Promise<void>;

/** preValidation hook that lets only the given roles through (after `authenticate`). */
export function requireRole(...roles: Role[]): RequestGuard {
  return async (request: FastifyRequest) => {
    const { role } = principalOf(request);
    if (!roles.includes(role))
      throw new ApiError('FORBIDDEN', `this needs one of the roles: ${roles.join(', ')}`);
  };
}

/** Decorates `app.auth`, `app.authenticate` and `request.principal`. */
export const authPlugin = fp<{ jwtSecret: Uint8Array }>(
  async (app, { jwtSecret }) => {
    const auth = new AuthService(
      app.withContext,
      jwtSecret,
      app.hasDecorator('ledger') ? app.ledger : undefined,
    );
    const apiTokens = new ApiTokenService(
      app.withTenant,
      app.withContext,
      app.hasDecorator('ledger') ? app.ledger : undefined,
    );
    await prepareDummyHash();
    app.decorate('auth', auth);
    app.decorate('apiTokens', apiTokens);
    app.decorateRequest('principal', null);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1])
        throw new ApiError('UNAUTHENTICATED', 'send an access token as "Authorization: Bearer <token>"');
      if (isApiToken(match[1])) {
        request.principal = await apiTokens.verify(match[1]);
        return;
      }
      try {
        request.principal = await auth.verify(match[1]);
      } catch (error) {
        if (!(error instanceof InvalidAccessToken) && !(error instanceof SessionEnded)) throw error;
        throw new ApiError('UNAUTHENTICATED', error.message);
      }
    });
  },
  { name: 'auth', dependencies: ['tenancy'] },
);
