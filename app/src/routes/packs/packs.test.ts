import { describe, expect, it } from 'vitest';
import { countAnchor, referenceLabel, requirementsWith, type PackFrameworkScore } from './packs.ts';

const score: PackFrameworkScore = {
  framework_id: 'iso27001',
  framework_version: '2022',
  title: 'ISO/IEC 27001',
  score: 0.5,
  passed: 1,
  failed: 1,
  not_applicable: 1,
  status_counts: { pass: 1, fail: 1, needs_evidence: 0, not_applicable: 1, manual: 0, error: 0 },
  score_basis: {
    counted: ['pass', 'fail'],
    requirements: 2,
    total: 3,
    weighted: false,
    description: 'Passed requirements over passed and failed ones.',
  },
  requirements: [
    {
      requirement_id: 'A.8.5',
      title: 'Secure authentication',
      status: 'fail',
      state: 'fail',
      control_ids: ['UCF-IAM-01'],
    },
    {
      requirement_id: 'A.8.24',
      title: 'Use of cryptography',
      status: 'pass',
      state: 'pass',
      control_ids: ['UCF-DP-01'],
    },
    {
      requirement_id: 'A.5.1',
      title: 'Policies',
      status: 'not_applicable',
      state: 'not_applicable',
      control_ids: [],
    },
  ],
};

describe('rule packs page', () => {
  it('lists behind each count exactly the requirements of that status', () => {
    expect(requirementsWith(score, 'fail').map((r) => r.requirement_id)).toEqual(['A.8.5']);
    expect(requirementsWith(score, 'pass').map((r) => r.requirement_id)).toEqual(['A.8.24']);
    expect(requirementsWith(score, 'needs_evidence')).toEqual([]);
  });

  it('gives each count an anchor unique per pack, framework version and status, safe in a URL', () => {
    expect(countAnchor('cis-aws-foundations-5.0-l1', score, 'fail')).toBe(
      'pack-cis-aws-foundations-5-0-l1-iso27001-2022-fail',
    );
    expect(countAnchor('okta-baseline', score, 'fail')).not.toBe(countAnchor('okta-baseline', score, 'pass'));
  });

  it('names the reference source, or says the pack is our own selection', () => {
    expect(referenceLabel({ reference_source: 'CIS Amazon Web Services Foundations Benchmark v5.0.0' })).toBe(
      'CIS Amazon Web Services Foundations Benchmark v5.0.0',
    );
    expect(referenceLabel({ reference_source: null })).toMatch(/ComplyWise baseline/);
  });
});
