/**
 * Live sessions of access tokens, remembered for a few seconds: AuthService.verify checks on every request
 * that the token's session still lives and reads the member's role, and this keeps that to one query per
 * session every few seconds instead of one per request (the score endpoint's latency target). Whatever ends
 * a session or changes a role in this process (logout, member removal, role change) forgets the user's
 * entries at once; another API process sees it within `ttlMs`.
 */
import type { Role } from '../../auth/role.ts';

interface Entry {
  userId: string;
  tenantId: string;
  role: Role;
  expiresAt: number;
}

/** Past this many entries, expired ones are swept before adding another (and all, if none had expired). */
const MAX_ENTRIES = 10_000;

export class SessionCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** The role remembered for a live session, or undefined when it must be checked again. */
  get(sessionId: string, userId: string, tenantId: string): Role | undefined {
    const entry = this.#entries.get(sessionId);
    if (!entry || entry.userId !== userId || entry.tenantId !== tenantId) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(sessionId);
      return undefined;
    }
    return entry.role;
  }

  /** Remembers a session just found live, with the member's current role. */
  set(sessionId: string, userId: string, tenantId: string, role: Role): void {
    if (this.#ttlMs <= 0) return;
    if (this.#entries.size >= MAX_ENTRIES) this.#sweep();
    this.#entries.set(sessionId, { userId, tenantId, role, expiresAt: this.#now() + this.#ttlMs });
  }

  /** Forgets every session of a user (in one tenant, or in all). */
  forgetUser(userId: string, tenantId?: string): void {
    for (const [sessionId, entry] of this.#entries)
      if (entry.userId === userId && (tenantId === undefined || entry.tenantId === tenantId))
        this.#entries.delete(sessionId);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [sessionId, entry] of this.#entries)
      if (entry.expiresAt <= now) this.#entries.delete(sessionId);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.clear();
  }
}
