/**
 * The findings explorer's query, kept in the page URL: the filters and sort GET /api/findings takes (the
 * findings CSV takes exactly the same), plus the page's cursor. Empty values are dropped, so a URL holds only
 * the filters in force and the CSV link exports exactly the rows the table pages through.
 */

/** The filters, in the order the form shows them. */
export const FILTER_KEYS = [
  'provider',
  'integration_id',
  'account',
  'region',
  'resource_type',
  'resource_id',
  'rule_id',
  'severity',
  'status',
  'framework',
  'control',
  'excepted',
  'new_since_last_scan',
  'scan_id',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Partial<Record<FilterKey | 'sort', string>>;

export const DEFAULT_SORT = 'severity';

export const SORTS = [
  { value: 'severity', label: 'Severity, most severe first' },
  { value: 'rule_id', label: 'Rule' },
  { value: 'resource_id', label: 'Resource' },
  { value: 'resource_type', label: 'Resource type' },
] as const;

/** Findings per page of the table. */
export const PAGE_SIZE = 50;

/** The filters and sort in `params` (unknown keys and empty values left out; the default sort too). */
export function filtersOf(params: URLSearchParams): Filters {
  const filters: Filters = {};
  for (const key of [...FILTER_KEYS, 'sort'] as const) {
    const value = params.get(key)?.trim();
    if (value && !(key === 'sort' && value === DEFAULT_SORT)) filters[key] = value;
  }
  return filters;
}

/** A query string of the filters (and `extra`, e.g. the cursor), in a stable order. */
export function queryOf(filters: Filters, extra: Record<string, string | null | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, 'sort'] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
  return params.toString();
}

/** The API path of one page of the explorer under `filters`. */
export function findingsApiPath(filters: Filters, cursor: string | null): string {
  return `/api/findings?${queryOf(filters, { limit: String(PAGE_SIZE), cursor })}`;
}

/** The findings CSV of exactly the filtered set (every page, not only the one shown). */
export function csvPath(filters: Filters): string {
  const query = queryOf(filters);
  return `/api/reports/findings.csv${query ? `?${query}` : ''}`;
}

/** The page's own query string with `changes` applied (null removes a filter); always back to page one. */
export function withFilters(filters: Filters, changes: Filters | Record<string, string | null>): string {
  const next: Filters = { ...filters };
  for (const [key, value] of Object.entries(changes)) {
    if (value) next[key as FilterKey] = value;
    else delete next[key as FilterKey];
  }
  const query = queryOf(next);
  return query ? `?${query}` : '';
}

/** A form's fields as filters (empty fields dropped). */
export function filtersOfForm(form: FormData): Filters {
  const params = new URLSearchParams();
  for (const [key, value] of form) if (typeof value === 'string') params.set(key, value);
  return filtersOf(params);
}

/** How many filters are in force (the sort is not a filter). */
export function activeFilterCount(filters: Filters): number {
  return FILTER_KEYS.filter((key) => filters[key]).length;
}
