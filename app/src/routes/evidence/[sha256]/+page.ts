import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One evidence artifact: its sha256, whether the server's re-hash matched, and its content. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  return orPageError(api.getEvidence(params.sha256));
};
