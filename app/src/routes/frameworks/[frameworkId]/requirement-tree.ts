/**
 * The framework page's requirement tree: the catalog's groups (function, category, series, family...) as
 * heading rows between the requirements they hold, so a long framework reads as its own outline. Pure
 * functions over the coverage answer (groups and each requirement's parent) and the score's requirements.
 */
import type { FrameworkCoverage, FrameworkScore } from '#lib/api/types.ts';

type Requirement = FrameworkScore['requirements'][number];
type Group = FrameworkCoverage['groups'][number];

/** A row of the tree: a group heading (with how many of the listed requirements it holds) or a requirement. */
export type TreeRow =
  | { kind: 'group'; group: Group; depth: number; total: number; failing: number }
  | { kind: 'requirement'; requirement: Requirement; depth: number };

/**
 * The groups enclosing each requirement, outermost first: its parent chain through the catalog (a parent
 * that is another requirement is passed through to that requirement's groups). Requirements of a catalog
 * without groups, or whose parent is unknown, have an empty path.
 */
export function groupPaths(coverage: FrameworkCoverage | null): Map<string, Group[]> {
  const groups = new Map((coverage?.groups ?? []).map((g) => [g.id, g]));
  const parents = new Map((coverage?.requirements ?? []).map((r) => [r.requirement_id, r.parent]));
  const paths = new Map<string, Group[]>();
  for (const requirementId of parents.keys()) {
    const path: Group[] = [];
    const seen = new Set<string>();
    for (let at = parents.get(requirementId) ?? null; at !== null && !seen.has(at);) {
      seen.add(at);
      const group = groups.get(at);
      if (group) path.unshift(group);
      at = group ? group.parent : (parents.get(at) ?? null);
    }
    paths.set(requirementId, path);
  }
  return paths;
}

/** Whether the requirement lies within group `groupId` (at any depth). */
export function inGroup(paths: Map<string, Group[]>, requirementId: string, groupId: string): boolean {
  return (paths.get(requirementId) ?? []).some((g) => g.id === groupId);
}

/**
 * The rows for `requirements` in their given (catalog) order: before a requirement, a heading for each of
 * its groups not already open, indented by depth. Counts are of the listed requirements only, so a filtered
 * view's headings count what is shown.
 */
export function treeRows(requirements: readonly Requirement[], paths: Map<string, Group[]>): TreeRow[] {
  const rows: TreeRow[] = [];
  let open: Group[] = [];
  for (const requirement of requirements) {
    const path = paths.get(requirement.requirement_id) ?? [];
    let same = 0;
    while (same < path.length && same < open.length && path[same]!.id === open[same]!.id) same += 1;
    for (let depth = same; depth < path.length; depth += 1) {
      rows.push({ kind: 'group', group: path[depth]!, depth, total: 0, failing: 0 });
    }
    open = path;
    // Every open heading counts this requirement.
    for (let i = rows.length - 1, depth = path.length - 1; i >= 0 && depth >= 0; i -= 1) {
      const row = rows[i]!;
      if (row.kind === 'group' && row.depth === depth && row.group.id === path[depth]!.id) {
        row.total += 1;
        if (requirement.state === 'fail' || requirement.state === 'error') row.failing += 1;
        depth -= 1;
      }
    }
    rows.push({ kind: 'requirement', requirement, depth: path.length });
  }
  return rows;
}
