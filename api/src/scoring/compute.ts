/**
 * Framework scores for one tenant: the engine's scoreFrameworks with the tenant's scoring policy and manual
 * evidence, the rows a score snapshot is stored as, and the tenant's posture (every integration's latest
 * succeeded scan merged) recorded at each scoring event. Each snapshot records what it was computed with (the
 * tenant's whole policy and its sha256, the manual evidence that counted, the time
 * freshness was judged at), so an auditor can recompute it from the scan's control results.
 */
import {
  type Frameworks,
  evaluateControls,
  mergeControlResults,
  restrictToRules,
  scoreFrameworks,
} from '../../../engine/index.ts';
import type { ControlResult, Finding, FrameworkScore } from '../../../schemas/index.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { toEngineEvidence, type ScoredEvidence } from '../evidence/manual.ts';
import { listManualEvidence } from '../evidence/store.ts';
import { tenantFrameworks } from '../frameworks/catalogs.ts';
import { controlResultsOf, findingsOfScans, latestSucceededPerIntegration } from '../scans/store.ts';
import type { StoredPolicy } from './policy.ts';
import { currentPolicy, insertPosture, lockPosture, type ScoringEventInput } from './store.ts';

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

/** A score and what it was computed with: the columns framework_scores and posture_scores share. */
function snapshotColumns(s: FrameworkScore, scored: TenantScores): Record<string, unknown> {
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
    // The whole policy in force: with the control results it recomputes every score.
    policy: JSON.stringify(scored.policy.policy),
    policy_sha256: scored.policy.sha256,
    manual_evidence: JSON.stringify(used),
  };
}

/** framework_scores rows of one scan: the score and what it was computed with. */
export function scoreRows(tenantId: string, scanId: string, scored: TenantScores): Record<string, unknown>[] {
  return scored.scores.map((s) => ({
    tenant_id: tenantId,
    scan_id: scanId,
    ...snapshotColumns(s, scored),
    scored_at: scored.scoredAt,
  }));
}

/**
 * After how many days an integration's latest succeeded scan no longer describes the account: the posture
 * flags it stale. A week: schedules run scans daily or weekly, so a week without a good scan means scans stop
 * or keep failing, while cloud resources change within days. Not in the scoring policy: staleness is a
 * warning on the answer, it changes no score.
 */
export const STALE_AFTER_DAYS = 7;

/**
 * What changed the posture: a scan that succeeded, manual evidence (no integration, no scan), or an
 * integration archived (its results leave the posture).
 */
export type PostureTrigger =
  | { reason: 'scan'; scan_id: string }
  | { reason: 'manual_evidence' }
  | { reason: 'integration_archived'; integration_id: string };

/** A recorded scoring event: its id, the scans it merged, and the tenant's scores. */
export interface ScoredPosture {
  event_id: string;
  /** The integration whose scan triggered the event (null for manual evidence). */
  integration_id: string | null;
  sources: ScoringEventInput['sources'];
  scores: FrameworkScore[];
}

/**
 * Records a scoring event (docs/scoring.md, "Tenant posture"): the control results of each integration's
 * latest succeeded scan, merged and rolled up under the policy's `controls` rule, scored with the tenant's
 * policy and manual evidence at `now`. A failed scan is never a source, so an integration keeps its last
 * good result; an archived integration is never one. Null when the tenant has no succeeded scan (nothing to
 * score yet), except after an archive: then the posture is recorded without sources, so the archived
 * integration's results stop counting even when it was the last.
 */
export async function scorePosture(
  trx: Trx,
  tenantId: string,
  base: Frameworks,
  now: Date,
  trigger: PostureTrigger,
): Promise<ScoredPosture | null> {
  await lockPosture(trx, tenantId);
  const sources = await latestSucceededPerIntegration(trx);
  if (sources.length === 0 && trigger.reason !== 'integration_archived') return null;
  const results = [];
  for (const source of sources)
    results.push({ ...source, controls: await controlResultsOf(trx, source.scan_id) });
  const { policy } = await currentPolicy(trx);
  const merged = mergeControlResults(results, policy.controls);
  const scored = await scoreForTenant(trx, base, merged, now);
  // The integration of the scan that triggered it: the scan is one of the sources, just marked succeeded.
  const scanId = trigger.reason === 'scan' ? trigger.scan_id : null;
  const integrationId =
    trigger.reason === 'integration_archived'
      ? trigger.integration_id
      : (sources.find((s) => s.scan_id === scanId)?.integration_id ?? null);
  const event_id = await insertPosture(
    trx,
    tenantId,
    { reason: trigger.reason, integration_id: integrationId, scan_id: scanId, sources, scored_at: now },
    scored.scores.map((s) => snapshotColumns(s, scored)),
  );
  return { event_id, integration_id: integrationId, sources, scores: scored.scores };
}

/** A rule pack's view of the posture: the scans it read and the scores of their findings of the pack's rules. */
export interface PackScores {
  sources: { integration_id: string; scan_id: string; finished_at: string }[];
  scored: TenantScores;
}

/**
 * Scores the posture as a rule pack sees it (docs/rules.md, "Rule packs"): each integration's latest succeeded
 * scan, as scorePosture reads them, with only the findings of `ruleIds` that count (not set aside by an
 * exception, as the scan pipeline scores them), mapped through UCF links of those rules only, rolled up and
 * merged under the tenant's `controls` rule and scored by scoreForTenant: the main scores' own steps on fewer
 * findings. Nothing is stored: the main posture is what the tenant's scores are.
 */
export async function scorePackOverPosture(
  trx: Trx,
  base: Frameworks,
  ruleIds: readonly string[],
  now: Date,
): Promise<PackScores> {
  const sources = await latestSucceededPerIntegration(trx);
  const { policy } = await currentPolicy(trx);
  const packFrameworks = restrictToRules(base, ruleIds);
  const options = policy.controls ? { rollup: policy.controls } : {};
  const results = [];
  for (const source of sources) {
    const findings = await findingsOfScans(trx, [source.scan_id], { ruleIds });
    const counted = findings.filter((f) => f.exception_id === null) as unknown as Finding[];
    results.push({ ...source, controls: evaluateControls(counted, packFrameworks, options) });
  }
  const merged = mergeControlResults(results, policy.controls);
  return { sources, scored: await scoreForTenant(trx, packFrameworks, merged, now) };
}
