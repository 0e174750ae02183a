import { describe, expect, it } from 'vitest';
import { assertValid, type Finding, type FrameworkCatalog, type UcfControl } from '../schemas/index.ts';
import type { Frameworks } from './frameworks.ts';
import { evaluateControls } from './map.ts';
import { frameworkPolicy, scoreFrameworks } from './score.ts';

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

describe('scoring policy (per tenant, per framework, as data)', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
  const results = evaluateControls(findings, frameworks);
  const alphaOf = (options: Parameters<typeof scoreFrameworks>[2]) => {
    const scores = scoreFrameworks(results, frameworks, options);
    for (const s of scores) assertValid('framework-score', s);
    return scores[0]!;
  };
  const statusOf = (score: ReturnType<typeof alphaOf>, id: string) =>
    score.requirements.find((r) => r.requirement_id === id)!;

  it('marks a requirement only people can assess as needing evidence until fresh evidence is attached', () => {
    const waiting = alphaOf({ now });
    expect(statusOf(waiting, 'A4')).toMatchObject({
      status: 'not_applicable',
      needs_evidence: true,
      evidence_needed: ['UCF-TS-04'],
    });
    expect(waiting).toMatchObject({ needs_evidence: 1, passed: 2, failed: 1 });

    const evidence = (verdict: 'pass' | 'fail', days: number) => [
      { control_id: 'UCF-TS-04', verdict, collected_at: daysAgo(days) },
    ];
    const passed = alphaOf({ now, evidence: evidence('pass', 10) });
    expect(statusOf(passed, 'A4').status).toBe('pass');
    expect(statusOf(passed, 'A4').needs_evidence).toBeUndefined();
    expect(passed).toMatchObject({ needs_evidence: 0, passed: 3, failed: 1, score: 3 / 4 });

    expect(alphaOf({ now, evidence: evidence('fail', 10) })).toMatchObject({
      passed: 2,
      failed: 2,
      score: 2 / 4,
    });
    // Stale after the default window of 365 days; a tenant may widen it.
    expect(statusOf(alphaOf({ now, evidence: evidence('pass', 400) }), 'A4').needs_evidence).toBe(true);
    const wider = alphaOf({
      now,
      evidence: evidence('pass', 400),
      policy: { default: { evidence_freshness_days: 500 } },
    });
    expect(statusOf(wider, 'A4').status).toBe('pass');
    // The latest evidence wins.
    const latest = alphaOf({
      now,
      evidence: [...evidence('fail', 30), ...evidence('pass', 5)],
    });
    expect(statusOf(latest, 'A4').status).toBe('pass');
  });

  it('can count requirements waiting for evidence as failed', () => {
    const strict = alphaOf({
      now,
      policy: { frameworks: { alpha: { needs_evidence_counts_as: 'failed' } } },
    });
    expect(statusOf(strict, 'A4')).toMatchObject({ status: 'fail', needs_evidence: true });
    expect(strict).toMatchObject({ passed: 2, failed: 2, needs_evidence: 1, score: 2 / 4 });
  });

  it('weights requirements when the policy gives weights', () => {
    const weighted = alphaOf({ now, policy: { frameworks: { 'alpha@1': { weights: { A3: 3 } } } } });
    // passed A1 (1) + A2 (1); failed A3 (3, error counts as failed).
    expect(weighted).toMatchObject({ weighted: true, passed: 2, failed: 1 });
    expect(weighted.score).toBeCloseTo(2 / 5, 12);
    expect(statusOf(weighted, 'A3').weight).toBe(3);
    expect(statusOf(weighted, 'A1').weight).toBe(1);
  });

  it('prefers id@version over id over the default', () => {
    const policy = {
      default: { evidence_freshness_days: 1 },
      frameworks: { alpha: { evidence_freshness_days: 2 }, 'alpha@1': { evidence_freshness_days: 3 } },
    };
    expect(frameworkPolicy(policy, 'alpha', '1').evidence_freshness_days).toBe(3);
    expect(frameworkPolicy(policy, 'alpha', '2').evidence_freshness_days).toBe(2);
    expect(frameworkPolicy(policy, 'beta', '1').evidence_freshness_days).toBe(1);
    expect(frameworkPolicy(undefined, 'beta', '1')).toEqual({});
    assertValid('scoring-policy', policy);
    expect(() =>
      assertValid('scoring-policy', { controls: { mode: 'threshold', pass_threshold: 1.5 } }),
    ).toThrow(/pass_threshold/);
  });

  it('rolls controls up from findings with a pass threshold instead of all-pass', () => {
    const byThreshold = evaluateControls(findings, frameworks, {
      rollup: { mode: 'threshold', pass_threshold: 0.5 },
    });
    // UCF-TS-01: 3 of 4 applicable findings pass; UCF-TS-02: 1 of 3.
    expect(byThreshold.map((r) => [r.control_id, r.status])).toEqual([
      ['UCF-TS-01', 'pass'],
      ['UCF-TS-02', 'fail'],
      ['UCF-TS-03', 'not_applicable'],
      ['UCF-TS-04', 'not_applicable'],
      ['UCF-TS-05', 'pass'],
    ]);
  });

  it('rolls requirements up from controls with a pass threshold', () => {
    const three: Frameworks = {
      ucf_version: 'test',
      controls: ['UCF-TS-11', 'UCF-TS-12', 'UCF-TS-13'].map((id) => control(id, [['delta', 'D1']])),
      frameworks: [framework('delta', ['D1'])],
      rule_controls: { 'CW-T-011': ['UCF-TS-11', 'UCF-TS-12', 'UCF-TS-13'] },
    };
    const controlResults = (['pass', 'pass', 'fail'] as const).map((status, i) => ({
      control_id: `UCF-TS-1${i + 1}`,
      status,
      rule_ids: ['CW-T-011'],
      counts: { pass: 0, fail: 0, not_applicable: 0, error: 0 },
    }));
    const d1 = (rule?: { mode: 'threshold'; pass_threshold: number }) =>
      scoreFrameworks(controlResults, three, {
        policy: rule ? { default: { requirements: rule } } : undefined,
      })[0]!.requirements[0]!.status;
    expect(d1()).toBe('fail');
    expect(d1({ mode: 'threshold', pass_threshold: 0.6 })).toBe('pass');
    expect(d1({ mode: 'threshold', pass_threshold: 0.7 })).toBe('fail');
  });
});
