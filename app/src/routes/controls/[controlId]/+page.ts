import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One control over the tenant's posture: result, the policy that decided it, findings of every integration. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  return orPageError(api.getPostureControl(params.controlId));
};
