/**
 * Canonical JSON and sha256: the two primitives evidence, the ledger and scoring snapshots hash with. A module
 * of its own, below all of them, so that none imports another domain (or a plugin) for them.
 */
import { createHash } from 'node:crypto';
import { jsonPointer, pathBeyondDepth } from './json-depth.ts';

/** Lowercase hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Deepest nesting canonicalJson accepts: far beyond any resource snapshot, far below the stack's limit. */
export const CANONICAL_JSON_MAX_DEPTH = 512;

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the same bytes.
 * A value nested deeper than CANONICAL_JSON_MAX_DEPTH throws a RangeError naming where, checked without
 * recursion first, instead of overflowing the stack.
 */
export function canonicalJson(value: unknown): string {
  const tooDeep = pathBeyondDepth(value, CANONICAL_JSON_MAX_DEPTH);
  if (tooDeep) {
    throw new RangeError(
      `value nests deeper than ${CANONICAL_JSON_MAX_DEPTH} levels (at ${jsonPointer(tooDeep)}): refused for canonical JSON`,
    );
  }
  return JSON.stringify(sortKeys(value));
}
