/**
 * A tenant's posture (docs/scoring.md, "Tenant posture"): the control results of each integration's latest
 * succeeded scan merged into one set, the six states a requirement can be in, what a score is a share of,
 * and how old each integration's contribution is. Pure functions: the API's scoring store feeds them.
 */
import type { ControlResult, FrameworkScore, RollupRule } from '../schemas/index.ts';
import { ALL_PASS, emptyCounts, rollUpWith } from './rollup.ts';

/** The control results one integration contributes: those of its latest succeeded scan. */
export interface IntegrationResult {
  integration_id: string;
  scan_id: string;
  /** ISO 8601 time the scan finished. */
  finished_at: string;
  controls: readonly ControlResult[];
}

/**
 * One control result per control over every integration: the finding counts added up, the rule ids joined,
 * the status rolled up again from the sum under `rollup` (the policy's `controls` rule). The result is what
 * evaluateControls gives over the union of the scans' findings, so a control that one integration fails and
 * another passes fails under all_pass, and threshold weighs every finding once.
 */
export function mergeControlResults(
  results: readonly IntegrationResult[],
  rollup: RollupRule = ALL_PASS,
): ControlResult[] {
  const merged = new Map<string, { counts: ControlResult['counts']; rules: Set<string> }>();
  for (const result of results) {
    for (const control of result.controls) {
      let entry = merged.get(control.control_id);
      if (!entry) merged.set(control.control_id, (entry = { counts: emptyCounts(), rules: new Set() }));
      for (const status of ['pass', 'fail', 'not_applicable', 'error'] as const)
        entry.counts[status] += control.counts[status];
      for (const rule of control.rule_ids) entry.rules.add(rule);
    }
  }
  return [...merged]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([control_id, { counts, rules }]) => ({
      control_id,
      status: rollUpWith(counts, rollup) as ControlResult['status'],
      rule_ids: [...rules].sort(),
      counts,
    }));
}

/** The six states a requirement can be in, in the order the API and the app list them. */
export const REQUIREMENT_STATES = [
  'pass',
  'fail',
  'needs_evidence',
  'not_applicable',
  'manual',
  'error',
] as const;
export type RequirementState = (typeof REQUIREMENT_STATES)[number];
export type StateCounts = Record<RequirementState, number>;

type Requirement = FrameworkScore['requirements'][number];

/**
 * A requirement's state: the one scoreFrameworks recorded, or for snapshots stored before states existed,
 * the same read from its status (needs_evidence first; no control at all is manual; an out-of-scope
 * requirement, which also has none, cannot be told apart there and reads as manual).
 */
export function requirementState(requirement: Requirement): RequirementState {
  if (requirement.state) return requirement.state;
  if (requirement.needs_evidence) return 'needs_evidence';
  if (requirement.control_ids.length === 0 && requirement.status === 'not_applicable') return 'manual';
  return requirement.status;
}

/** How many requirements are in each state. */
export function stateCounts(requirements: readonly Requirement[]): StateCounts {
  const counts = Object.fromEntries(REQUIREMENT_STATES.map((s) => [s, 0])) as StateCounts;
  for (const requirement of requirements) counts[requirementState(requirement)]++;
  return counts;
}

/**
 * What the score is a share of: the requirements whose status counts (pass, fail, error, and those needing
 * evidence when the policy counts them as failed), said in numbers and in words.
 */
export function scoreBasis(
  requirements: readonly Requirement[],
  weighted: boolean,
): NonNullable<FrameworkScore['score_basis']> {
  const counted = new Set<RequirementState>();
  let inDenominator = 0;
  for (const requirement of requirements) {
    if (requirement.status === 'not_applicable') continue;
    inDenominator++;
    counted.add(requirementState(requirement));
  }
  // pass, fail and error always count, even when no requirement is in them now.
  for (const state of ['pass', 'fail', 'error'] as const) counted.add(state);
  const ordered = REQUIREMENT_STATES.filter((s) => counted.has(s));
  const left = REQUIREMENT_STATES.filter((s) => !counted.has(s));
  const words = (states: readonly RequirementState[]) =>
    states
      .map((s) => STATE_WORDS[s])
      .join(', ')
      .replace(/, ([^,]+)$/, ' or $1');
  return {
    counted: ordered,
    requirements: inDenominator,
    total: requirements.length,
    weighted,
    description:
      `${weighted ? 'Weighted share' : 'Share'} of passing requirements among the ${inDenominator} of ` +
      `${requirements.length} that ${words(ordered)}; the ${requirements.length - inDenominator} that ` +
      `${words(left)} are left out.`,
  };
}

/** Each state as the verb phrase the score basis uses. */
const STATE_WORDS: Record<RequirementState, string> = {
  pass: 'pass',
  fail: 'fail',
  needs_evidence: 'need evidence',
  not_applicable: 'do not apply',
  manual: 'are left to manual review',
  error: 'could not be checked',
};

/** How old one integration's contribution is, and whether it is too old to describe the account. */
export interface SourceAge {
  integration_id: string;
  scan_id: string;
  finished_at: string;
  /** Whole days since the scan finished. */
  age_days: number;
  stale: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The age of each source at `now`; stale when its scan finished more than `staleAfterDays` before. */
export function sourceAges(
  sources: readonly Omit<IntegrationResult, 'controls'>[],
  now: Date,
  staleAfterDays: number,
): SourceAge[] {
  return sources.map(({ integration_id, scan_id, finished_at }) => {
    const age = Math.max(0, now.getTime() - Date.parse(finished_at));
    return {
      integration_id,
      scan_id,
      finished_at: new Date(finished_at).toISOString(),
      age_days: Math.floor(age / DAY_MS),
      stale: age > staleAfterDays * DAY_MS,
    };
  });
}
