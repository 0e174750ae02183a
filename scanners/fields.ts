/**
 * Field checks shared by the providers' integration validation (`ScannerProvider.validate`): each adds
 * problems naming the dotted field, and never quotes a value, so no pasted secret is echoed back.
 */

/** One problem: the dotted field (`credentials.accessKeyId`) and what is wrong with it. */
export interface IntegrationProblem {
  field: string;
  message: string;
}

/** An integration's config or credentials object. */
export type Fields = Record<string, unknown>;
export type AddProblem = (field: string, message: string) => void;

export const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A key name short and plain enough to repeat; a pasted secret used as a key is not echoed back. */
const NAMEABLE_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export function unknownKeys(value: Fields, known: readonly string[], part: string, add: AddProblem): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    if (NAMEABLE_KEY.test(key)) add(`${part}.${key}`, `is not a known key (known: ${known.join(', ')})`);
    else add(part, `has an unknown key (known: ${known.join(', ')})`);
  }
}

/** An http(s) URL; with `httpsUnlessLocal`, plain http only for a loopback host (a local sandbox). */
export function optionalUrl(value: unknown, field: string, add: AddProblem, httpsUnlessLocal = false): void {
  if (value === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    // reported below
  }
  const local = url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const ok = url?.protocol === 'https:' || (url?.protocol === 'http:' && (!httpsUnlessLocal || local));
  if (typeof value !== 'string' || !ok)
    add(field, httpsUnlessLocal ? 'must be an https URL' : 'must be an http(s) URL');
}

export function secretString(value: unknown, field: string, add: AddProblem, minLength: number): boolean {
  if (typeof value !== 'string' || value.length === 0) {
    add(field, 'is required');
    return false;
  }
  if (value.length < minLength || /\s/.test(value)) {
    add(field, `does not look like a valid value (at least ${minLength} characters, no spaces)`);
    return false;
  }
  return true;
}
