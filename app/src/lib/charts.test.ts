import { describe, expect, it } from 'vitest';
import { dateTicks, historyChart, linePath, linearScale, shortDate, statusSegments } from './charts.ts';

const box = { width: 200, height: 100, top: 10, right: 10, bottom: 20, left: 40 };

/** A snapshot as the API pages them; only the fields the chart reads. */
const snap = (event: string, at: string, score: number | null) => ({
  event_id: event,
  reason: 'scan' as const,
  framework_version: '2017',
  finished_at: at,
  scored_at: at,
  score,
});

describe('linearScale', () => {
  it('maps the domain onto the range, inverted ranges included', () => {
    const s = linearScale([0, 1], [90, 10]);
    expect(s(0)).toBe(90);
    expect(s(1)).toBe(10);
    expect(s(0.25)).toBe(70);
  });
  it('puts every value in the middle of a zero-width domain', () => {
    expect(linearScale([5, 5], [0, 100])(5)).toBe(50);
  });
});

describe('historyChart', () => {
  it('draws oldest at the left, 100% at the top, in time proportion, skipping unscored snapshots', () => {
    const chart = historyChart(
      [
        snap('c', '2026-05-11T00:00:00Z', 1),
        snap('x', '2026-05-05T00:00:00Z', null),
        snap('b', '2026-05-03T00:00:00Z', 0.5),
        snap('a', '2026-05-01T00:00:00Z', 0),
      ],
      box,
    );
    expect(chart.points.map((p) => p.eventId)).toEqual(['a', 'b', 'c']);
    // x from 40 to 190 over ten days: the 3rd is 2/10 along; y from 80 (0%) to 10 (100%).
    expect(chart.points.map((p) => [p.x, p.y])).toEqual([
      [40, 80],
      [70, 45],
      [190, 10],
    ]);
    expect(chart.path).toBe('M40,80 L70,45 L190,10');
    expect(chart.yTicks).toEqual([
      { position: 80, label: '0%' },
      { position: 62.5, label: '25%' },
      { position: 45, label: '50%' },
      { position: 27.5, label: '75%' },
      { position: 10, label: '100%' },
    ]);
    expect(chart.xTicks.map((t) => t.label)).toEqual(['2026-05-01', '2026-05-03', '2026-05-11']);
  });

  it('spaces points evenly when they share one instant, and centres a single point', () => {
    const at = '2026-05-01T12:00:00Z';
    const even = historyChart([snap('b', at, 0.5), snap('a', at, 0.25)], box);
    expect(even.points.map((p) => p.x)).toEqual([40, 190]);
    const one = historyChart([snap('a', at, 0.5)], box);
    expect(one.points).toEqual([expect.objectContaining({ x: 115, y: 45 })]);
    expect(one.path).toBe('M115,45');
  });

  it('clamps out-of-range scores to the box and draws nothing without a score', () => {
    const chart = historyChart([snap('a', '2026-05-01T00:00:00Z', 1.5)], box);
    expect(chart.points[0]?.y).toBe(10);
    const empty = historyChart([snap('a', '2026-05-01T00:00:00Z', null)], box);
    expect(empty.points).toEqual([]);
    expect(empty.path).toBe('');
    expect(empty.xTicks).toEqual([]);
    expect(empty.yTicks).toHaveLength(5);
  });
});

describe('axis helpers', () => {
  it('prints dates in UTC and passes unparsable text through', () => {
    expect(shortDate('2026-05-01T23:30:00-02:00')).toBe('2026-05-02');
    expect(shortDate('soon')).toBe('soon');
  });
  it('labels at most max dates, first and last included, each date once', () => {
    const points = ['01', '02', '02', '03', '04', '05', '06'].map((d, i) => ({
      x: i * 10,
      at: `2026-05-${d}T00:00:00Z`,
    }));
    expect(dateTicks(points, 3).map((t) => [t.position, t.label])).toEqual([
      [0, '2026-05-01'],
      [30, '2026-05-03'],
      [60, '2026-05-06'],
    ]);
    expect(dateTicks(points.slice(1, 3), 4).map((t) => t.label)).toEqual(['2026-05-02']);
    expect(dateTicks(points, 1).map((t) => t.label)).toEqual(['2026-05-06']);
    expect(dateTicks([], 3)).toEqual([]);
  });
  it('joins points into a path', () => {
    expect(linePath([])).toBe('');
    expect(linePath([{ x: 1, y: 2 }])).toBe('M1,2');
  });
});

describe('statusSegments', () => {
  it('lays the non-empty states side by side as shares of the sum, in the API order', () => {
    const segments = statusSegments({
      pass: 2,
      fail: 1,
      needs_evidence: 0,
      not_applicable: 1,
      manual: 0,
      error: 0,
    });
    expect(segments).toEqual([
      { state: 'pass', count: 2, offset: 0, width: 50 },
      { state: 'fail', count: 1, offset: 50, width: 25 },
      { state: 'not_applicable', count: 1, offset: 75, width: 25 },
    ]);
  });
  it('draws nothing for no requirements', () => {
    expect(
      statusSegments({ pass: 0, fail: 0, needs_evidence: 0, not_applicable: 0, manual: 0, error: 0 }),
    ).toEqual([]);
  });
});
