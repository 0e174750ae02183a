import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { historyPageSize } from '../frameworks.ts';

/**
 * One framework (`id@version` from the list, or a bare id) with its requirements' coverage and the first
 * page of its score history (`?per_page=` sets the page size). An unknown framework is the API's 404, shown
 * by the error page.
 */
export const load: PageLoad = async ({ parent, params, url }) => {
  await parent();
  const pageSize = historyPageSize(url.searchParams.get('per_page'));
  const [coverage, history] = await Promise.all([
    orPageError(api.getCoverage(params.frameworkId)),
    orPageError(api.getScoreHistory(params.frameworkId, { limit: pageSize })),
  ]);
  return { ref: params.frameworkId, frameworks: coverage.frameworks, history, pageSize };
};
