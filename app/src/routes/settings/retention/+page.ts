import { error } from '@sveltejs/kit';
import { adminCalls } from '#lib/api/admin.ts';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { RETENTION_DEPENDENCY } from './retention.ts';

/** Retention windows and legal hold: admins change them, auditors read them, users get the role message. */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(RETENTION_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'settings:read')) error(403, NOT_FOR_YOUR_ROLE);
  return { settings: await orPageError(adminCalls(api).retention()) };
};
