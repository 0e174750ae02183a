import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { Scan, ScanPart } from '#lib/api/types.ts';
import type { PageLoad } from './$types';

/** One scan and its parts: which worker collected each part, how often it was tried, what it collected. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const [scan, parts] = await Promise.all([
    orPageError(api.request<Scan>(`/api/scans/${encodeURIComponent(params.scanId)}`)),
    orPageError(api.request<{ items: ScanPart[] }>(`/api/scans/${encodeURIComponent(params.scanId)}/parts`)),
  ]);
  return { scan, parts: parts.items };
};
