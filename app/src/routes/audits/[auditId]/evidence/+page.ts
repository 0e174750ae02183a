import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { AuditDetail, AuditEvidence, AuditMark, CoverageResponse } from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { AUDIT_DEPENDENCY } from '../../audits.ts';

/** Evidence pieces shown per page. */
const EVIDENCE_PAGE = 50;

/**
 * The audit's evidence: what the tenant recorded in the period (re-hashed by the server now), each
 * framework's requirements with the auditors' current marks, and the members' e-mails to name people.
 */
export const load: PageLoad = async ({ params, parent, depends }) => {
  depends(AUDIT_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const [audit, evidence, marks, members] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<{ items: AuditEvidence[]; next_cursor: string | null }>(
        `${base}/evidence?limit=${EVIDENCE_PAGE}`,
      ),
      api.request<{ items: AuditMark[] }>(`${base}/marks`),
      api.listMembers(),
    ]),
  );
  const coverage: CoverageResponse['frameworks'] = [];
  for (const f of audit.frameworks) {
    const answer = await orPageError(api.getCoverage(`${f.framework_id}@${f.framework_version}`));
    coverage.push(...answer.frameworks);
  }
  return {
    audit,
    evidence,
    marks: marks.items,
    coverage,
    people: Object.fromEntries(members.items.map((m) => [m.user_id, m.email])),
  };
};
