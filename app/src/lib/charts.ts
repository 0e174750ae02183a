/**
 * The charts' pure geometry (unit-tested in charts.test.ts): linear scales, the score-history line and its
 * axes, and the status split bar's segments. The components only draw what these return; every value comes
 * from the API as it is.
 */
import type { ScoreSnapshot } from './api/types.ts';
import { REQUIREMENT_STATES, type RequirementState } from './drilldown.ts';

/** A linear map from a domain onto a range; a zero-width domain maps everything to the range's middle. */
export function linearScale(
  [d0, d1]: readonly [number, number],
  [r0, r1]: readonly [number, number],
): (value: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

/** The chart box: outer size and the inner margins the axes' labels sit in. */
export interface ChartBox {
  width: number;
  height: number;
  top: number;
  right: number;
  bottom: number;
  left: number;
}

/** One drawn point of the score history. */
export interface HistoryPoint {
  x: number;
  y: number;
  score: number;
  /** When the scoring event's cause happened (scan finished or evidence attached), ISO. */
  at: string;
  eventId: string;
  reason: string;
  version: string;
}

/** A tick on an axis: its position in the box and its label. */
export interface Tick {
  position: number;
  label: string;
}

/** The chart's drawing: points oldest first, the line through them, and both axes' ticks. */
export interface HistoryChart {
  points: HistoryPoint[];
  path: string;
  xTicks: Tick[];
  yTicks: Tick[];
}

const round = (n: number) => Math.round(n * 10) / 10;

/** `2026-05-01`: the date part of an ISO timestamp, in UTC like every timestamp the app prints. */
export function shortDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(0, 10);
}

/**
 * Lays out a framework's score history (snapshots newest first, as the API pages them) in a box: time on the
 * x axis (oldest at the left; events at the same instant are spread by order), the score from 0 % at the
 * bottom to 100 % at the top. Snapshots without a score (nothing counted) are left out, not drawn as zero.
 * One point is drawn in the middle; none gives an empty chart.
 */
export function historyChart(
  newestFirst: Pick<
    ScoreSnapshot,
    'score' | 'finished_at' | 'scored_at' | 'event_id' | 'reason' | 'framework_version'
  >[],
  box: ChartBox,
  maxXTicks = 4,
): HistoryChart {
  const scored = newestFirst.filter((s) => s.score !== null).reverse();
  const x0 = box.left;
  const x1 = box.width - box.right;
  const y = linearScale([0, 1], [box.height - box.bottom, box.top]);
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((v) => ({ position: round(y(v)), label: `${v * 100}%` }));
  if (scored.length === 0) return { points: [], path: '', xTicks: [], yTicks };
  const times = scored.map((s) => Date.parse(s.finished_at ?? s.scored_at));
  const sameTime = times.every((t) => t === times[0]) || times.some(Number.isNaN);
  // When every point shares a time (or one is unparsable), they are spaced evenly in order instead.
  const x = sameTime
    ? linearScale([0, scored.length - 1], [x0, x1])
    : linearScale([times[0] ?? 0, times[times.length - 1] ?? 0], [x0, x1]);
  const points = scored.map((s, i) => ({
    x: round(x(sameTime ? i : (times[i] ?? 0))),
    y: round(y(Math.min(1, Math.max(0, s.score as number)))),
    score: s.score as number,
    at: s.finished_at ?? s.scored_at,
    eventId: s.event_id,
    reason: s.reason,
    version: s.framework_version,
  }));
  return { points, path: linePath(points), xTicks: dateTicks(points, maxXTicks), yTicks };
}

/** An SVG path through the points in order (`M x,y L x,y …`); empty for no points. */
export function linePath(points: readonly { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
}

/**
 * Up to `max` date labels along the x axis: the first and last point's dates and evenly picked ones between,
 * each date once (several events on one day share a label).
 */
export function dateTicks(points: readonly { x: number; at: string }[], max: number): Tick[] {
  if (points.length === 0 || max < 1) return [];
  const picks =
    points.length <= max || max === 1
      ? points.map((_, i) => i)
      : Array.from({ length: max }, (_, i) => Math.round((i * (points.length - 1)) / (max - 1)));
  const ticks: Tick[] = [];
  for (const i of max === 1 ? [points.length - 1] : picks) {
    const point = points[i];
    if (!point) continue;
    const label = shortDate(point.at);
    if (!ticks.some((t) => t.label === label)) ticks.push({ position: point.x, label });
  }
  return ticks;
}

/** One segment of the status split bar. */
export interface StatusSegment {
  state: RequirementState;
  count: number;
  /** Left edge and width, in percent of the bar. */
  offset: number;
  width: number;
}

/** The bar's non-empty segments in the API's state order; widths are shares of the sum of the counts. */
export function statusSegments(counts: Record<RequirementState, number>): StatusSegment[] {
  const total = REQUIREMENT_STATES.reduce((sum, state) => sum + Math.max(0, counts[state] ?? 0), 0);
  if (total === 0) return [];
  let offset = 0;
  const segments: StatusSegment[] = [];
  for (const state of REQUIREMENT_STATES) {
    const count = Math.max(0, counts[state] ?? 0);
    if (count === 0) continue;
    const width = (count / total) * 100;
    segments.push({ state, count, offset: round(offset), width: round(width) });
    offset += width;
  }
  return segments;
}
