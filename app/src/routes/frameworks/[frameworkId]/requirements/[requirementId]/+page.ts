import { adminCalls } from '#lib/api/admin.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/**
 * One requirement over the tenant's posture: its controls and the evidence behind them, and the scoring
 * policy (every role may read it) for how long manual evidence counts.
 */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const [detail, policy] = await Promise.all([
    orPageError(api.getPostureRequirement(params.frameworkId, params.requirementId)),
    orPageError(adminCalls(api).scoringPolicy()),
  ]);
  return { ref: params.frameworkId, ...detail, policy: policy.policy };
};
