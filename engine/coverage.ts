/**
 * How far automated rules cover each framework requirement, through the UCF mappings (docs/frameworks.md):
 * - automated: an `equal` or `superset_of` link to a control whose rules fully test it (an automated control
 *   with at least one rule);
 * - partial: some mapped control has rules, but only through `subset_of` / `intersects_with` links, so the rest
 *   needs manual evidence;
 * - manual: mapped only to controls no rule tests (people attach evidence);
 * - unmapped: no control maps to it; out_of_scope: the catalog says why none should.
 */
import type { UcfMapping } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';

export type Coverage = 'automated' | 'partial' | 'manual' | 'unmapped' | 'out_of_scope';

export const COVERAGE_LEVELS: readonly Coverage[] = [
  'automated',
  'partial',
  'manual',
  'unmapped',
  'out_of_scope',
];

/** One requirement's coverage and the control links behind it. */
export interface RequirementCoverage {
  requirement_id: string;
  /** The enclosing group or requirement in the catalog's tree, or null at the top. */
  parent: string | null;
  coverage: Coverage;
  controls: { control_id: string; relationship: UcfMapping['relationship']; tested_by_rules: boolean }[];
}

/** Coverage of one framework version. */
export interface FrameworkCoverage {
  framework_id: string;
  framework_version: string;
  title: string;
  total: number;
  counts: Record<Coverage, number>;
  /** The catalog's groups (function, category, series, family...), in catalog order: the requirement tree. */
  groups: { id: string; title: string; kind: string; parent: string | null }[];
  requirements: RequirementCoverage[];
}

const FULL: ReadonlySet<string> = new Set(['equal', 'superset_of']);

/** Coverage of every framework version (or only `only` = { id, version? }). */
export function frameworkCoverage(
  frameworks: Frameworks,
  only?: { id: string; version?: string },
): FrameworkCoverage[] {
  const ruleCount = new Map<string, number>();
  for (const ids of Object.values(frameworks.rule_controls)) {
    for (const id of ids) ruleCount.set(id, (ruleCount.get(id) ?? 0) + 1);
  }
  const tested = new Map(
    frameworks.controls.map((c) => [c.id, c.automated && (ruleCount.get(c.id) ?? 0) > 0]),
  );
  // framework@version/requirement → [control, relationship]
  const links = new Map<string, { control_id: string; relationship: UcfMapping['relationship'] }[]>();
  for (const control of frameworks.controls) {
    for (const m of control.mappings) {
      const key = `${m.framework}@${m.framework_version}/${m.requirement}`;
      links.set(key, [...(links.get(key) ?? []), { control_id: control.id, relationship: m.relationship }]);
    }
  }
  return frameworks.frameworks
    .filter(
      (fw) => !only || (fw.id === only.id && (only.version === undefined || fw.version === only.version)),
    )
    .map((fw) => {
      const counts = Object.fromEntries(COVERAGE_LEVELS.map((c) => [c, 0])) as Record<Coverage, number>;
      const requirements = fw.requirements.map((req): RequirementCoverage => {
        const direct = links.get(`${fw.id}@${fw.version}/${req.id}`) ?? [];
        // An `equal` link to another catalog's requirement inherits that requirement's controls as they are.
        const inherited = (req.links ?? [])
          .filter((l) => l.relationship === 'equal')
          .flatMap((l) => links.get(`${l.framework}@${l.framework_version}/${l.requirement}`) ?? []);
        const controls = [...direct, ...inherited]
          .filter((c, i, all) => all.findIndex((o) => o.control_id === c.control_id) === i)
          .map((c) => ({ ...c, tested_by_rules: tested.get(c.control_id) ?? false }))
          .sort((a, b) => (a.control_id < b.control_id ? -1 : 1));
        const coverage: Coverage = req.out_of_scope
          ? 'out_of_scope'
          : controls.length === 0
            ? 'unmapped'
            : controls.some((c) => c.tested_by_rules && FULL.has(c.relationship))
              ? 'automated'
              : controls.some((c) => c.tested_by_rules)
                ? 'partial'
                : 'manual';
        counts[coverage]++;
        return { requirement_id: req.id, parent: req.parent ?? null, coverage, controls };
      });
      return {
        framework_id: fw.id,
        framework_version: fw.version,
        title: fw.title,
        total: requirements.length,
        counts,
        groups: (fw.groups ?? []).map((g) => ({
          id: g.id,
          title: g.title,
          kind: g.kind ?? 'group',
          parent: g.parent ?? null,
        })),
        requirements,
      };
    });
}
