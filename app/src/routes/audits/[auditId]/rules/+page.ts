import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, AuditRuleVersion } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';

/** The rule versions in force at any moment of the audit's period; `?on=` picks a moment to look at. */
export const load: PageLoad = async ({ params, parent, url }) => {
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const [audit, versions] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<{ items: AuditRuleVersion[] }>(`${base}/rule-versions`),
    ]),
  );
  const on = url.searchParams.get('on') ?? '';
  return { audit, versions: versions.items, on };
};
