/**
 * Mailed single-use tokens (invitations, password resets, sign-ups): 32 random bytes in base64url, sent only
 * inside an e-mailed link's fragment and stored only as their sha256, so a database reader cannot use them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiError } from '../errors.ts';

/** The only form in which a mailed token is stored or looked up. */
export function hashMailedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh token and the hash to store. */
export function newMailedToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashMailedToken(token) };
}

/** The errors of a token that cannot be used, each with a message saying what to do. */
export interface TokenRefusals {
  invalid: () => ApiError;
  used: () => ApiError;
  expired: () => ApiError;
}

/** Refuses a token row that was not found, was used (or withdrawn) already, or has expired. */
export function assertTokenUsable<T extends { expires_at: Date }>(
  row: T | undefined,
  isUsed: (row: T) => boolean,
  refusals: TokenRefusals,
  now = new Date(),
): asserts row is T {
  if (!row) throw refusals.invalid();
  if (isUsed(row)) throw refusals.used();
  if (row.expires_at.getTime() <= now.getTime()) throw refusals.expired();
}
