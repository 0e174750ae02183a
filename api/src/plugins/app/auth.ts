/**
 * The `authenticate` / `requireRole` request hooks and the `app.auth` / `app.apiTokens` services: who a request
 * comes from. The sign-in work itself (login, refresh, logout, session checks) is api/src/auth/service.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AuthService, SessionEnded } from '../../auth/service.ts';
import type { Role } from '../../auth/role.ts';
import { ApiError } from '../../errors.ts';
import { ApiTokenService, isApiToken } from '../../tokens/service.ts';
import { prepareDummyHash } from './passwords.ts';
import { InvalidAccessToken, type AccessClaims } from './tokens.ts';

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
