import { error } from '@sveltejs/kit';
import { adminCalls } from '#lib/api/admin.ts';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { SCORING_DEPENDENCY, type ScoringPolicy } from './scoring.ts';

/** The scoring policy beside the tenant's frameworks: admins change it, auditors read it. */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(SCORING_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'settings:read')) error(403, NOT_FOR_YOUR_ROLE);
  const [view, frameworks] = await Promise.all([
    orPageError(adminCalls(api).scoringPolicy()),
    orPageError(api.listFrameworks()),
  ]);
  return { view, policy: view.policy as ScoringPolicy, frameworks: frameworks.items };
};
