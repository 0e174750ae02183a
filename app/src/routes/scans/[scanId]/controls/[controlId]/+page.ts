import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** One control of one scan: its result, framework mappings and findings. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const detail = await orPageError(api.getControl(params.scanId, params.controlId));
  return { scanId: params.scanId, ...detail };
};
