import { describe, expect, it } from 'vitest';
import { describeWindow, windowsOf } from './retention.ts';

describe('retention page rules', () => {
  it('sends days, and null for a window left empty', () => {
    expect(
      windowsOf({ raw_scan_data_days: '30', findings_days: ' 365 ', evidence_days: '', audit_log_days: '' }),
    ).toEqual({
      windows: { raw_scan_data_days: 30, findings_days: 365, evidence_days: null, audit_log_days: null },
    });
  });

  it('refuses what the API would refuse, naming the window', () => {
    const refused = windowsOf({
      raw_scan_data_days: '0',
      findings_days: '',
      evidence_days: '',
      audit_log_days: '',
    });
    expect(refused).toEqual({ problem: expect.stringContaining('Raw scan data') });
    expect(
      windowsOf({ raw_scan_data_days: '', findings_days: '1.5', evidence_days: '', audit_log_days: '' }),
    ).toHaveProperty('problem');
    expect(
      windowsOf({ raw_scan_data_days: '', findings_days: '', evidence_days: '36501', audit_log_days: '' }),
    ).toHaveProperty('problem');
  });

  it('says what a window keeps', () => {
    expect(describeWindow(null)).toBe('Kept for ever');
    expect(describeWindow(1)).toBe('1 day');
    expect(describeWindow(90)).toBe('90 days');
  });
});
