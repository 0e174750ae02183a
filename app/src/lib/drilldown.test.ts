import { describe, expect, it } from 'vitest';
import {
  matchesFrameworkRef,
  parseStateFilter,
  relationshipLabel,
  stateBadge,
  stateLabel,
  topFailingControls,
} from './drilldown.ts';

describe('drill-down rules', () => {
  it('reads the status filter from the URL, ignoring anything but the six states', () => {
    expect(parseStateFilter('fail')).toBe('fail');
    expect(parseStateFilter('needs_evidence')).toBe('needs_evidence');
    expect(parseStateFilter('FAIL')).toBeNull();
    expect(parseStateFilter('')).toBeNull();
    expect(parseStateFilter(null)).toBeNull();
  });

  it('matches a score to a bare id (every version) or to id@version', () => {
    const score = { framework_id: 'soc2', framework_version: '2017' };
    expect(matchesFrameworkRef(score, 'soc2')).toBe(true);
    expect(matchesFrameworkRef(score, 'soc2@2017')).toBe(true);
    expect(matchesFrameworkRef(score, 'soc2@2022')).toBe(false);
    expect(matchesFrameworkRef(score, 'iso27001')).toBe(false);
  });

  it('names every state in words and never relies on colour alone', () => {
    expect(stateLabel('needs_evidence')).toBe('Needs evidence');
    expect(stateBadge('fail')).toBe('fail');
    expect(stateBadge('manual')).toBe('na');
    expect(relationshipLabel('subset_of')).toBe('subset of');
    expect(relationshipLabel(null)).toBe('—');
  });

  it('ranks failing controls by failing findings, ties by id, and keeps only the first ones', () => {
    const control = (control_id: string, status: string, fail: number) => ({
      control_id,
      status,
      counts: { fail },
    });
    const controls = [
      control('CW-IAM-01', 'fail', 2),
      control('CW-LOG-01', 'pass', 0),
      control('CW-NET-02', 'fail', 7),
      control('CW-ENC-03', 'fail', 2),
      control('CW-ERR-01', 'error', 0),
    ];
    expect(topFailingControls(controls).map((c) => c.control_id)).toEqual([
      'CW-NET-02',
      'CW-ENC-03',
      'CW-IAM-01',
    ]);
    expect(topFailingControls(controls, 1).map((c) => c.control_id)).toEqual(['CW-NET-02']);
    expect(topFailingControls([control('CW-LOG-01', 'pass', 0)])).toEqual([]);
  });
});
