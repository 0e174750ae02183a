/** The API tokens page's pure rules (unit-tested in tokens.test.ts). */
import type { ApiToken } from '#lib/api/admin.ts';

/** Dependency key of the list: invalidated after any change. */
export const TOKENS_DEPENDENCY = 'app:tokens';

/** Expiry choices the form offers, in days (the API takes 1 to 365). */
export const EXPIRY_DAYS: readonly number[] = [7, 30, 90, 365];

export type TokenState = 'active' | 'revoked' | 'expired';

/** Whether a token still works at `now`. */
export function tokenState(token: ApiToken, now: Date = new Date()): TokenState {
  if (token.revoked_at) return 'revoked';
  return new Date(token.expires_at).getTime() <= now.getTime() ? 'expired' : 'active';
}

/** The question the revoke button asks before anything is sent. */
export function revokeQuestion(token: ApiToken): string {
  return `Revoke ${token.name}? Anything using it is refused from now on; this cannot be undone.`;
}
