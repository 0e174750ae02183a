import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { Integration } from '#lib/api/types.ts';
import { parseStateFilter } from '#lib/drilldown.ts';
import type { PageLoad } from './$types';
import { parseCountedFilter } from '../snapshot.ts';

/**
 * One past scoring event of one framework (`id@version` from a history row, or a bare id for every version
 * scored then): its score, figures and requirements as they were, `?counted=` keeping the requirements of
 * one figure of the history row and `?status=` those in one state. The integrations (archived ones too) only
 * name the scans the event merged. An unknown event is the API's 404, shown by the error page.
 */
export const load: PageLoad = async ({ parent, params, url }) => {
  await parent();
  const [snapshot, integrations] = await Promise.all([
    orPageError(api.getScoringEvent(params.eventId, params.frameworkId)),
    orPageError(api.request<{ items: Integration[] }>('/api/integrations?limit=500&include=archived')),
  ]);
  return {
    ref: params.frameworkId,
    snapshot,
    integrations: integrations.items,
    counted: parseCountedFilter(url.searchParams.get('counted')),
    status: parseStateFilter(url.searchParams.get('status')),
  };
};
