import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { frameworkRows } from './frameworks.ts';

/** Every catalog the tenant is scored against, each with its requirement coverage. */
export const load: PageLoad = async ({ parent }) => {
  await parent();
  const [frameworks, coverage] = await Promise.all([
    orPageError(api.listFrameworks()),
    orPageError(api.getCoverage()),
  ]);
  return { rows: frameworkRows(frameworks.items, coverage.frameworks) };
};
