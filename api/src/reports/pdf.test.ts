/** The readiness report's manual evidence lines: late additions to an audit's period are flagged. */
import { describe, expect, it } from 'vitest';
import { manualEvidenceLine, type ManualEvidenceRef } from './pdf.ts';

const ref = (collected: string, attached: string): ManualEvidenceRef => ({
  sha256: 'a'.repeat(64),
  verdict: 'pass',
  collected_at: new Date(collected),
  attached_at: new Date(attached),
  control_id: 'UCF-GOV-01',
});
const audit = { period_end: new Date('2026-06-30T23:59:59.000Z') };

describe('manual evidence lines of the readiness report', () => {
  it('flags evidence collected in the period but attached after its end, with the attach date', () => {
    expect(manualEvidenceLine(ref('2026-06-15T00:00:00Z', '2026-07-03T10:00:00Z'), audit)).toBe(
      `Manual evidence ${'a'.repeat(64)} (pass, collected 2026-06-15T00:00:00.000Z, on UCF-GOV-01, attached after the period on 2026-07-03T10:00:00.000Z)`,
    );
  });

  it('does not flag evidence attached in the period, nor any outside an audit', () => {
    const inTime = ref('2026-06-15T00:00:00Z', '2026-06-16T00:00:00Z');
    expect(manualEvidenceLine(inTime, audit)).not.toContain('attached after');
    const late = ref('2026-06-15T00:00:00Z', '2026-07-03T10:00:00Z');
    expect(manualEvidenceLine(late, null)).not.toContain('attached after');
    expect(manualEvidenceLine(late)).toBe(
      `Manual evidence ${'a'.repeat(64)} (pass, collected 2026-06-15T00:00:00.000Z, on UCF-GOV-01)`,
    );
  });
});
