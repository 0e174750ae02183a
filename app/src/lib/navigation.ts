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
