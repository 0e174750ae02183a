/** The one roll-up rule used for controls (from findings) and requirements (from controls). */
import type { RollupRule, Status } from '../schemas/index.ts';

export type StatusCounts = Record<Status, number>;

export function emptyCounts(): StatusCounts {
  return { pass: 0, fail: 0, not_applicable: 0, error: 0 };
}

/** Counts statuses (needs_evidence too, when present). */
export function countStatuses(statuses: Iterable<Status>): StatusCounts;
export function countStatuses(statuses: Iterable<RollupStatus>): Partial<Record<RollupStatus, number>>;
export function countStatuses(statuses: Iterable<RollupStatus>): Partial<Record<RollupStatus, number>> {
  const counts: Partial<Record<RollupStatus, number>> = emptyCounts();
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/**
 * fail if anything fails; else error if anything errored; else pass if anything passed (the rest being
 * not_applicable); else not_applicable (nothing applies, or nothing was assessed).
 */
export function rollUp(counts: StatusCounts): Status {
  if (counts.fail > 0) return 'fail';
  if (counts.error > 0) return 'error';
  if (counts.pass > 0) return 'pass';
  return 'not_applicable';
}

/** What a requirement can be while it waits for people: no fresh manual evidence yet. */
export type RollupStatus = Status | 'needs_evidence';

/** The default roll-up rule: everything applicable must pass. */
export const ALL_PASS: RollupRule = { mode: 'all_pass' };

/**
 * The roll-up under a rule (docs/scoring.md). all_pass is `rollUp` with needs_evidence between error and pass.
 * threshold: not_applicable when nothing applies; pass when pass / (pass + fail + error + needs_evidence) is
 * at least the threshold; otherwise fail if anything failed, else error if anything errored, else
 * needs_evidence.
 */
export function rollUpWith(
  counts: Partial<Record<RollupStatus, number>>,
  rule: RollupRule = ALL_PASS,
): RollupStatus {
  const pass = counts.pass ?? 0;
  const fail = counts.fail ?? 0;
  const error = counts.error ?? 0;
  const waiting = counts.needs_evidence ?? 0;
  const worst: RollupStatus = fail > 0 ? 'fail' : error > 0 ? 'error' : 'needs_evidence';
  if (rule.mode === 'threshold') {
    const applicable = pass + fail + error + waiting;
    if (applicable === 0) return 'not_applicable';
    return pass / applicable >= rule.pass_threshold ? 'pass' : worst;
  }
  if (fail + error + waiting > 0) return worst;
  return pass > 0 ? 'pass' : 'not_applicable';
}
