import { error } from '@sveltejs/kit';
import { NOT_FOR_YOUR_ROLE } from '#lib/api/errors.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type {
  AuditDetail,
  AuditRuleVersion,
  RuleVersionDetail,
  RuleVersionDiff,
  RuleVersionFindingsPage,
} from '#lib/api/types.ts';
import { can } from '#lib/permissions.ts';
import type { PageLoad } from './$types';
import { FINDINGS_PAGE, nextVersion, versionsByRule } from '../../../audits.ts';

/**
 * One rule inside an audit: every version in force in the period with its source, the findings each produced
 * in the period's scans, and the diff of two versions (`?from=&to=` hashes; by default a version and the next).
 */
export const load: PageLoad = async ({ params, parent, url }) => {
  await parent();
  if (!can(api.session?.role, 'audit:read')) error(403, NOT_FOR_YOUR_ROLE);
  const base = `/api/audits/${encodeURIComponent(params.auditId)}`;
  const rule = encodeURIComponent(params.ruleId);
  const [audit, all] = await orPageError(
    Promise.all([
      api.request<AuditDetail>(base),
      api.request<{ items: AuditRuleVersion[] }>(`${base}/rule-versions`),
    ]),
  );
  const versions =
    versionsByRule(all.items.filter((v) => v.rule_id === params.ruleId)).get(params.ruleId) ?? [];
  if (versions.length === 0)
    error(404, `No version of ${params.ruleId} was in force during this audit's period.`);
  const known = (hash: string | null) => (hash && versions.some((v) => v.hash === hash) ? hash : null);
  const from = known(url.searchParams.get('from')) ?? versions[0]!.hash;
  const to = known(url.searchParams.get('to')) ?? nextVersion(versions, from)?.hash ?? null;
  const [details, findings, diff] = await orPageError(
    Promise.all([
      Promise.all(
        versions.map((v) => api.request<RuleVersionDetail>(`/api/rules/${rule}/versions/${v.hash}`)),
      ),
      Promise.all(
        versions.map((v) =>
          api.request<RuleVersionFindingsPage>(
            `${base}/rules/${rule}/versions/${v.hash}/findings?limit=${FINDINGS_PAGE}`,
          ),
        ),
      ),
      to && to !== from
        ? api.request<RuleVersionDiff>(`/api/rules/${rule}/versions/${from}/diff/${to}`)
        : Promise.resolve(null),
    ]),
  );
  return { audit, ruleId: params.ruleId, versions, details, findings, from, to, diff };
};
