import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One requirement over the tenant's posture: its controls and the evidence behind them. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const detail = await orPageError(api.getPostureRequirement(params.frameworkId, params.requirementId));
  return { ref: params.frameworkId, ...detail };
};
