import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type {
  AuditDetail,
  AuditLedgerPage,
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
 * versions, exceptions and ledger entries its sections hold, the current feedback marks (the admin reads the
 * flags) and the samples drawn.
 */
export const load: PageLoad = async ({ params, parent, depends }) => {
  depends(AUDIT_DEPENDENCY);
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const audit = await orPageError(api.request<AuditDetail>(base));
  const [results, versions, register, marks, samples, ledger] = await orPageError(
    Promise.all([
      api.request<{ items: AuditResult[]; next_cursor: string | null }>(`${base}/results?limit=20`),
      api.request<{ items: AuditRuleVersion[] }>(`${base}/rule-versions`),
      api.request<ExceptionsRegister>(`${base}/exceptions`),
      api.request<{ items: AuditMark[] }>(`${base}/marks`),
      api.request<{ items: AuditSample[] }>(`${base}/samples`),
      // One entry is enough: the answer counts the period's entries.
      api.request<AuditLedgerPage>(`${base}/ledger?limit=1`),
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
    ledgerEntries: ledger.total,
  };
};
