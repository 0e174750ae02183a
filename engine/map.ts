/** Findings → UCF control results, by the rules each control is linked to (ucf_controls in rule.yaml). */
import type { ControlResult, Finding } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import type { RollupRule } from '../schemas/index.ts';
import { ALL_PASS, countStatuses, rollUpWith } from './rollup.ts';

export { loadFrameworks, loadFrameworkDefinitions, type Frameworks } from './frameworks.ts';

/** The rules linked to each control, sorted, for every control of the UCF. */
export function rulesByControl(frameworks: Frameworks): Map<string, string[]> {
  const map = new Map<string, string[]>(frameworks.controls.map((c) => [c.id, []]));
  for (const [ruleId, controlIds] of Object.entries(frameworks.rule_controls)) {
    for (const id of controlIds) map.get(id)?.push(ruleId);
  }
  for (const list of map.values()) list.sort();
  return map;
}

/**
 * One result per UCF control, in catalog order. A control fails if any finding of its rules fails; is in
 * error if any errored and none failed; passes if at least one passed and the rest passed or did not apply;
 * is not_applicable when no finding applies (including when its rules produced none). docs/scoring.md.
 * `options.rollup` (a tenant's scoring policy `controls` entry) may replace all-pass with a pass threshold.
 */
export function evaluateControls(
  findings: readonly Finding[],
  frameworks: Frameworks,
  options: { rollup?: RollupRule } = {},
): ControlResult[] {
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byRule.get(f.rule_id);
    if (list) list.push(f);
    else byRule.set(f.rule_id, [f]);
  }
  const rules = rulesByControl(frameworks);
  return frameworks.controls.map((control) => {
    const rule_ids = rules.get(control.id) ?? [];
    const counts = countStatuses(rule_ids.flatMap((id) => byRule.get(id) ?? []).map((f) => f.status));
    // Findings never need evidence, so the roll-up stays within the four finding statuses.
    const status = rollUpWith(counts, options.rollup ?? ALL_PASS) as ControlResult['status'];
    return { control_id: control.id, status, rule_ids, counts };
  });
}

/**
 * The frameworks with only `ruleIds` linked to UCF controls: what evaluateControls and scoreFrameworks see for a
 * rule pack's view (docs/rules.md, "Rule packs"), so a control's result counts and names the pack's rules only.
 */
export function restrictToRules(frameworks: Frameworks, ruleIds: Iterable<string>): Frameworks {
  const keep = new Set(ruleIds);
  return {
    ...frameworks,
    rule_controls: Object.fromEntries(
      Object.entries(frameworks.rule_controls).filter(([ruleId]) => keep.has(ruleId)),
    ),
  };
}
