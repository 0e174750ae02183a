import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One resource of the posture: its normalized attributes and every finding on it. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  return orPageError(api.getResource(params.resourceId));
};
