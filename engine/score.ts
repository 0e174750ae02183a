/** Control results → framework scores, through the UCF mappings (docs/scoring.md). */
import type {
  ControlResult,
  FrameworkScore,
  FrameworkScoringPolicy,
  ScoringPolicy,
  Status,
} from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import { scoreBasis, stateCounts, type RequirementState } from './posture.ts';
import { ALL_PASS, countStatuses, rollUpWith, type RollupStatus } from './rollup.ts';

/**
 * For one framework version, requirement id → UCF controls mapped to it (sorted, unique). A requirement with
 * an `equal` link to another catalog's requirement (a CMMC practice and the SP 800-171 requirement it is)
 * also gets the controls mapped to that requirement: the same requirement is assessed once.
 */
export function controlsByRequirement(
  frameworks: Frameworks,
  id: string,
  version: string,
): Map<string, string[]> {
  const direct = new Map<string, Set<string>>();
  for (const control of frameworks.controls) {
    for (const m of control.mappings) {
      const key = `${m.framework}@${m.framework_version}/${m.requirement}`;
      if (!direct.has(key)) direct.set(key, new Set());
      direct.get(key)!.add(control.id);
    }
  }
  const map = new Map<string, string[]>();
  const fw = frameworks.frameworks.find((f) => f.id === id && f.version === version);
  for (const req of fw?.requirements ?? []) {
    const ids = new Set(direct.get(`${id}@${version}/${req.id}`) ?? []);
    for (const link of req.links ?? []) {
      if (link.relationship !== 'equal') continue;
      for (const c of direct.get(`${link.framework}@${link.framework_version}/${link.requirement}`) ?? []) {
        ids.add(c);
      }
    }
    if (ids.size > 0) map.set(req.id, [...ids].sort());
  }
  return map;
}

/** Evidence people attached to a UCF control they assess (a policy document, a review record...). */
export interface ManualEvidence {
  control_id: string;
  /** What the reviewer concluded from it. */
  verdict: 'pass' | 'fail';
  /** ISO 8601 time the evidence was collected; it goes stale after the policy's freshness window. */
  collected_at: string;
}

/** Options of scoreFrameworks: a tenant's scoring policy, its manual evidence, and the time to judge freshness. */
export interface ScoreOptions {
  policy?: ScoringPolicy;
  evidence?: readonly ManualEvidence[];
  now?: Date;
}

export const DEFAULT_EVIDENCE_FRESHNESS_DAYS = 365;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The policy for one framework version: `id@version` beats `id` beats `default`. */
export function frameworkPolicy(
  policy: ScoringPolicy | undefined,
  id: string,
  version: string,
): FrameworkScoringPolicy {
  return policy?.frameworks?.[`${id}@${version}`] ?? policy?.frameworks?.[id] ?? policy?.default ?? {};
}

/** How many days manual evidence counts after it was collected, under the policy for one framework version. */
export function evidenceFreshnessDays(
  policy: ScoringPolicy | undefined,
  id: string,
  version: string,
): number {
  return frameworkPolicy(policy, id, version).evidence_freshness_days ?? DEFAULT_EVIDENCE_FRESHNESS_DAYS;
}

/**
 * One score per framework version (docs/scoring.md). A requirement rolls up from the results of the UCF
 * controls that rules test, plus the controls people assess that have fresh evidence (its verdict). When
 * that gives nothing and some control people assess lacks fresh evidence, the requirement needs evidence
 * (status not_applicable, `needs_evidence: true`, the controls in `evidence_needed`). A requirement nothing
 * maps to is not_applicable. score = passed / (passed + failed) over applicable requirements (weighted when
 * the policy gives weights), where error counts as failed, and null when none applies.
 */
export function scoreFrameworks(
  controlResults: readonly ControlResult[],
  frameworks: Frameworks,
  options: ScoreOptions = {},
): FrameworkScore[] {
  const statusOf = new Map<string, Status>(controlResults.map((r) => [r.control_id, r.status]));
  const tested = testedControls(frameworks);
  const latest = new Map<string, ManualEvidence>();
  for (const e of options.evidence ?? []) {
    const seen = latest.get(e.control_id);
    if (!seen || Date.parse(e.collected_at) > Date.parse(seen.collected_at)) latest.set(e.control_id, e);
  }
  const now = (options.now ?? new Date()).getTime();
  return frameworks.frameworks.map((fw) => {
    const policy = frameworkPolicy(options.policy, fw.id, fw.version);
    const freshMs = evidenceFreshnessDays(options.policy, fw.id, fw.version) * DAY_MS;
    const weights = policy.weights;
    const mapped = controlsByRequirement(frameworks, fw.id, fw.version);
    let needsEvidence = 0;
    let passedWeight = 0;
    let failedWeight = 0;
    const counts = { pass: 0, fail: 0, not_applicable: 0, error: 0 };
    const requirements = fw.requirements.map((req) => {
      const control_ids = req.out_of_scope ? [] : (mapped.get(req.id) ?? []);
      const statuses: RollupStatus[] = [];
      const evidence_needed: string[] = [];
      for (const id of control_ids) {
        if (tested.has(id)) statuses.push(statusOf.get(id) ?? 'not_applicable');
        else {
          const e = latest.get(id);
          if (e && now - Date.parse(e.collected_at) <= freshMs) statuses.push(e.verdict);
          else evidence_needed.push(id);
        }
      }
      let status = rollUpWith(countStatuses(statuses), policy.requirements ?? ALL_PASS);
      // Automated verdicts stand on their own; with none, the requirement waits for people.
      if (status === 'not_applicable' && evidence_needed.length > 0) status = 'needs_evidence';
      const weight = weights?.[req.id] ?? 1;
      const waiting = status === 'needs_evidence';
      if (waiting) needsEvidence++;
      const final: Status = waiting
        ? policy.needs_evidence_counts_as === 'failed'
          ? 'fail'
          : 'not_applicable'
        : (status as Status);
      counts[final]++;
      // Nothing maps to a requirement in scope: no rule and no evidence attached here can assess it.
      const state: RequirementState = waiting
        ? 'needs_evidence'
        : control_ids.length === 0 && !req.out_of_scope
          ? 'manual'
          : final;
      if (final === 'pass') passedWeight += weight;
      else if (final === 'fail' || final === 'error') failedWeight += weight;
      return {
        requirement_id: req.id,
        title: req.title,
        status: final,
        state,
        control_ids,
        ...(waiting ? { needs_evidence: true } : {}),
        ...(evidence_needed.length > 0 ? { evidence_needed } : {}),
        ...(weights ? { weight } : {}),
      };
    });
    return {
      framework_id: fw.id,
      framework_version: fw.version,
      title: fw.title,
      score: passedWeight + failedWeight === 0 ? null : passedWeight / (passedWeight + failedWeight),
      passed: counts.pass,
      failed: counts.fail + counts.error,
      not_applicable: counts.not_applicable,
      requirements,
      needs_evidence: needsEvidence,
      ...(weights ? { weighted: true } : {}),
      status_counts: stateCounts(requirements),
      score_basis: scoreBasis(requirements, weights !== undefined),
    };
  });
}

/** Controls whose rules test them: automated and linked to at least one rule of the bundle. */
export function testedControls(frameworks: Frameworks): Set<string> {
  const withRules = new Set(Object.values(frameworks.rule_controls).flat());
  return new Set(frameworks.controls.filter((c) => c.automated && withRules.has(c.id)).map((c) => c.id));
}
