import { error } from '@sveltejs/kit';
import { adminCalls } from '#lib/api/admin.ts';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { TOKENS_DEPENDENCY } from './tokens.ts';

/** The tenant's API tokens (admins only: the API refuses every other role, so they get the role message). */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(TOKENS_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'token:manage')) error(403, NOT_FOR_YOUR_ROLE);
  const page = await orPageError(adminCalls(api).tokens());
  return { tokens: page.items };
};
