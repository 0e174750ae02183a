import { api } from '#lib/api/session.svelte.ts';
import { SCORES_DEPENDENCY, orPageError } from '#lib/api/load.ts';
import type { ControlSummary, Scan } from '#lib/api/types.ts';
import type { PageLoad } from './$types';

/** Scores of the latest succeeded scan, the controls behind them, the integrations and their latest scans. */
export const load: PageLoad = async ({ depends, parent }) => {
  await parent();
  depends(SCORES_DEPENDENCY);
  const [scores, integrations, scans] = await Promise.all([
    orPageError(api.getScores()),
    orPageError(api.listIntegrations()),
    orPageError(api.listScans()),
  ]);
  const controls: ControlSummary[] = scores.scan_id
    ? (await orPageError(api.listControls(scores.scan_id))).items
    : [];
  return {
    scores,
    controls,
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
