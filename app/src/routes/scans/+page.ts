import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { Integration, ScanPage } from '#lib/api/types.ts';
import type { PageLoad } from './$types';
import { scansApiPath } from './scans.ts';

/** One page of the scan history (of one integration with `?integration_id=`), newest first. */
export const load: PageLoad = async ({ parent, url }) => {
  await parent();
  const integrationId = url.searchParams.get('integration_id') || null;
  const cursor = url.searchParams.get('cursor') || null;
  const [scans, integrations] = await Promise.all([
    orPageError(api.request<ScanPage>(scansApiPath(integrationId, cursor))),
    // Archived integrations too: their scans stay in the history, labelled.
    orPageError(api.request<{ items: Integration[] }>('/api/integrations?limit=500&include=archived')),
  ]);
  return { scans, integrations: integrations.items, integrationId, cursor };
};
