import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { OVERRIDES_DEPENDENCY, type OverrideItem } from './overrides.ts';

/** The tenant's overrides, retired ones included (the page shows their state). */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(OVERRIDES_DEPENDENCY);
  await parent();
  const page = await orPageError(
    api.request<{ items: OverrideItem[]; next_cursor: string | null }>(
      '/api/overrides?include_retired=true&limit=500',
    ),
  );
  return { overrides: page.items, more: page.next_cursor !== null };
};
