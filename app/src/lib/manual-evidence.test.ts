import { describe, expect, it } from 'vitest';
import { attachBody, freshnessDays, validity, type EvidenceForm } from './manual-evidence.ts';

const form = (over: Partial<EvidenceForm> = {}): EvidenceForm => ({
  kind: 'attestation',
  statement: 'Access is reviewed every quarter.',
  owner: 'Dana (IT)',
  verdict: 'pass',
  description: '',
  collectedOn: '',
  file: null,
  ...over,
});
const target = { framework_id: 'soc2', framework_version: '2017', requirement_id: 'CC1.1' };

describe('manual evidence', () => {
  it('takes the freshness window of the framework, else the default, else 365 days', () => {
    expect(freshnessDays({ frameworks: { soc2: { evidence_freshness_days: 30 } } }, 'soc2')).toBe(30);
    expect(freshnessDays({ default: { evidence_freshness_days: 90 }, frameworks: {} }, 'soc2')).toBe(90);
    expect(freshnessDays(null, 'soc2')).toBe(365);
  });

  it('counts an item until its window ends and calls it expired after', () => {
    const now = new Date('2026-05-31T00:00:00Z');
    expect(validity('2026-05-01T00:00:00Z', 30, now)).toEqual({
      until: '2026-05-31T00:00:00.000Z',
      expired: false,
    });
    expect(validity('2026-04-30T00:00:00Z', 30, now)).toEqual({
      until: '2026-05-30T00:00:00.000Z',
      expired: true,
    });
  });

  it('sends an attestation as a note with its owner, and the owner first in the description', () => {
    expect(attachBody(target, form({ description: 'Quarterly review', collectedOn: '2026-05-01' }))).toEqual({
      body: {
        ...target,
        verdict: 'pass',
        description: 'Owner: Dana (IT). Quarterly review',
        collected_at: '2026-05-01T00:00:00.000Z',
        note: { attestation: 'Access is reviewed every quarter.', owner: 'Dana (IT)' },
      },
    });
  });

  it('sends a file as the file, and names every missing field', () => {
    const file = { filename: 'policy.pdf', content_type: 'application/pdf', content_base64: 'AA==' };
    const sent = attachBody({ control_id: 'GOV-01' }, form({ kind: 'file', file, verdict: 'fail' }));
    expect(sent).toEqual({
      body: { control_id: 'GOV-01', verdict: 'fail', description: 'Owner: Dana (IT)', file },
    });
    expect(attachBody(target, form({ owner: ' ', statement: '' }))).toEqual({
      problems: ['Name the owner who answers for this evidence.', 'Write the attestation.'],
    });
    expect(attachBody(target, form({ kind: 'file', collectedOn: 'May' }))).toEqual({
      problems: ['Choose a file.', 'The collection date is not a date.'],
    });
  });
});
