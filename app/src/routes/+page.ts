import { api } from '#lib/api/session.svelte.ts';
import { SCORES_DEPENDENCY, orPageError } from '#lib/api/load.ts';
import type { ControlSummary, Scan, ScoreSnapshot } from '#lib/api/types.ts';
import { frameworkRef } from './frameworks/frameworks.ts';
import type { PageLoad } from './$types';

/** Scoring events drawn in each card's trend. */
export const TREND_POINTS = 30;

/**
 * The tenant's posture, the controls behind it, the integrations and their latest scans, and each framework's
 * newest scoring events for its card's trend.
 */
export const load: PageLoad = async ({ depends, parent }) => {
  await parent();
  depends(SCORES_DEPENDENCY);
  const [scores, integrations, scans] = await Promise.all([
    orPageError(api.getScores()),
    orPageError(api.listIntegrations()),
    orPageError(api.listScans()),
  ]);
  const [controls, histories] = await Promise.all([
    scores.scan_id ? orPageError(api.listControls(scores.scan_id)).then((page) => page.items) : [],
    Promise.all(
      scores.items.map((score) =>
        orPageError(
          api.getScoreHistory(frameworkRef(score.framework_id, score.framework_version), {
            limit: TREND_POINTS,
          }),
        ).then((page): [string, ScoreSnapshot[]] => [
          frameworkRef(score.framework_id, score.framework_version),
          page.items,
        ]),
      ),
    ),
  ]);
  return {
    scores,
    controls: controls as ControlSummary[],
    trends: Object.fromEntries(histories) as Record<string, ScoreSnapshot[]>,
    integrations: integrations.items,
    latestScans: latestScanPerIntegration(scans.items),
  };
};

/** The newest scan of each integration, keyed by integration id. */
function latestScanPerIntegration(scans: Scan[]): Record<string, Scan> {
  const latest: Record<string, Scan> = {};
  for (const scan of scans) {
    if (!scan.integration_id) continue;
    const seen = latest[scan.integration_id];
    if (!seen || seen.created_at < scan.created_at) latest[scan.integration_id] = scan;
  }
  return latest;
}
