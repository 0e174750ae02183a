import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, ExceptionsRegister } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

/** The audit's exceptions register, with the members' e-mails to name who created each entry. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const [audit, register, members] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<ExceptionsRegister>(`${base}/exceptions`),
      api.listMembers(),
    ]),
  );
  return { audit, register, people: Object.fromEntries(members.items.map((m) => [m.user_id, m.email])) };
};
