import { error } from '@sveltejs/kit';
import { adminCalls, type Schedule } from '#lib/api/admin.ts';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { INTEGRATIONS_DEPENDENCY, splitArchived } from './integrations.ts';

/**
 * The tenant's integrations with their schedules (archived ones apart: history, no schedule), and the
 * providers' settings schemas for the forms. Admins
 * manage them, auditors read them; a user gets the error page's role message without asking the API.
 */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(INTEGRATIONS_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'settings:read')) error(403, NOT_FOR_YOUR_ROLE);
  const admin = adminCalls(api);
  const [integrations, providers] = await Promise.all([
    orPageError(admin.integrations()),
    orPageError(admin.providers()),
  ]);
  const { active, archived } = splitArchived(integrations.items);
  const schedules = await orPageError(Promise.all(active.map((i) => admin.schedule(i.id))));
  return {
    integrations: active,
    archived,
    providers: providers.items,
    schedules: Object.fromEntries(schedules.map((s) => [s.integration_id, s])) as Record<string, Schedule>,
  };
};
