import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, AuditMark, AuditRequirementEvidence } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { AUDIT_DEPENDENCY, snapshotPage } from '../../../../../audits.ts';

/**
 * One requirement's evidence inside an audit: only what belongs to the period (one page of the snapshots its
 * scans cited, as the URL's `cursor` and `limit` say; the manual evidence in force), each re-hashed by the
 * server now; the auditors' current mark on it, and the members' e-mails to name who attested.
 */
export const load: PageLoad = async ({ params, parent, depends, url }) => {
  depends(AUDIT_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const enc = encodeURIComponent;
  const page = snapshotPage(url.searchParams);
  const [audit, evidence, marks, members] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<AuditRequirementEvidence>(
        `${base}/frameworks/${enc(params.frameworkId)}/requirements/${enc(params.requirementId)}/evidence?${page.query}`,
      ),
      api.request<{ items: AuditMark[] }>(`${base}/marks`),
      api.listMembers(),
    ]),
  );
  const { framework, requirement } = evidence;
  const mark = marks.items.find(
    (m) =>
      m.framework_id === framework.framework_id &&
      m.framework_version === framework.framework_version &&
      m.requirement_id === requirement.requirement_id,
  );
  return {
    audit,
    evidence,
    page,
    mark: mark ?? null,
    people: Object.fromEntries(members.items.map((m) => [m.user_id, m.email])),
  };
};
