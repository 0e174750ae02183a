import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { ExplorerPage, FrameworksResponse, Integration } from '#lib/api/types.ts';
import type { PageLoad } from './$types';
import { filtersOf, findingsApiPath } from './explorer.ts';

/**
 * One page of the findings explorer for the filters in the URL (so a reload or a shared link shows the same
 * rows), with the integrations and frameworks the filter form offers. A filter the API refuses is its 400,
 * shown by the error page with the API's words.
 */
export const load: PageLoad = async ({ parent, url }) => {
  await parent();
  const filters = filtersOf(url.searchParams);
  const cursor = url.searchParams.get('cursor');
  const [page, integrations, frameworks] = await Promise.all([
    orPageError(api.request<ExplorerPage>(findingsApiPath(filters, cursor))),
    orPageError(api.request<{ items: Integration[] }>('/api/integrations?limit=500')),
    orPageError(api.request<FrameworksResponse>('/api/frameworks')),
  ]);
  const frameworkIds = new Map<string, string>();
  for (const f of frameworks.items) if (!frameworkIds.has(f.id)) frameworkIds.set(f.id, f.title);
  return {
    filters,
    cursor,
    page,
    integrations: integrations.items,
    frameworks: [...frameworkIds].map(([id, title]) => ({ id, title })),
  };
};
