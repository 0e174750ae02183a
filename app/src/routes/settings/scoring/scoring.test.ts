import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FORM,
  describePolicy,
  entryFor,
  formOf,
  withFramework,
  type ScoringPolicy,
} from './scoring.ts';

const policy: ScoringPolicy = {
  controls: { mode: 'threshold', pass_threshold: 0.5 },
  default: { evidence_freshness_days: 180 },
  frameworks: {
    soc2: { requirements: { mode: 'threshold', pass_threshold: 0.75 }, weights: { 'CC6.1': 3 } },
    'hipaa@2013': { needs_evidence_counts_as: 'failed' },
  },
};

describe('scoring page rules', () => {
  it('finds the entry that applies: version, then id, then the default', () => {
    expect(entryFor(policy, 'hipaa', '2013').key).toBe('hipaa@2013');
    expect(entryFor(policy, 'soc2', '2017').key).toBe('soc2');
    expect(entryFor(policy, 'iso27001', '2022')).toEqual({
      key: null,
      entry: { evidence_freshness_days: 180 },
    });
  });

  it('shows an entry with the defaults filled in', () => {
    expect(formOf(policy.frameworks!.soc2!)).toEqual({ ...DEFAULT_FORM, mode: 'threshold', percent: 75 });
    expect(formOf({})).toEqual(DEFAULT_FORM);
  });

  it('sets one framework, keeping its weights and every other part of the policy', () => {
    const next = withFramework(policy, 'soc2', {
      mode: 'all_pass',
      percent: 80,
      freshnessDays: 90,
      needsEvidence: 'failed',
    });
    expect(next.frameworks!.soc2).toEqual({
      requirements: { mode: 'all_pass' },
      evidence_freshness_days: 90,
      needs_evidence_counts_as: 'failed',
      weights: { 'CC6.1': 3 },
    });
    expect(next.frameworks!['hipaa@2013']).toEqual(policy.frameworks!['hipaa@2013']);
    expect(next.controls).toEqual(policy.controls);
    expect(
      withFramework(policy, 'iso27001', { ...DEFAULT_FORM, mode: 'threshold', percent: 60 }).frameworks!
        .iso27001!.requirements,
    ).toEqual({
      mode: 'threshold',
      pass_threshold: 0.6,
    });
  });

  it('removes an entry so the framework follows the default again', () => {
    const next = withFramework({ frameworks: { soc2: {} } }, 'soc2', null);
    expect(next).toEqual({});
  });

  it('says the policy in words', () => {
    expect(describePolicy({ ...DEFAULT_FORM, mode: 'threshold', percent: 75 })).toBe(
      'A requirement passes when at least 75% of its controls pass; manual evidence counts for 365 days; requirements waiting for evidence are left out.',
    );
  });
});
