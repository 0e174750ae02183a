/** The one roll-up rule used for controls (from findings) and requirements (from controls). */
import type { Status } from '../schemas/index.ts';

export type StatusCounts = Record<Status, number>;

export function emptyCounts(): StatusCounts {
  return { pass: 0, fail: 0, not_applicable: 0, error: 0 };
}

/** Counts statuses. */
export function countStatuses(statuses: Iterable<Status>): StatusCounts {
  const counts = emptyCounts();
  for (const s of statuses) counts[s]++;
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
