import { describe, expect, it } from 'vitest';
import type { FrameworkScore } from '#lib/api/types.ts';
import { COUNTED_AS, eventTime, figureOf, isCountedAs, parseCountedFilter, scoredAs } from './snapshot.ts';

type Requirement = FrameworkScore['requirements'][number];

const requirement = (id: string, fields: Partial<Requirement>): Requirement =>
  ({ requirement_id: id, title: id, control_ids: ['UCF-1'], ...fields }) as Requirement;

/**
 * A snapshot whose stored figures were counted the engine's way: one of each status, a requirement waiting
 * for evidence counted as not applicable (the default policy) and one counted as failed (a strict policy),
 * and a requirement nothing maps to.
 */
const score = {
  passed: 1,
  failed: 3,
  not_applicable: 3,
  needs_evidence: 2,
  requirements: [
    requirement('P', { status: 'pass', state: 'pass' }),
    requirement('F', { status: 'fail', state: 'fail' }),
    requirement('E', { status: 'error', state: 'error' }),
    requirement('N', { status: 'not_applicable', state: 'not_applicable' }),
    requirement('W', { status: 'not_applicable', state: 'needs_evidence', needs_evidence: true }),
    requirement('S', { status: 'fail', state: 'needs_evidence', needs_evidence: true }),
    requirement('M', { status: 'not_applicable', state: 'manual', control_ids: [] }),
  ],
} as unknown as FrameworkScore;

describe('a past snapshot’s figures', () => {
  it('lists exactly as many requirements under each figure as the stored figure says', () => {
    for (const counted of COUNTED_AS)
      expect(score.requirements.filter((r) => isCountedAs(r, counted)).length, counted).toBe(
        figureOf(score, counted),
      );
  });

  it('puts failed and error together, and finds requirements waiting for evidence however they counted', () => {
    const ids = (counted: (typeof COUNTED_AS)[number]) =>
      score.requirements.filter((r) => isCountedAs(r, counted)).map((r) => r.requirement_id);
    expect(ids('failed')).toEqual(['F', 'E', 'S']);
    expect(ids('not_applicable')).toEqual(['N', 'W', 'M']);
    expect(ids('needs_evidence')).toEqual(['W', 'S']);
    for (const r of score.requirements) expect(isCountedAs(r, scoredAs(r)), r.requirement_id).toBe(true);
  });

  it('reads the figure filter from the URL, ignoring anything else', () => {
    expect(parseCountedFilter('failed')).toBe('failed');
    expect(parseCountedFilter('needs_evidence')).toBe('needs_evidence');
    expect(parseCountedFilter('fail')).toBeNull();
    expect(parseCountedFilter(null)).toBeNull();
  });
});

describe('when a snapshot happened', () => {
  const sources = [
    { integration_id: 'a', scan_id: 'scan-a', finished_at: '2026-01-01T10:00:00.000Z' },
    { integration_id: 'b', scan_id: 'scan-b', finished_at: '2026-01-02T10:00:00.000Z' },
  ];
  it('is when the scan that caused it finished, as its history row says', () => {
    expect(eventTime({ scan_id: 'scan-a', sources, scored_at: '2026-01-01T09:59:00.000Z' })).toBe(
      '2026-01-01T10:00:00.000Z',
    );
  });
  it('is when it was scored when no scan caused it', () => {
    expect(eventTime({ scan_id: null, sources, scored_at: '2026-01-03T08:00:00.000Z' })).toBe(
      '2026-01-03T08:00:00.000Z',
    );
  });
});
