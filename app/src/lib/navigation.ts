/**
 * Helpers for moving between pages that need no Svelte runtime (unit-tested in navigation.test.ts).
 */

/**
 * The `next` query parameter if it is a path on this site, else `fallback`.
 * Rejects absolute and protocol-relative URLs so a crafted login link cannot send the user elsewhere.
 */
export function safeNextPath(next: string | null | undefined, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  return next;
}

/**
 * Route ids a signed-out visitor may open: signing in, and the pages a mailed link or the login page leads
 * to before there is a session. Every other page sends a signed-out visitor to /login.
 */
const PUBLIC_ROUTE_IDS: ReadonlySet<string> = new Set([
  '/login',
  '/accept-invitation',
  '/reset-password',
  '/signup',
  '/demo/outbox',
]);

/** True when the page of route id `routeId` needs no session (an unknown route, id null, needs one). */
export function isPublicRoute(routeId: string | null): boolean {
  return routeId !== null && PUBLIC_ROUTE_IDS.has(routeId);
}
