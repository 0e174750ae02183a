/** Control results → framework scores, through the UCF mappings (docs/scoring.md). */
import type { ControlResult, FrameworkScore, Status } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import { countStatuses, rollUp } from './rollup.ts';

/** For one framework version, requirement id → UCF controls mapped to it (sorted). */
export function controlsByRequirement(
  frameworks: Frameworks,
  id: string,
  version: string,
): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const control of frameworks.controls) {
    for (const m of control.mappings) {
      if (m.framework === id && m.framework_version === version) {
        map.set(m.requirement, [...(map.get(m.requirement) ?? []), control.id]);
      }
    }
  }
  for (const list of map.values()) list.sort();
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
