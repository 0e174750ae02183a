/**
 * The rule packs page's data and the pure rules it shows them by (unit-tested in packs.test.ts): which
 * requirements each per-pack count stands for, so every number can link to what it counts.
 */

/** Dependency key of the page: invalidated after a pack is enabled or disabled. */
export const PACKS_DEPENDENCY = 'app:rule-packs';

/** One pack as GET /api/rule-packs lists it. */
export interface PackItem {
  id: string;
  version: string;
  title: string;
  description: string;
  reference_source: string | null;
  hash: string;
  rule_count: number;
  rules: { id: string; title: string; severity: string; references: string[] }[];
  enabled: boolean;
  enabled_at: string | null;
}

/** One framework score of a pack's view (GET /api/rule-packs/:packId/scores). */
export interface PackFrameworkScore {
  framework_id: string;
  framework_version: string;
  title: string;
  score: number | null;
  passed: number;
  failed: number;
  not_applicable: number;
  requirements: { requirement_id: string; title: string; status: string }[];
}

/** An enabled pack's scores. */
export interface PackScores {
  pack_id: string;
  pack_version: string;
  sources: { scan_id: string }[];
  items: PackFrameworkScore[];
}

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
