import { describe, expect, it } from 'vitest';
import type { ControlResult, FrameworkCatalog, UcfControl } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import {
  mergeControlResults,
  requirementState,
  scoreBasis,
  sourceAges,
  stateCounts,
  type IntegrationResult,
} from './posture.ts';
import { scoreFrameworks } from './score.ts';

function result(
  control_id: string,
  counts: Partial<ControlResult['counts']>,
  rules: string[],
): ControlResult {
  const full = { pass: 0, fail: 0, not_applicable: 0, error: 0, ...counts };
  const status: ControlResult['status'] =
    full.fail > 0 ? 'fail' : full.error > 0 ? 'error' : full.pass > 0 ? 'pass' : 'not_applicable';
  return { control_id, status, rule_ids: rules, counts: full };
}

const source = (integration_id: string, controls: ControlResult[]): IntegrationResult => ({
  integration_id,
  scan_id: `scan-${integration_id}`,
  finished_at: '2026-01-01T00:00:00.000Z',
  controls,
});

describe('mergeControlResults', () => {
  const aws = source('aws', [
    result('UCF-B', { pass: 2 }, ['CW-AWS-1']),
    result('UCF-A', { fail: 1, pass: 1 }, ['CW-AWS-2']),
    result('UCF-C', { not_applicable: 3 }, ['CW-AWS-3']),
  ]);
  const github = source('github', [
    result('UCF-B', { fail: 1 }, ['CW-GH-1']),
    result('UCF-C', { pass: 1 }, ['CW-GH-2']),
    result('UCF-D', {}, []),
  ]);

  it('adds the counts of every integration per control and rolls the sum up again', () => {
    expect(mergeControlResults([aws, github])).toEqual([
      result('UCF-A', { fail: 1, pass: 1 }, ['CW-AWS-2']),
      // One integration passes it, the other fails it: all_pass fails it.
      result('UCF-B', { pass: 2, fail: 1 }, ['CW-AWS-1', 'CW-GH-1']),
      // Nothing applies on AWS, GitHub passes: pass.
      result('UCF-C', { pass: 1, not_applicable: 3 }, ['CW-AWS-3', 'CW-GH-2']),
      result('UCF-D', {}, []),
    ]);
  });

  it('gives the same answer in any order and leaves one integration as it is', () => {
    expect(mergeControlResults([github, aws])).toEqual(mergeControlResults([aws, github]));
    expect(mergeControlResults([aws])).toEqual(
      [...aws.controls].sort((a, b) => a.control_id.localeCompare(b.control_id)),
    );
    expect(mergeControlResults([])).toEqual([]);
  });

  it('weighs every finding once under a threshold rule', () => {
    const merged = mergeControlResults([aws, github], { mode: 'threshold', pass_threshold: 0.6 });
    // 2 of 3 findings pass UCF-B: 0.67 ≥ 0.6.
    expect(merged.find((c) => c.control_id === 'UCF-B')!.status).toBe('pass');
    // 1 of 2 for UCF-A: 0.5 < 0.6.
    expect(merged.find((c) => c.control_id === 'UCF-A')!.status).toBe('fail');
  });
});

function control(id: string, automated: boolean, requirements: string[]): UcfControl {
  return {
    id,
    title: id,
    objective: id,
    domain: 'Test',
    automated,
    mappings: requirements.map((requirement) => ({
      framework: 'alpha',
      framework_version: '1',
      requirement,
      relationship: 'subset_of' as const,
      rationale: 'test',
    })),
  };
}

// R1 passes, R2 fails, R3 errors (rules); R4 waits for people; R5 has no control (manual); R6 is out of
// scope; R7's only control has nothing to test (not applicable).
const frameworks: Frameworks = {
  ucf_version: 'test',
  controls: [
    control('UCF-P', true, ['R1']),
    control('UCF-F', true, ['R2']),
    control('UCF-E', true, ['R3']),
    control('UCF-M', false, ['R4']),
    control('UCF-N', true, ['R7']),
  ],
  frameworks: [
    {
      id: 'alpha',
      version: '1',
      title: 'Alpha',
      owner: 'Test',
      source: 'https://example.com',
      license: 'Test',
      text_policy: 'official_text',
      requirements: [
        ...['R1', 'R2', 'R3', 'R4', 'R5'].map((id) => ({ id, title: id })),
        { id: 'R6', title: 'R6', out_of_scope: 'not a technical requirement' },
        { id: 'R7', title: 'R7' },
      ],
    } as unknown as FrameworkCatalog,
  ],
  rule_controls: { 'CW-P': ['UCF-P'], 'CW-F': ['UCF-F'], 'CW-E': ['UCF-E'], 'CW-N': ['UCF-N'] },
};
const controls = [
  result('UCF-P', { pass: 1 }, ['CW-P']),
  result('UCF-F', { fail: 1 }, ['CW-F']),
  result('UCF-E', { error: 1 }, ['CW-E']),
  result('UCF-N', { not_applicable: 1 }, ['CW-N']),
];

describe('requirement states and the score basis', () => {
  it('puts each requirement in one of six states and counts them', () => {
    const [alpha] = scoreFrameworks(controls, frameworks, { now: new Date('2026-01-01T00:00:00Z') });
    expect(Object.fromEntries(alpha!.requirements.map((r) => [r.requirement_id, r.state]))).toEqual({
      R1: 'pass',
      R2: 'fail',
      R3: 'error',
      R4: 'needs_evidence',
      R5: 'manual',
      R6: 'not_applicable',
      R7: 'not_applicable',
    });
    expect(alpha!.status_counts).toEqual({
      pass: 1,
      fail: 1,
      needs_evidence: 1,
      not_applicable: 2,
      manual: 1,
      error: 1,
    });
    expect(alpha!.score).toBe(1 / 3);
    expect(alpha!.score_basis).toEqual({
      counted: ['pass', 'fail', 'error'],
      requirements: 3,
      total: 7,
      weighted: false,
      description:
        'Share of passing requirements among the 3 of 7 that pass, fail or could not be checked; the 4 that ' +
        'need evidence, do not apply or are left to manual review are left out.',
    });
  });

  it('counts requirements waiting for evidence in the basis when the policy fails them', () => {
    const [strict] = scoreFrameworks(controls, frameworks, {
      policy: { default: { needs_evidence_counts_as: 'failed' } },
    });
    expect(strict!.status_counts!.needs_evidence).toBe(1);
    expect(strict!.score).toBe(1 / 4);
    expect(strict!.score_basis).toMatchObject({
      counted: ['pass', 'fail', 'needs_evidence', 'error'],
      requirements: 4,
    });
  });

  it('reads the state of snapshots stored before states existed from their status', () => {
    const base = { title: 't', control_ids: ['UCF-X'] };
    expect(
      requirementState({ ...base, requirement_id: 'a', status: 'not_applicable', needs_evidence: true }),
    ).toBe('needs_evidence');
    expect(
      requirementState({ ...base, requirement_id: 'b', status: 'not_applicable', control_ids: [] }),
    ).toBe('manual');
    expect(requirementState({ ...base, requirement_id: 'c', status: 'fail' })).toBe('fail');
    const legacy = [
      { ...base, requirement_id: 'd', status: 'pass' as const },
      { ...base, requirement_id: 'e', status: 'not_applicable' as const },
    ];
    expect(stateCounts(legacy)).toMatchObject({ pass: 1, not_applicable: 1, manual: 0 });
    expect(scoreBasis(legacy, true)).toMatchObject({ requirements: 1, total: 2, weighted: true });
  });
});

describe('sourceAges', () => {
  it('flags a source older than the threshold as stale', () => {
    const now = new Date('2026-01-10T00:00:00Z');
    const ages = sourceAges(
      [
        { integration_id: 'a', scan_id: 's1', finished_at: '2026-01-09T00:00:00.000Z' },
        { integration_id: 'b', scan_id: 's2', finished_at: '2026-01-01T00:00:00.000Z' },
      ],
      now,
      7,
    );
    expect(ages.map((a) => [a.integration_id, a.age_days, a.stale])).toEqual([
      ['a', 1, false],
      ['b', 9, true],
    ]);
    // Stale from the first moment past the threshold, not from the next whole day.
    const justPast = sourceAges(
      [{ integration_id: 'c', scan_id: 's3', finished_at: '2026-01-02T23:59:00.000Z' }],
      now,
      7,
    );
    expect(justPast[0]).toMatchObject({ age_days: 7, stale: true });
  });
});
