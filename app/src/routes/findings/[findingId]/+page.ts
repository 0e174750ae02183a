import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One finding: its rule, resource, evidence, exception and the controls its rule tests. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  return orPageError(api.getFinding(params.findingId));
};
