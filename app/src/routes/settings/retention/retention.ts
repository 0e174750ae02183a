/** The retention page's pure rules (unit-tested in retention.test.ts). */
import type { RetentionWindows } from '#lib/api/admin.ts';

/** Dependency key of the settings: invalidated after any change. */
export const RETENTION_DEPENDENCY = 'app:retention';

/** Each window with what expires when it is set (docs/operations.md, "Retention"). */
export const WINDOWS: readonly { key: keyof RetentionWindows; label: string; expires: string }[] = [
  {
    key: 'raw_scan_data_days',
    label: 'Raw scan data',
    expires: "finished scans' progress and error details are emptied; the scans stay listed",
  },
  { key: 'findings_days', label: 'Findings', expires: 'the findings of scans finished before the window' },
  { key: 'evidence_days', label: 'Evidence', expires: 'evidence recorded before the window, and its files' },
  {
    key: 'audit_log_days',
    label: 'Audit log protection',
    expires: 'how long audit log entries keep what they name; the entries themselves are kept',
  },
];

/**
 * The windows a form sends: a number of days, or null (keep for ever) for an empty input. Answers the
 * problem instead when a value is not a whole number of days from 1 to 36500.
 */
export function windowsOf(
  inputs: Record<keyof RetentionWindows, string | number | null | undefined>,
): { windows: RetentionWindows } | { problem: string } {
  const windows = {} as Record<keyof RetentionWindows, number | null>;
  for (const { key, label } of WINDOWS) {
    const text = String(inputs[key] ?? '').trim();
    if (text === '') {
      windows[key] = null;
      continue;
    }
    const days = Number(text);
    if (!Number.isInteger(days) || days < 1 || days > 36500)
      return {
        problem: `${label}: enter a whole number of days from 1 to 36500, or leave it empty to keep everything.`,
      };
    windows[key] = days;
  }
  return { windows };
}

/** A window in words. */
export function describeWindow(days: number | null): string {
  return days === null ? 'Kept for ever' : `${days} day${days === 1 ? '' : 's'}`;
}
