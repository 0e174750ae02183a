/**
 * Framework scores for one tenant: the engine's scoreFrameworks with the tenant's scoring policy and manual
 * evidence, and the rows a score snapshot is stored as. Each snapshot records what it was computed with (the
 * tenant's whole policy and its sha256, the manual evidence that counted, the time
 * freshness was judged at), so an auditor can recompute it from the scan's control results.
 */
import { type Frameworks, evaluateControls, scoreFrameworks } from '../../../engine/index.ts';
import type { ControlResult, Finding, FrameworkScore } from '../../../schemas/index.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { toEngineEvidence, type ScoredEvidence } from '../evidence/manual.ts';
import { listManualEvidence } from '../evidence/store.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import { controlResultsOf, latestSucceededScan } from '../scans/store.ts';
import type { StoredPolicy } from './policy.ts';
import { currentPolicy, storeScores } from './store.ts';

export interface TenantScores {
  /** The UCF control results, rolled up under the policy's `controls` rule. */
  controls: ControlResult[];
  scores: FrameworkScore[];
  policy: StoredPolicy;
  evidence: ScoredEvidence[];
  scoredAt: Date;
}

/**
 * Scores `controls` against the shared frameworks and the tenant's own uploads, under the policy and manual
 * evidence of the tenant of `trx`, freshness judged at `now`.
 */
export async function scoreForTenant(
  trx: Trx,
  base: Frameworks,
  controls: readonly ControlResult[],
  now: Date,
): Promise<TenantScores> {
  const frameworks = await tenantFrameworks(trx, base);
  const policy = await currentPolicy(trx);
  const evidence = toEngineEvidence(await listManualEvidence(trx), frameworks);
  const scores = scoreFrameworks(controls, frameworks, { policy: policy.policy, evidence, now });
  return { controls: [...controls], scores, policy, evidence, scoredAt: now };
}

/** A scan's findings → control results under the tenant policy's `controls` rule → scores (scoreForTenant). */
export async function scoreFindingsForTenant(
  trx: Trx,
  base: Frameworks,
  findings: readonly Finding[],
  now: Date,
): Promise<TenantScores> {
  const { policy } = await currentPolicy(trx);
  const controls = evaluateControls(findings, base, policy.controls ? { rollup: policy.controls } : {});
  return scoreForTenant(trx, base, controls, now);
}

/** framework_scores rows of one scan: the score and what it was computed with. */
export function scoreRows(tenantId: string, scanId: string, scored: TenantScores): Record<string, unknown>[] {
  return scored.scores.map((s) => {
    const controls = new Set(s.requirements.flatMap((r) => r.control_ids));
    const used = scored.evidence
      .filter((e) => controls.has(e.control_id))
      .map(({ evidence_id, control_id, verdict, collected_at }) => ({
        evidence_id,
        control_id,
        verdict,
        collected_at,
      }));
    return {
      tenant_id: tenantId,
      scan_id: scanId,
      framework_id: s.framework_id,
      framework_version: s.framework_version,
      title: s.title,
      score: s.score,
      passed: s.passed,
      failed: s.failed,
      not_applicable: s.not_applicable,
      requirements: JSON.stringify(s.requirements),
      needs_evidence: s.needs_evidence ?? 0,
      weighted: s.weighted ?? false,
      // The whole policy in force: with the scan's control results it recomputes every score.
      policy: JSON.stringify(scored.policy.policy),
      policy_sha256: scored.policy.sha256,
      manual_evidence: JSON.stringify(used),
      scored_at: scored.scoredAt,
    };
  });
}

/**
 * Recomputes the scores of the tenant's newest succeeded scan from its stored control results (after manual
 * evidence changed: no new scan needed). Returns the scan id, or null when the tenant has no scan yet.
 */
export async function rescoreLatestScan(
  trx: Trx,
  tenantId: string,
  base: Frameworks,
  now: Date,
): Promise<{ scan_id: string; scores: FrameworkScore[] } | null> {
  const latest = await latestSucceededScan(trx);
  if (!latest) return null;
  const controls = await controlResultsOf(trx, latest.id);
  const scored = await scoreForTenant(trx, base, controls, now);
  await storeScores(trx, scoreRows(tenantId, latest.id, scored));
  return { scan_id: latest.id, scores: scored.scores };
}
