/**
 * Access tokens (JWT, HS256, 15 minutes) and refresh-token material (random, stored only as sha256).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { Role } from '../../auth/role.ts';
import { loadOrCreateSecret } from './crypto.ts';

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 14 * 24 * 60 * 60;
const ISSUER = 'complywise';
const AUDIENCE = 'complywise-api';

/** What an access token says about its bearer. */
export interface AccessClaims {
  userId: string;
  tenantId: string;
  role: Role;
  jti: string;
  /**
   * The sign-in session (refresh-token family) the token was issued in: the API accepts the token only while
   * that session lives, so logout and removal from the tenant end it at once, not at its expiry.
   */
  sessionId: string;
}

/** The signing secret from COMPLYWISE_JWT_SECRET (at least 32 characters) or `${dataDir}/jwt.secret`. */
export function loadJwtSecret(options: { jwtSecret?: string; dataDir: string }): Uint8Array {
  if (options.jwtSecret !== undefined) {
    if (options.jwtSecret.length < 32)
      throw new Error('COMPLYWISE_JWT_SECRET must be at least 32 characters');
    return new TextEncoder().encode(options.jwtSecret);
  }
  return loadOrCreateSecret(undefined, join(options.dataDir, 'jwt.secret'), 32, 'jwt secret');
}

/** Signs an access token with claims sub, tid, role, sid and jti. */
export async function signAccessToken(
  secret: Uint8Array,
  claims: Omit<AccessClaims, 'jti'>,
): Promise<string> {
  return new SignJWT({ tid: claims.tenantId, role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setJti(randomUUID())
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .sign(secret);
}

/** Thrown for a missing, malformed, forged or expired access token. */
export class InvalidAccessToken extends Error {
  readonly expired: boolean;
  constructor(expired: boolean) {
    super(expired ? 'access token expired' : 'access token is invalid');
    this.name = 'InvalidAccessToken';
    this.expired = expired;
  }
}

const ROLES = new Set(['admin', 'auditor', 'user']);

/** Verifies signature, issuer, audience and expiry; returns the claims or throws InvalidAccessToken. */
export async function verifyAccessToken(secret: Uint8Array, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, secret, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    const { sub, tid, role, jti, sid } = payload;
    if (
      typeof sub !== 'string' ||
      typeof tid !== 'string' ||
      typeof jti !== 'string' ||
      typeof sid !== 'string' ||
      !ROLES.has(role as string)
    ) {
      throw new InvalidAccessToken(false);
    }
    return { userId: sub, tenantId: tid, role: role as Role, jti, sessionId: sid };
  } catch (error) {
    if (error instanceof InvalidAccessToken) throw error;
    throw new InvalidAccessToken(error instanceof joseErrors.JWTExpired);
  }
}

/** Past this many remembered tokens, expired ones are swept before adding another (and all, if none had). */
const MAX_VERIFIED = 10_000;

/**
 * `verifyAccessToken` for one secret, remembering each token it accepted until the token's expiry: a client
 * sends the same access token with every request for up to 15 minutes, and checking its HMAC signature again
 * each time cost about a tenth of a simple GET's CPU. The key is the whole token string, so only the exact
 * bytes that once passed the full check are taken again, and only while `exp` is still ahead (the same
 * comparison jose makes); a rejected token is never remembered and is checked in full every time. What a
 * token's session allows (sign-out, removal, role) is not part of this: AuthService.verify checks it after.
 */
export class AccessTokenVerifier {
  readonly #secret: Uint8Array;
  readonly #now: () => number;
  readonly #verified = new Map<string, { claims: AccessClaims; exp: number }>();

  constructor(secret: Uint8Array, now: () => number = () => Date.now()) {
    this.#secret = secret;
    this.#now = now;
  }

  /** The claims of a valid token, or InvalidAccessToken, as verifyAccessToken. */
  async verify(token: string): Promise<AccessClaims> {
    const seconds = Math.floor(this.#now() / 1000);
    const known = this.#verified.get(token);
    if (known) {
      if (known.exp > seconds) return { ...known.claims };
      this.#verified.delete(token);
    }
    const claims = await verifyAccessToken(this.#secret, token);
    const exp = decodeJwt(token).exp;
    if (typeof exp === 'number' && exp > seconds) {
      if (this.#verified.size >= MAX_VERIFIED) this.#sweep(seconds);
      this.#verified.set(token, { claims: { ...claims }, exp });
    }
    return claims;
  }

  #sweep(seconds: number): void {
    for (const [token, { exp }] of this.#verified) if (exp <= seconds) this.#verified.delete(token);
    if (this.#verified.size >= MAX_VERIFIED) this.#verified.clear();
  }
}

/** A new opaque refresh token (256 random bits, base64url). */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The only form in which a refresh token is stored. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
