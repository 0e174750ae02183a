/** What the scans page says about a scan: how long it took, and its place in the page's URL. */
import type { Scan } from '#lib/api/types.ts';

/** Scans per page of the history. */
export const SCANS_PAGE_SIZE = 25;

/** The scan's run time: from its start to its end (or to `now` while it runs); null before it started. */
export function scanDurationMs(
  scan: Pick<Scan, 'started_at' | 'finished_at'>,
  now = Date.now(),
): number | null {
  if (!scan.started_at) return null;
  const end = scan.finished_at ? Date.parse(scan.finished_at) : now;
  return Math.max(0, end - Date.parse(scan.started_at));
}

/** A duration in words: "850 ms", "12.4 s", "3 min 05 s", "2 h 10 min". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The API path of one page of the history (one integration's when `integrationId`). */
export function scansApiPath(integrationId: string | null, cursor: string | null): string {
  const params = new URLSearchParams({ limit: String(SCANS_PAGE_SIZE) });
  if (integrationId) params.set('integration_id', integrationId);
  if (cursor) params.set('cursor', cursor);
  return `/api/scans?${params}`;
}

/** The page's query string for an integration and a cursor (both optional). */
export function scansQuery(integrationId: string | null, cursor: string | null = null): string {
  const params = new URLSearchParams();
  if (integrationId) params.set('integration_id', integrationId);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** `scans` with `update` in place of the scan of the same id (or first, when it is new). */
export function upsertScan<T extends Pick<Scan, 'id'>>(scans: readonly T[], update: T): T[] {
  const index = scans.findIndex((s) => s.id === update.id);
  if (index < 0) return [update, ...scans];
  return scans.map((s, i) => (i === index ? update : s));
}
