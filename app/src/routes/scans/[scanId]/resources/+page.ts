import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { Scan, ScanPart, ScanResourcePage } from '#lib/api/types.ts';
import type { PageLoad } from './$types';
import { resourceFiltersOf, scanResourcesApiPath } from './resources.ts';

/**
 * One page of the resources a scan collected, under the filters in the URL (a reload or a shared link shows
 * the same rows), with the scan and its parts (the part filter's choices).
 */
export const load: PageLoad = async ({ params, parent, url }) => {
  await parent();
  const filters = resourceFiltersOf(url.searchParams);
  const cursor = url.searchParams.get('cursor') || null;
  const id = encodeURIComponent(params.scanId);
  const [scan, parts, page] = await Promise.all([
    orPageError(api.request<Scan>(`/api/scans/${id}`)),
    orPageError(api.request<{ items: ScanPart[] }>(`/api/scans/${id}/parts`)),
    orPageError(api.request<ScanResourcePage>(scanResourcesApiPath(params.scanId, filters, cursor))),
  ]);
  return { scan, parts: parts.items, page, filters, cursor };
};
