import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type {
  AuditDetail,
  AuditMark,
  AuditResult,
  AuditRuleVersion,
  AuditSample,
  ExceptionsRegister,
} from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { AUDIT_DEPENDENCY } from '../audits.ts';

/**
 * One audit's workspace: its summary and auditors, the scans of its period with their scores, how many rule
 * versions and exceptions its sections hold, the current feedback marks (the admin reads the flags) and the
 * samples drawn.
 */
export const load: PageLoad = async ({ params, parent, depends }) => {
  depends(AUDIT_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const audit = await orPageError(api.request<AuditDetail>(base));
  const [results, versions, register, marks, samples] = await orPageError(
    Promise.all([
      api.request<{ items: AuditResult[]; next_cursor: string | null }>(`${base}/results?limit=20`),
      api.request<{ items: AuditRuleVersion[] }>(`${base}/rule-versions`),
      api.request<ExceptionsRegister>(`${base}/exceptions`),
      api.request<{ items: AuditMark[] }>(`${base}/marks`),
      api.request<{ items: AuditSample[] }>(`${base}/samples`),
    ]),
  );
  return {
    audit,
    results: results.items,
    moreResults: results.next_cursor !== null,
    rules: new Set(versions.items.map((v) => v.rule_id)).size,
    versions: versions.items.length,
    exceptions: register.items.length,
    marks: marks.items,
    samples: samples.items,
  };
};
