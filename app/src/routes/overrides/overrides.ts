/**
 * The overrides page's data and the pure rules it shows them by (unit-tested in overrides.test.ts): what an
 * override sets, in words, and its state at a given time.
 */

/** Dependency key of the list: invalidated after a create or a retirement. */
export const OVERRIDES_DEPENDENCY = 'app:overrides';

/** One override as GET /api/overrides lists it. */
export interface OverrideItem {
  id: string;
  kind: 'params' | 'enabled' | 'severity' | 'exception';
  rule_id: string;
  params: Record<string, unknown> | null;
  enabled: boolean | null;
  severity: string | null;
  selector: Record<string, string> | null;
  reason: string | null;
  approver: string | null;
  expires_at: string | null;
  created_at: string;
  retired_at: string | null;
  active: boolean;
  /** false when the deployed rules refuse it now (scans skip it). */
  valid: boolean;
  problems: { field: string; message: string }[];
}

export type OverrideState = 'active' | 'expired' | 'retired' | 'invalid';

/** Retired first (it is history), then invalid (scans skip it), then expired by `now`. */
export function overrideState(item: OverrideItem, now: Date): OverrideState {
  if (item.retired_at !== null) return 'retired';
  if (!item.valid) return 'invalid';
  if (item.expires_at !== null && Date.parse(item.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

/** What the override sets, in one line. */
export function overrideSummary(item: OverrideItem): string {
  switch (item.kind) {
    case 'params':
      return Object.entries(item.params ?? {})
        .map(([name, value]) => `${name} = ${JSON.stringify(value)}`)
        .join(', ');
    case 'enabled':
      return item.enabled ? 'enabled' : 'disabled';
    case 'severity':
      return `severity ${item.severity}`;
    case 'exception':
      return `except ${Object.entries(item.selector ?? {})
        .map(([field, value]) => `${field} ${value}`)
        .join(', ')}: ${item.reason} (approved by ${item.approver})`;
  }
}

/** The create form's fields, as typed. */
export interface OverrideForm {
  kind: OverrideItem['kind'];
  rule_id: string;
  params: string;
  enabled: boolean;
  severity: string;
  resource_id: string;
  reason: string;
  approver: string;
  /** yyyy-mm-dd from a date input: the exception ends at the start of that day (UTC). */
  expires_on: string;
}

/** The POST body for the form, or the problem that keeps it from being sent (the API checks the rest). */
export function overrideBody(form: OverrideForm): { body: Record<string, unknown> } | { problem: string } {
  const base = { kind: form.kind, rule_id: form.rule_id.trim() };
  switch (form.kind) {
    case 'params': {
      let params: unknown;
      try {
        params = JSON.parse(form.params);
      } catch {
        return { problem: 'Parameters must be a JSON object, e.g. {"max_key_age_days": 60}.' };
      }
      return { body: { ...base, params } };
    }
    case 'enabled':
      return { body: { ...base, enabled: form.enabled } };
    case 'severity':
      return { body: { ...base, severity: form.severity } };
    case 'exception':
      return {
        body: {
          ...base,
          selector: { resource_id: form.resource_id.trim() },
          reason: form.reason,
          approver: form.approver,
          expires_at: form.expires_on ? `${form.expires_on}T00:00:00Z` : '',
        },
      };
  }
}
