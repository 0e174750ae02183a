import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, FrameworkInfo } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { AUDITS_DEPENDENCY, listsAuditor } from './audits.ts';

/**
 * The tenant's audits, newest first, with their auditors. An admin sees every audit and the frameworks to
 * open one over; an auditor sees the audits that list them. Users get the role message without asking.
 */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(AUDITS_DEPENDENCY);
  await parent();
  const session = api.session;
  if (!can(session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const page = await orPageError(
    api.request<{ items: { id: string }[]; next_cursor: string | null }>('/api/audits?limit=50'),
  );
  const audits = await orPageError(
    Promise.all(page.items.map((a) => api.request<AuditDetail>(`/api/audits/${encodeURIComponent(a.id)}`))),
  );
  const manage = can(session?.role, 'audit:manage');
  const frameworks: FrameworkInfo[] = manage ? (await orPageError(api.listFrameworks())).items : [];
  return {
    audits: manage ? audits : audits.filter((a) => listsAuditor(a, session!.user.id, session!.user.email)),
    more: page.next_cursor !== null,
    frameworks,
  };
};
