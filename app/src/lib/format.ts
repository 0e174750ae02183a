/**
 * Formatting helpers shared by the pages: pure functions, no Svelte, unit-tested in format.test.ts.
 */
import type { Finding, Scan, ScanProgress, Severity, Status } from './api/types.ts';

/** A 0..1 score as a whole percentage ("67%"); an em dash when nothing was applicable (null). */
export function formatPercent(score: number | null | undefined): string {
  if (score === null || score === undefined || Number.isNaN(score)) return '—';
  return `${Math.round(score * 100)}%`;
}

/** The first `length` characters of a hash, enough to tell artifacts apart on screen. */
export function shortHash(hash: string | null | undefined, length = 12): string {
  if (!hash) return '—';
  return hash.length > length ? hash.slice(0, length) : hash;
}

/** A byte count in B, KiB or MiB with one decimal above a kibibyte. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** An ISO timestamp as "2026-05-01 14:03:07 UTC": unambiguous for auditors in any time zone. */
export function formatTimestamp(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const STATUS_LABELS: Record<Status, string> = {
  pass: 'Pass',
  fail: 'Fail',
  not_applicable: 'Not applicable',
  error: 'Error',
};

/** The words shown for a rule, control or requirement status. */
export function statusLabel(status: Status): string {
  return STATUS_LABELS[status] ?? status;
}

const SCAN_STATUS_LABELS: Record<Scan['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** The words shown for a scan's status. */
export function scanStatusLabel(status: Scan['status']): string {
  return SCAN_STATUS_LABELS[status] ?? status;
}

/** `n` and `word`, plural unless n is 1 ("3 resources", "1 error"). */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One line describing a running scan: its phase and counters. */
export function describeProgress(progress: ScanProgress | null | undefined): string {
  if (!progress) return 'Waiting for a worker…';
  return [
    `Phase: ${progress.phase}`,
    plural(progress.resources_collected, 'resource'),
    plural(progress.calls_made, 'API call'),
    plural(progress.errors, 'error'),
  ].join(' · ');
}

/** The reason a scan failed, whether the API sent it as text or as `{ code, message }`. */
export function describeFailure(
  failure: Scan['failure'] | { code?: string; message: string } | string,
): string {
  if (!failure) return 'The scan failed without a reason.';
  if (typeof failure === 'string') return failure;
  return failure.code ? `${failure.code}: ${failure.message}` : failure.message;
}

/**
 * Evidence content as indented JSON. Content that arrives as a JSON string is parsed first so it is
 * indented too; any other text is shown as it is.
 */
export function prettyJson(content: unknown): string {
  if (typeof content === 'string') {
    try {
      return JSON.stringify(JSON.parse(content), null, 2);
    } catch {
      return content;
    }
  }
  return JSON.stringify(content, null, 2) ?? String(content);
}

const STATUS_ORDER: Record<Status, number> = { fail: 0, error: 1, pass: 2, not_applicable: 3 };
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

/**
 * Findings in the order a reviewer wants them: failures and errors first, the most severe first within a
 * status, then by resource name. Returns a new array; the input is left alone.
 */
export function sortFindingsForReview<T extends Pick<Finding, 'status' | 'severity' | 'resource_name'>>(
  findings: readonly T[],
): T[] {
  return [...findings].sort(
    (a, b) =>
      (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
      (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) ||
      a.resource_name.localeCompare(b.resource_name),
  );
}
