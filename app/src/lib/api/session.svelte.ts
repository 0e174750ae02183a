/**
 * The app's one API client and the reactive view of its session.
 *
 * `auth.session` follows the client's in-memory session; `auth.ready` turns true once the first
 * restore (refresh cookie → access token) has answered, so pages can tell "signed out" from "not known yet".
 */
import { createApiClient } from './client.ts';
import type { Session } from './types.ts';

export const auth: { session: Session | null; ready: boolean } = $state({ session: null, ready: false });

/**
 * The refresh cookie is HttpOnly, so the page cannot see whether one exists. This flag (no secret, only
 * "a sign-in happened in this browser") is set while a session is live and cleared when it ends, so a cold
 * load without it skips the refresh call that could only answer 401. The server still decides: with the
 * flag set, a spent or revoked cookie is refused as before.
 */
const SESSION_HINT_KEY = 'complywise.signed-in';

function rememberSignedIn(signedIn: boolean): void {
  try {
    if (signedIn) localStorage.setItem(SESSION_HINT_KEY, '1');
    else localStorage.removeItem(SESSION_HINT_KEY);
  } catch {
    // Storage blocked (private mode, policy): every load then asks the server, as without the hint.
  }
}

function mayHaveSession(): boolean {
  try {
    return localStorage.getItem(SESSION_HINT_KEY) !== null;
  } catch {
    return true;
  }
}

export const api = createApiClient({
  onSessionChange(session) {
    auth.session = session;
    rememberSignedIn(session !== null);
  },
});

/** Restores the session once per page load; later calls return the same answer. */
let restoring: Promise<Session | null> | null = null;
export function restoreSession(): Promise<Session | null> {
  restoring ??= (mayHaveSession() ? api.restore() : Promise.resolve(null))
    .catch(() => null)
    .finally(() => {
      auth.ready = true;
    });
  return restoring;
}
