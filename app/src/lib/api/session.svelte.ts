/**
 * The app's one API client and the reactive view of its session.
 *
 * `auth.session` follows the client's in-memory session; `auth.ready` turns true once the first
 * restore (refresh cookie → access token) has answered, so pages can tell "signed out" from "not known yet".
 */
import { createApiClient } from './client.ts';
import type { Session } from './types.ts';

export const auth: { session: Session | null; ready: boolean } = $state({ session: null, ready: false });

export const api = createApiClient({
  onSessionChange(session) {
    auth.session = session;
  },
});

/** Restores the session once per page load; later calls return the same answer. */
let restoring: Promise<Session | null> | null = null;
export function restoreSession(): Promise<Session | null> {
  restoring ??= api
    .restore()
    .catch(() => null)
    .finally(() => {
      auth.ready = true;
    });
  return restoring;
}
