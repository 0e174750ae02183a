import { describe, expect, it } from 'vitest';
import { formatDuration, scanDurationMs, scansApiPath, scansQuery, upsertScan } from './scans.ts';

describe('the scans page', () => {
  it('measures a scan from its start to its end, or to now while it runs', () => {
    const started_at = '2026-12-01T10:00:00.000Z';
    expect(scanDurationMs({ started_at, finished_at: '2026-12-01T10:00:12.400Z' })).toBe(12_400);
    expect(scanDurationMs({ started_at, finished_at: null }, Date.parse('2026-12-01T10:01:00Z'))).toBe(
      60_000,
    );
    expect(scanDurationMs({ started_at: null, finished_at: null })).toBeNull();
  });

  it('says a duration in words', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_800_000)).toBe('2 h 10 min');
  });

  it('pages the history of one integration or all of them', () => {
    expect(scansApiPath(null, null)).toBe('/api/scans?limit=25');
    expect(scansApiPath('i1', 'c')).toBe('/api/scans?limit=25&integration_id=i1&cursor=c');
    expect(scansQuery(null)).toBe('');
    expect(scansQuery('i1', 'c')).toBe('?integration_id=i1&cursor=c');
  });

  it('replaces a polled scan in place and puts a new one first', () => {
    const list = [
      { id: 'a', n: 1 },
      { id: 'b', n: 1 },
    ];
    expect(upsertScan(list, { id: 'b', n: 2 })).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
    expect(upsertScan(list, { id: 'c', n: 1 }).map((s) => s.id)).toEqual(['c', 'a', 'b']);
  });
});
