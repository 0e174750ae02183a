/**
 * The rule packs page's data and the pure rules it shows them by (unit-tested in packs.test.ts): which
 * requirements each per-pack count stands for, so every number can link to what it counts.
 */
import type { ResponseBody } from '#lib/api/types.ts';

/** Dependency key of the page: invalidated after a pack is enabled or disabled. */
export const PACKS_DEPENDENCY = 'app:rule-packs';

/** One pack as GET /api/rule-packs lists it. */
export type PackItem = ResponseBody<'listRulePacks'>['items'][number];

/** An enabled pack's scores (GET /api/rule-packs/:packId/scores). */
export type PackScores = ResponseBody<'getRulePackScores'>;

/** One framework score of a pack's view. */
export type PackFrameworkScore = PackScores['items'][number];

/** The counts a framework row shows, each with the requirement status it counts. */
export const COUNTED_STATUSES = [
  { key: 'passed', status: 'pass', label: 'Passed' },
  { key: 'failed', status: 'fail', label: 'Failed' },
  { key: 'not_applicable', status: 'not_applicable', label: 'Not applicable' },
] as const;

/** The requirements of a framework score with `status`: what its count of that status stands for. */
export function requirementsWith(
  score: PackFrameworkScore,
  status: string,
): PackFrameworkScore['requirements'] {
  return score.requirements.filter((r) => r.status === status);
}

/** The page anchor of the list behind one count, unique per pack, framework version and status. */
export function countAnchor(packId: string, score: PackFrameworkScore, status: string): string {
  return `pack-${packId}-${score.framework_id}-${score.framework_version}-${status}`.replace(
    /[^A-Za-z0-9_-]/g,
    '-',
  );
}

/** "CIS … v5.0.0" or, for a pack without outside references, that it is our own selection. */
export function referenceLabel(pack: Pick<PackItem, 'reference_source'>): string {
  return pack.reference_source ?? 'ComplyWise baseline (no outside references)';
}
