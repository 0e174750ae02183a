/** Control results → framework scores, through the UCF mappings (docs/scoring.md). */
import type { ControlResult, FrameworkScore, Status } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import { countStatuses, rollUp } from './rollup.ts';

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

/**
 * One score per framework version. A requirement's status rolls up from its mapped controls the way a
 * control rolls up from findings (a control without a result counts as not_applicable; a requirement with no
 * mapped control is not_applicable: nothing assesses it yet). score = passed / (passed + failed) over
 * applicable requirements, where requirements in error count as failed, and null when none applies.
 */
export function scoreFrameworks(
  controlResults: readonly ControlResult[],
  frameworks: Frameworks,
): FrameworkScore[] {
  const statusOf = new Map<string, Status>(controlResults.map((r) => [r.control_id, r.status]));
  return frameworks.frameworks.map((fw) => {
    const mapped = controlsByRequirement(frameworks, fw.id, fw.version);
    const requirements = fw.requirements.map((req) => {
      const control_ids = mapped.get(req.id) ?? [];
      const status = rollUp(countStatuses(control_ids.map((id) => statusOf.get(id) ?? 'not_applicable')));
      return { requirement_id: req.id, title: req.title, status, control_ids };
    });
    const counts = countStatuses(requirements.map((r) => r.status));
    const passed = counts.pass;
    const failed = counts.fail + counts.error;
    return {
      framework_id: fw.id,
      framework_version: fw.version,
      title: fw.title,
      score: passed + failed === 0 ? null : passed / (passed + failed),
      passed,
      failed,
      not_applicable: counts.not_applicable,
      requirements,
    };
  });
}
