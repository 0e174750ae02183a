/**
 * The scale-out bench's two rate checks (bench/scaleout/harness.ts `grantedRate`) on slot logs and proxy
 * arrivals made here, so each check is shown to fail when the limit is broken without running four workers
 * for it: test/scaleout.test.ts runs the product and checks that the logs it reads are complete (at least as
 * many grants as calls at the proxy), so a broken limiter there would show as it does here.
 */
import { describe, expect, it } from 'vitest';
import type { CallSlotLine } from '../api/src/scans/call-slot-log.ts';
import { busiestSecondBound, grantedRate, type LagSample } from '../bench/scaleout/harness.ts';

const LIMIT = 20;
const INTERVAL_MS = 1000 / LIMIT;
const T0 = 1_800_000_000_000;
const SECONDS = 10;
/** How long after its slot a worker lets a call go, and how long the call takes to reach the proxy. */
const GRANT_LATE_MS = 5;
const TRAVEL_MS = 2;

interface Call {
  worker: number;
  slotAt: number;
  /** When the request reached the proxy. */
  arrivedAt: number;
}

/** Each worker's log: its grants, and its event loop's longest delay each second (`stalls` by second). */
function logsOf(calls: Call[], workers: number, stalls: Map<string, number> = new Map()): CallSlotLine[][] {
  return Array.from({ length: workers }, (_, worker) => [
    ...calls
      .filter((c) => c.worker === worker)
      .map((c): CallSlotLine => ({
        kind: 'grant',
        integration: 'integration-1',
        slot_at: c.slotAt,
        interval_ms: INTERVAL_MS,
        granted_at: c.slotAt + GRANT_LATE_MS,
      })),
    ...Array.from({ length: SECONDS + 2 }, (_, s): CallSlotLine => ({
      kind: 'loop',
      at: T0 + (s + 1) * 1000,
      max_delay_ms: stalls.get(`${worker}/${s}`) ?? 3,
    })),
  ]);
}

const quietProxy: LagSample[] = Array.from({ length: SECONDS + 2 }, (_, s) => ({
  at: T0 + (s + 1) * 1000,
  maxMs: 2,
}));

/** Slots one interval apart for the integration, handed to the workers in turn (one shared limiter). */
function sharedLimiterCalls(workers: number): Call[] {
  return Array.from({ length: SECONDS * LIMIT }, (_, k) => {
    const slotAt = T0 + k * INTERVAL_MS;
    return { worker: k % workers, slotAt, arrivedAt: slotAt + GRANT_LATE_MS + TRAVEL_MS };
  });
}

const check = (calls: Call[], logs: CallSlotLine[][]) =>
  grantedRate(
    logs,
    calls.map((c) => c.arrivedAt),
    quietProxy,
    T0,
    T0 + SECONDS * 1000,
    LIMIT,
  );

describe('the scale-out rate checks', () => {
  it('pass one shared limit: the limit in every second of granted slots and at the proxy', () => {
    const calls = sharedLimiterCalls(4);
    const rate = check(calls, logsOf(calls, 4));
    expect(rate.grants).toBe(calls.length);
    expect(rate.grantedBusiestSecond).toBe(LIMIT);
    expect(rate.closestSlotsMs).toBe(INTERVAL_MS);
    expect(rate.windowsOverBound).toBe(0);
  });

  it('fail when each worker holds the limit on its own (one limiter per process)', () => {
    // Four workers each spacing their own calls one interval apart: four times the limit together.
    const calls = Array.from({ length: 4 }, (_, worker) =>
      Array.from({ length: SECONDS * LIMIT }, (_, k): Call => {
        const slotAt = T0 + k * INTERVAL_MS + (worker * INTERVAL_MS) / 4;
        return { worker, slotAt, arrivedAt: slotAt + GRANT_LATE_MS + TRAVEL_MS };
      }),
    ).flat();
    const rate = check(calls, logsOf(calls, 4));
    expect(rate.grantedBusiestSecond).toBe(4 * LIMIT);
    expect(rate.windowsOverBound).toBeGreaterThan(0);
    expect(rate.tightest.calls).toBeGreaterThan(rate.tightest.bound);
  });

  it('fail at the proxy when calls bunch that no measured stall explains', () => {
    // The slots are right, but worker 0's calls of the fourth second all arrive at its end, with its event
    // loop reported on time: something other than load (a queue in the scanner, say) held them.
    const calls = sharedLimiterCalls(4).map((c) =>
      c.worker === 0 && c.slotAt >= T0 + 3000 && c.slotAt < T0 + 4000 ? { ...c, arrivedAt: T0 + 4000 } : c,
    );
    const rate = check(calls, logsOf(calls, 4));
    expect(rate.grantedBusiestSecond).toBe(LIMIT);
    expect(rate.windowsOverBound).toBeGreaterThan(0);
  });

  it('pass the same bunching when the worker measured the stall that held the calls', () => {
    const calls = sharedLimiterCalls(4).map((c) =>
      c.worker === 0 && c.slotAt >= T0 + 3000 && c.slotAt < T0 + 4000 ? { ...c, arrivedAt: T0 + 4000 } : c,
    );
    const busiestAtProxy = Math.max(
      ...calls.map(
        (c) => calls.filter((o) => o.arrivedAt >= c.arrivedAt && o.arrivedAt < c.arrivedAt + 1000).length,
      ),
    );
    // The load this measurement flaked on: more than the limit plus one in a second at the proxy.
    expect(busiestAtProxy).toBeGreaterThan(busiestSecondBound(LIMIT, INTERVAL_MS));
    const rate = check(calls, logsOf(calls, 4, new Map([['0/3', 1000]])));
    expect(rate.grantedBusiestSecond).toBe(LIMIT);
    expect(rate.windowsOverBound).toBe(0);
  });
});
