import { describe, expect, it } from 'vitest';
import { assertValid, type Finding, type FrameworkCatalog, type UcfControl } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import { evaluateControls } from './map.ts';
import { scoreFrameworks } from './score.ts';

function finding(rule_id: string, n: number, status: Finding['status']): Finding {
  return {
    rule_id,
    rule_version: '1.0.0',
    rule_hash: '0'.repeat(64),
    bundle_revision: 'test',
    resource_id: `r${n}`,
    resource_type: 'aws.s3.bucket',
    status,
    severity: 'low',
    message: `${rule_id} on r${n}: ${status}`,
    evidence_sha256: null,
  };
}

function control(id: string, maps: [framework: string, requirement: string][]): UcfControl {
  return {
    id,
    title: id,
    objective: id,
    domain: 'Test',
    automated: true,
    mappings: maps.map(([framework, requirement]) => ({
      framework,
      framework_version: '1',
      requirement,
      relationship: 'subset_of',
      rationale: 'test',
    })),
  };
}

function framework(id: string, requirements: string[]): FrameworkCatalog {
  return {
    id,
    version: '1',
    title: id.toUpperCase(),
    owner: 'Test',
    source: 'https://example.com',
    license: 'Test',
    text_policy: 'official_text',
    requirements: requirements.map((r) => ({
      id: r,
      title: `Requirement ${r}`,
    })) as FrameworkCatalog['requirements'],
  };
}

// Five controls: UCF-TS-01 error, -02 fail, -03 not_applicable (nothing applies), -04 not_applicable (no rule),
// -05 pass. Three frameworks: "alpha" scores 2/3, "beta" has nothing applicable (null), "gamma" scores 0.
const frameworks: Frameworks = {
  ucf_version: 'test',
  controls: [
    control('UCF-TS-01', [['alpha', 'A3']]),
    control('UCF-TS-02', [['gamma', 'G1']]),
    control('UCF-TS-03', [
      ['alpha', 'A2'],
      ['alpha', 'A4'],
      ['beta', 'B1'],
    ]),
    control('UCF-TS-04', [['alpha', 'A4']]),
    control('UCF-TS-05', [
      ['alpha', 'A1'],
      ['alpha', 'A2'],
    ]),
  ],
  frameworks: [
    framework('alpha', ['A1', 'A2', 'A3', 'A4', 'A5']),
    framework('beta', ['B1', 'B2']),
    framework('gamma', ['G1']),
  ],
  rule_controls: {
    'CW-T-001': ['UCF-TS-01'],
    'CW-T-002': ['UCF-TS-01', 'UCF-TS-02'],
    'CW-T-003': ['UCF-TS-03'],
    'CW-T-004': ['UCF-TS-02'],
    'CW-T-005': ['UCF-TS-05'],
  },
};

const findings: Finding[] = [
  finding('CW-T-001', 1, 'pass'),
  finding('CW-T-001', 2, 'pass'),
  finding('CW-T-001', 3, 'not_applicable'),
  finding('CW-T-002', 1, 'pass'),
  finding('CW-T-002', 2, 'error'),
  finding('CW-T-003', 1, 'not_applicable'),
  finding('CW-T-003', 2, 'not_applicable'),
  finding('CW-T-004', 1, 'fail'),
  finding('CW-T-005', 1, 'pass'),
  finding('CW-T-005', 2, 'not_applicable'),
  // A rule no control is linked to: ignored.
  finding('CW-T-999', 1, 'fail'),
];

describe('evaluateControls', () => {
  it('rolls findings up per control: fail over error over pass over not_applicable', () => {
    const results = evaluateControls(findings, frameworks);
    for (const r of results) assertValid('control-result', r);
    expect(results.map((r) => [r.control_id, r.status, r.rule_ids, r.counts])).toEqual([
      ['UCF-TS-01', 'error', ['CW-T-001', 'CW-T-002'], { pass: 3, fail: 0, not_applicable: 1, error: 1 }],
      ['UCF-TS-02', 'fail', ['CW-T-002', 'CW-T-004'], { pass: 1, fail: 1, not_applicable: 0, error: 1 }],
      ['UCF-TS-03', 'not_applicable', ['CW-T-003'], { pass: 0, fail: 0, not_applicable: 2, error: 0 }],
      ['UCF-TS-04', 'not_applicable', [], { pass: 0, fail: 0, not_applicable: 0, error: 0 }],
      ['UCF-TS-05', 'pass', ['CW-T-005'], { pass: 1, fail: 0, not_applicable: 1, error: 0 }],
    ]);
  });
});

describe('scoreFrameworks', () => {
  it('scores passed / (passed + failed) over applicable requirements, counting error as failed', () => {
    const scores = scoreFrameworks(evaluateControls(findings, frameworks), frameworks);
    for (const s of scores) assertValid('framework-score', s);
    const [alpha, beta, gamma] = scores;
    expect(alpha!.requirements.map((r) => [r.requirement_id, r.status, r.control_ids])).toEqual([
      ['A1', 'pass', ['UCF-TS-05']],
      ['A2', 'pass', ['UCF-TS-03', 'UCF-TS-05']],
      ['A3', 'error', ['UCF-TS-01']],
      ['A4', 'not_applicable', ['UCF-TS-03', 'UCF-TS-04']],
      ['A5', 'not_applicable', []],
    ]);
    expect(alpha).toMatchObject({
      framework_id: 'alpha',
      framework_version: '1',
      passed: 2,
      failed: 1,
      not_applicable: 2,
    });
    expect(alpha!.score).toBeCloseTo(2 / 3, 12);
    expect(beta).toMatchObject({ score: null, passed: 0, failed: 0, not_applicable: 2 });
    expect(gamma).toMatchObject({ score: 0, passed: 0, failed: 1, not_applicable: 0 });
    expect(gamma!.requirements[0]).toMatchObject({
      requirement_id: 'G1',
      status: 'fail',
      title: 'Requirement G1',
    });
  });

  it('treats controls without a result as not applicable', () => {
    expect(scoreFrameworks([], frameworks).map((s) => [s.framework_id, s.score, s.not_applicable])).toEqual([
      ['alpha', null, 5],
      ['beta', null, 2],
      ['gamma', null, 1],
    ]);
  });
});
