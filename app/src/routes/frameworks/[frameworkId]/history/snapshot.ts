/**
 * The pure rules of a past snapshot's page (unit-tested in snapshot.test.ts): the four figures a score
 * history row shows, which requirements each one counts, and the figure filter read from the URL. A
 * snapshot's requirements keep the status and state they had at the event, so the figures are recomputed
 * from nothing newer.
 */
import type { FrameworkScore, ScoringEventSnapshot } from '#lib/api/types.ts';

type Requirement = FrameworkScore['requirements'][number];

/** The figures of a history row, in its column order: how the score counted each requirement. */
export type CountedAs = 'passed' | 'failed' | 'not_applicable' | 'needs_evidence';

export const COUNTED_AS: readonly CountedAs[] = ['passed', 'failed', 'not_applicable', 'needs_evidence'];

const LABELS: Record<CountedAs, string> = {
  passed: 'Passed',
  failed: 'Failed',
  not_applicable: 'Not applicable',
  needs_evidence: 'Needs evidence',
};

/** The words shown for a figure (the history table's column heading). */
export function countedAsLabel(counted: CountedAs): string {
  return LABELS[counted];
}

/**
 * Whether a requirement is one of those a figure counts, as the engine counted them (engine/score.ts):
 * passed is status pass; failed is status fail or error; not applicable is status not_applicable (the
 * requirements waiting for evidence among them, unless the policy counted those as failed); needs evidence
 * is those waiting for people, whichever way the score counted them.
 */
export function isCountedAs(requirement: Requirement, counted: CountedAs): boolean {
  switch (counted) {
    case 'passed':
      return requirement.status === 'pass';
    case 'failed':
      return requirement.status === 'fail' || requirement.status === 'error';
    case 'not_applicable':
      return requirement.status === 'not_applicable';
    case 'needs_evidence':
      return requirement.state === 'needs_evidence' || requirement.needs_evidence === true;
  }
}

/** Which of passed, failed and not applicable the score counted a requirement as (exactly one of them). */
export function scoredAs(requirement: Requirement): Exclude<CountedAs, 'needs_evidence'> {
  if (requirement.status === 'pass') return 'passed';
  return requirement.status === 'not_applicable' ? 'not_applicable' : 'failed';
}

/** The figure of a snapshot as the API stored it (what its history row shows). */
export function figureOf(
  score: Pick<FrameworkScore, 'passed' | 'failed' | 'not_applicable' | 'needs_evidence'>,
  counted: CountedAs,
): number {
  return counted === 'needs_evidence' ? (score.needs_evidence ?? 0) : score[counted];
}

/** `?counted=` of a snapshot page: one of the four figures, else null (no filter). */
export function parseCountedFilter(raw: string | null): CountedAs | null {
  return raw !== null && (COUNTED_AS as readonly string[]).includes(raw) ? (raw as CountedAs) : null;
}

/**
 * When a snapshot's event happened, as its history row says: when the scan that caused it finished, or when
 * it was scored when no scan did (manual evidence, an archived integration).
 */
export function eventTime(snapshot: Pick<ScoringEventSnapshot, 'scan_id' | 'sources' | 'scored_at'>): string {
  return (
    snapshot.sources.find((source) => source.scan_id === snapshot.scan_id)?.finished_at ?? snapshot.scored_at
  );
}
