import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { MEMBERS_DEPENDENCY } from './members.ts';

/**
 * The tenant's members and pending invitations. A role without `member:read` gets the error page's role
 * message without asking the API, which would refuse it.
 */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(MEMBERS_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'member:read')) error(403, NOT_FOR_YOUR_ROLE);
  const [members, invitations] = await Promise.all([
    orPageError(api.listMembers()),
    orPageError(api.listInvitations()),
  ]);
  return { members: members.items, invitations: invitations.items };
};
