import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { HISTORY_PAGE_SIZE } from '../frameworks.ts';

/**
 * One framework (`id@version` from the list, or a bare id) with its requirements' coverage and the first
 * page of its score history. An unknown framework is the API's 404, shown by the error page.
 */
export const load: PageLoad = async ({ parent, params }) => {
  await parent();
  const [coverage, history] = await Promise.all([
    orPageError(api.getCoverage(params.frameworkId)),
    orPageError(api.getScoreHistory(params.frameworkId, { limit: HISTORY_PAGE_SIZE })),
  ]);
  return { ref: params.frameworkId, frameworks: coverage.frameworks, history };
};
