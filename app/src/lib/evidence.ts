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
  saveBlob(new Blob([JSON.stringify(content)], { type: 'application/json' }), `evidence-${sha256}.json`);
}

/** Lowercase hex sha256 of raw bytes (a downloaded artifact of any media type). */
export async function sha256OfBytes(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Saves a downloaded file under the name the API gave it. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

/** What an artifact is, in words, from its media type. */
export function mediaTypeLabel(contentType: string): string {
  if (contentType === 'application/json') return 'JSON';
  if (contentType === 'application/pdf') return 'PDF document';
  if (contentType === 'application/zip') return 'zip archive';
  return contentType;
}

type Citation = Evidence['cited_by']['items'][number];

/** The subject kinds that record and cite artifacts, in words. */
export const SUBJECT_LABEL: Record<Citation['kind'] | 'unknown', string> = {
  scan: 'scan',
  report: 'readiness report',
  audit_package: 'audit package',
  manual: 'manual upload',
  unknown: 'nothing that still cites it',
};

/**
 * The app path (from the app's root, without its base) of what cites an artifact: a scan's findings, a
 * report's framework, the audit whose package it is, the control or requirement manual evidence is on.
 */
export function citationPath(citation: Citation): string {
  const enc = encodeURIComponent;
  switch (citation.kind) {
    case 'scan':
      return `/findings?scan_id=${enc(citation.id)}`;
    case 'audit_package':
      return `/audits/${enc(citation.id)}`;
    case 'report': {
      const { framework_id: id, framework_version: version } = citation;
      return `/frameworks/${enc(version ? `${id}@${version}` : (id ?? ''))}`;
    }
    case 'manual':
      if (citation.control_id) return `/controls/${enc(citation.control_id)}`;
      return `/frameworks/${enc(`${citation.framework_id}@${citation.framework_version}`)}/requirements/${enc(citation.requirement_id ?? '')}`;
  }
}
