/**
 * The list of a scan's resources, kept in the page URL: its filters (`part`, `type`) and the page's cursor,
 * and where each row's numbers lead (the findings explorer of that scan and resource).
 */
import { queryOf } from '../../../findings/explorer.ts';

/** Resources per page of the list. */
export const RESOURCES_PAGE_SIZE = 50;

export interface ResourceFilters {
  part?: string;
  type?: string;
}

/** The filters in `params` (empty values left out). */
export function resourceFiltersOf(params: URLSearchParams): ResourceFilters {
  const filters: ResourceFilters = {};
  for (const key of ['part', 'type'] as const) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  return filters;
}

/** The page's query string for `filters` and a cursor ('' when there is neither). */
export function resourcesQuery(filters: ResourceFilters, cursor: string | null = null): string {
  const params = new URLSearchParams();
  if (filters.part) params.set('part', filters.part);
  if (filters.type) params.set('type', filters.type);
  if (cursor) params.set('cursor', cursor);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** The API path of one page of the scan's resources. */
export function scanResourcesApiPath(
  scanId: string,
  filters: ResourceFilters,
  cursor: string | null,
): string {
  const params = new URLSearchParams({ limit: String(RESOURCES_PAGE_SIZE) });
  if (filters.part) params.set('part', filters.part);
  if (filters.type) params.set('type', filters.type);
  if (cursor) params.set('cursor', cursor);
  return `/api/scans/${encodeURIComponent(scanId)}/resources?${params}`;
}

/**
 * The explorer's query string for the scan's findings on one resource: all of them, or with `failing`
 * those the row's failing count counts (failing, no exception set them aside).
 */
export function resourceFindingsQuery(scanId: string, resourceId: string, failing = false): string {
  return `?${queryOf({
    scan_id: scanId,
    resource_id: resourceId,
    ...(failing ? { status: 'fail', excepted: 'false' } : {}),
  })}`;
}
