/**
 * A configuration item as AWS Config answers it, and the readers that take its loosely typed fields apart.
 * In a file of its own so that the per-service normalizers (acm.ts, elbv2.ts, ...) and config.ts, which
 * imports them, do not import each other.
 */

type Json = Record<string, unknown>;

/** A configuration item as the Select APIs return the selected fields. */
export interface ConfigItem {
  resourceId?: string;
  resourceType?: string;
  awsRegion?: string;
  accountId?: string;
  configurationItemStatus?: string;
  configuration?: unknown;
  supplementaryConfiguration?: unknown;
}

export const obj = (v: unknown): Json => {
  if (typeof v === 'string') {
    // The history APIs return configuration as JSON text; the Select APIs as an object. Accept both.
    try {
      return obj(JSON.parse(v));
    } catch {
      return {};
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
};
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
export const bool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;
/** Config dates come as ISO text or epoch numbers (seconds or milliseconds). */
export const date = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return new Date(v < 1e11 ? v * 1000 : v).toISOString();
  return undefined;
};

/** The fields of a configuration item the per-service normalizers of the ops services read. */
export interface ConfigItemFields {
  resourceId?: string;
  configuration?: unknown;
}
