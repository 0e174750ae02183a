/**
 * Serialized answers of GET /api/scores, kept per tenant and scores version. The answer is large (every
 * requirement of every framework) and a finished scan's scores change only when a newer scan succeeds or they
 * are rescored, both of which change the version; serializing it again on every dashboard load was most of the
 * endpoint's cost (bench/README.md, API section).
 */
import { createHash } from 'node:crypto';

export interface CachedAnswer {
  /** The JSON body exactly as sent, as UTF-8 bytes (encoding a 200 KiB string per request was measurable). */
  body: Buffer;
  /** Strong entity tag of the body, for If-None-Match. */
  etag: string;
}

/** A small least-recently-used map of serialized answers. */
export class AnswerCache {
  readonly #entries = new Map<string, CachedAnswer>();
  readonly #limit: number;

  constructor(limit = 256) {
    this.#limit = limit;
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry as the most recently used.
      this.#entries.delete(key);
      this.#entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, json: string): CachedAnswer {
    const body = Buffer.from(json, 'utf8');
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#limit) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }

  get size(): number {
    return this.#entries.size;
  }
}
