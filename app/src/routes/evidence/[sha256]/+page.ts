import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

/**
 * One evidence artifact of any media type: its record, the server's re-hash of the stored bytes, what
 * recorded and what cites it, the content of a JSON artifact; and the members' e-mails to name who recorded
 * it, for the roles that may list members.
 */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const [evidence, members] = await orPageError(
    Promise.all([
      api.getEvidence(params.sha256),
      can(api.session?.role, 'member:read') ? api.listMembers() : Promise.resolve({ items: [] }),
    ]),
  );
  return {
    ...evidence,
    people: Object.fromEntries(members.items.map((m) => [m.user_id, m.email])) as Record<string, string>,
  };
};
