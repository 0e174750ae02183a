import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { OVERRIDES_DEPENDENCY, type OverrideItem } from './overrides.ts';

/**
 * The tenant's overrides, retired ones included (the page shows their state). A role without
 * `override:read` gets the error page's role message without asking the API, which would refuse it.
 */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(OVERRIDES_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'override:read')) error(403, NOT_FOR_YOUR_ROLE);
  const page = await orPageError(
    api.request<{ items: OverrideItem[]; next_cursor: string | null }>(
      '/api/overrides?include_retired=true&limit=500',
    ),
  );
  return { overrides: page.items, more: page.next_cursor !== null };
};
