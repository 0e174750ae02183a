/**
 * The frameworks pages' pure rules (unit-tested in frameworks.test.ts). Every count comes from the API as it
 * is; these only decide how it is drawn: labels, bar widths, row pairing.
 */
import type { CoverageLevel, FrameworkCoverage, FrameworkInfo } from '#lib/api/types.ts';

/** Snapshots per page of the score history; "Load more" asks for the next page with the cursor. */
export const HISTORY_PAGE_SIZE = 20;
/** The largest `?per_page=` honoured (the API allows 500; a page this long is already hard to read). */
export const MAX_HISTORY_PAGE_SIZE = 100;

/** The page size from the URL's `?per_page=`: a whole number from 1 to the maximum, else the default. */
export function historyPageSize(raw: string | null): number {
  if (raw === null || !/^\d+$/.test(raw)) return HISTORY_PAGE_SIZE;
  const size = Number(raw);
  return size >= 1 && size <= MAX_HISTORY_PAGE_SIZE ? size : HISTORY_PAGE_SIZE;
}

/** In the order the API's counts object lists them: most automated first. */
export const COVERAGE_LEVELS: readonly CoverageLevel[] = [
  'automated',
  'partial',
  'manual',
  'unmapped',
  'out_of_scope',
];

const COVERAGE_LABELS: Record<CoverageLevel, string> = {
  automated: 'Automated',
  partial: 'Partial',
  manual: 'Manual',
  unmapped: 'Unmapped',
  out_of_scope: 'Out of scope',
};

/** The words shown for a coverage level. */
export function coverageLabel(level: CoverageLevel): string {
  return COVERAGE_LABELS[level] ?? level;
}

/** `soc2@2017`: the reference the API accepts for one version, used as the page's URL parameter. */
export function frameworkRef(id: string, version: string): string {
  return `${id}@${version}`;
}

/** One table row: the catalog with its coverage (null when the coverage answer lacks that version). */
export interface FrameworkRow {
  framework: FrameworkInfo;
  coverage: FrameworkCoverage | null;
}

/** Pairs each listed catalog with its coverage by id and version, in the catalog list's order. */
export function frameworkRows(frameworks: FrameworkInfo[], coverage: FrameworkCoverage[]): FrameworkRow[] {
  const byRef = new Map(coverage.map((c) => [frameworkRef(c.framework_id, c.framework_version), c]));
  return frameworks.map((framework) => ({
    framework,
    coverage: byRef.get(frameworkRef(framework.id, framework.version)) ?? null,
  }));
}

/** One segment of the coverage bar: its level, count and share of the width in percent. */
export interface CoverageSegment {
  level: CoverageLevel;
  count: number;
  percent: number;
}

/** The bar's non-empty segments; widths are shares of the API's total (an empty framework draws nothing). */
export function coverageSegments(coverage: Pick<FrameworkCoverage, 'counts' | 'total'>): CoverageSegment[] {
  if (coverage.total <= 0) return [];
  return COVERAGE_LEVELS.filter((level) => (coverage.counts[level] ?? 0) > 0).map((level) => ({
    level,
    count: coverage.counts[level],
    percent: (coverage.counts[level] / coverage.total) * 100,
  }));
}

/** The split in words, every level named, e.g. "12 automated, 0 partial, 3 manual, 1 unmapped, 0 out of scope". */
export function coverageSummary(counts: Record<CoverageLevel, number>): string {
  return COVERAGE_LEVELS.map((level) => `${counts[level] ?? 0} ${coverageLabel(level).toLowerCase()}`).join(
    ', ',
  );
}

/** `?coverage=` of a framework page: one of the levels, else null (every requirement). */
export function parseCoverageFilter(raw: string | null): CoverageLevel | null {
  return raw !== null && (COVERAGE_LEVELS as readonly string[]).includes(raw) ? (raw as CoverageLevel) : null;
}

/**
 * A framework's name with its version, the version said once: "SOC 2 2017", but "ISO/IEC 27001:2022" (not
 * "ISO/IEC 27001:2022 2022") when the title already carries it.
 */
export function frameworkName(title: string, version: string): string {
  return title.includes(version) ? title : `${title} ${version}`;
}
