/**
 * Checks evidence in the browser: the API names each snapshot by the sha256 of its canonical JSON, so the
 * app can recompute that hash from the content it received and show whether the two agree.
 */
import type { Evidence } from './api/types.ts';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = sortKeys(item);
    }
    return sorted;
  }
  return value;
}

/**
 * JSON with object keys sorted at every level and no whitespace. Must give the same bytes as
 * `canonicalJson` in api/src/plugins/app/evidence.ts (docs/api.md, "GET /api/evidence/:sha256").
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

/** Lowercase hex sha256 of the UTF-8 bytes of `text` (Web Crypto: needs a secure context such as https or localhost). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Outcome of checking one piece of evidence. */
export type EvidenceCheck =
  | { result: 'verified'; sha256: string }
  | { result: 'mismatch'; sha256: string; computed: string }
  | { result: 'unavailable'; sha256: string; reason: string };

/**
 * Recomputes the sha256 of the evidence content and compares it with the name the API gave it.
 * Content that arrives as a JSON string is parsed first; the hash is always over canonical JSON.
 */
export async function checkEvidence(evidence: Pick<Evidence, 'sha256' | 'content'>): Promise<EvidenceCheck> {
  const { sha256 } = evidence;
  if (!globalThis.crypto?.subtle) {
    return {
      result: 'unavailable',
      sha256,
      reason: 'this page is not a secure context, so Web Crypto is off',
    };
  }
  let content = evidence.content;
  if (typeof content === 'string') {
    try {
      content = JSON.parse(content);
    } catch {
      return { result: 'unavailable', sha256, reason: 'the content is not JSON' };
    }
  }
  const computed = await sha256Hex(canonicalJson(content));
  return computed === sha256.toLowerCase()
    ? { result: 'verified', sha256 }
    : { result: 'mismatch', sha256, computed };
}

/**
 * Saves a JSON artifact as a file named by its sha256 (the content as the API returned it; its canonical
 * JSON is the bytes the sha256 names).
 */
export function saveEvidenceFile(sha256: string, content: unknown): void {
  const blob = new Blob([JSON.stringify(content)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `evidence-${sha256}.json`;
  link.click();
  URL.revokeObjectURL(url);
}
