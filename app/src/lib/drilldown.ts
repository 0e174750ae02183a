/**
 * The drill-down pages' pure rules (unit-tested in drilldown.test.ts): requirement states in words and badge
 * colours, the status filter read from the URL, and which framework versions a page reference names.
 */
import type { FrameworkScore } from './api/types.ts';

export type RequirementState = FrameworkScore['requirements'][number]['state'];

/** The six states, in the order the API counts them. */
export const REQUIREMENT_STATES: readonly RequirementState[] = [
  'pass',
  'fail',
  'needs_evidence',
  'not_applicable',
  'manual',
  'error',
];

const STATE_LABELS: Record<RequirementState, string> = {
  pass: 'Pass',
  fail: 'Fail',
  needs_evidence: 'Needs evidence',
  not_applicable: 'Not applicable',
  manual: 'Manual',
  error: 'Error',
};

/** The words shown for a requirement state. */
export function stateLabel(state: RequirementState): string {
  return STATE_LABELS[state] ?? state;
}

/** The badge colour of a state (the word is always shown too: never colour alone). */
export function stateBadge(state: RequirementState): string {
  if (state === 'pass') return 'pass';
  if (state === 'fail' || state === 'error') return 'fail';
  if (state === 'needs_evidence') return 'medium';
  return 'na';
}

/** `?status=` of a framework page: one of the six states, else null (no filter). */
export function parseStateFilter(raw: string | null): RequirementState | null {
  return raw !== null && (REQUIREMENT_STATES as readonly string[]).includes(raw)
    ? (raw as RequirementState)
    : null;
}

/** Whether a score is of the framework a page reference names: `id@version`, or a bare `id` (every version). */
export function matchesFrameworkRef(
  score: Pick<FrameworkScore, 'framework_id' | 'framework_version'>,
  ref: string,
): boolean {
  const at = ref.lastIndexOf('@');
  if (at <= 0) return score.framework_id === ref;
  return score.framework_id === ref.slice(0, at) && score.framework_version === ref.slice(at + 1);
}

/** A relationship id in words ("subset_of" → "subset of"). */
export function relationshipLabel(relationship: string | null | undefined): string {
  return relationship ? relationship.replaceAll('_', ' ') : '—';
}

/** What the home page needs of a control result to rank it. */
interface RankedControl {
  control_id: string;
  status: string;
  counts: { fail: number };
}

/**
 * The failing controls with the most failing findings first (ties by control id, so the order is stable),
 * at most `limit` of them: the home page's "top failing controls".
 */
export function topFailingControls<T extends RankedControl>(controls: readonly T[], limit = 10): T[] {
  return controls
    .filter((control) => control.status === 'fail')
    .sort((a, b) => b.counts.fail - a.counts.fail || a.control_id.localeCompare(b.control_id))
    .slice(0, limit);
}
