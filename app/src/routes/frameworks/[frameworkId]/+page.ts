import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { matchesFrameworkRef, parseStateFilter } from '#lib/drilldown.ts';
import { historyPageSize, parseCoverageFilter } from '../frameworks.ts';

/**
 * One framework (`id@version` from the list, or a bare id) with its requirements' coverage, its scores over
 * the tenant's posture (`?status=` keeps only the requirements in one state, `?group=` those within one group of the catalog) and the first page of its score
 * history (`?per_page=` sets the page size); `?coverage=` keeps only the requirements of one coverage level. An unknown framework is the API's 404, shown by the error page.
 */
export const load: PageLoad = async ({ parent, params, url }) => {
  await parent();
  const pageSize = historyPageSize(url.searchParams.get('per_page'));
  const [coverage, history, scores] = await Promise.all([
    orPageError(api.getCoverage(params.frameworkId)),
    orPageError(api.getScoreHistory(params.frameworkId, { limit: pageSize })),
    orPageError(api.getScores()),
  ]);
  return {
    ref: params.frameworkId,
    frameworks: coverage.frameworks,
    history,
    pageSize,
    posture: scores.items.filter((score) => matchesFrameworkRef(score, params.frameworkId)),
    status: parseStateFilter(url.searchParams.get('status')),
    group: url.searchParams.get('group') || null,
    coverageFilter: parseCoverageFilter(url.searchParams.get('coverage')),
  };
};
