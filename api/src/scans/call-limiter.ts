/**
 * The provider call limit of an integration, held for every scan of it at once: each scan passes the
 * scanners a CallLimiterFactory (scanners/rate-limit.ts) from here, and the scanners know nothing more.
 *
 * On PostgreSQL, where any number of worker processes (on any number of hosts) may scan the same integration,
 * the limit lives in the database: before each call a worker reserves the integration's next call slot in
 * one upsert on its `integration_call_slots` row and sleeps until the slot (scans/store.ts reserveCallSlot).
 * Why a slot reservation rather than a token bucket read and written back:
 * - it is correct under concurrency by construction: the upsert's row lock orders the reservations of all
 *   workers, each slot one interval after the one before, with no read-then-write window to race in;
 * - one short statement per call, never a lock held while waiting (the wait is a sleep in the worker), and
 *   no retry loop: the caller learns its exact turn at once, and the turns are first come, first served;
 * - only the database clock is used, so workers with skewed clocks still space their calls right;
 * - a worker killed after reserving leaves an unused slot: the integration makes fewer calls, never more;
 *   so does one that wakes after its slot is over (it reserves another), so calls never bunch up.
 * The price is no burst: calls are spaced evenly at the configured rate, so no second ever holds more than
 * the configured number of them.
 *
 * On the embedded PGlite there is one process, and a database round trip per provider call would queue
 * behind the scan's own writes on its single connection: there the limit is an in-process token bucket per
 * integration, shared by the process's scans of it.
 */
import { RateLimiter, sleep, type CallLimiter, type CallLimiterFactory } from '../../../scanners/index.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { reserveCallSlot } from './store.ts';

/** How the scans of one process pace their provider calls. */
export interface ScanPacing {
  /** Provider calls per second for each integration (COMPLYWISE_SCAN_CALLS_PER_SECOND); unset: the provider's default. */
  callsPerSecond?: number;
  /** The limiters of an integration's scan: every scan of the same integration shares their limit. */
  limiterFor(tenantId: string, integrationId: string): CallLimiterFactory;
}

/** A call let through by the shared limiter: the slot it went on (database clock) and when it was let go. */
export interface CallGrant {
  integrationId: string;
  /** The start of the slot, ms since the epoch by the database clock. */
  slotAt: number;
  intervalMs: number;
  /** When acquire() returned, ms since the epoch by this process's clock. */
  grantedAt: number;
}

/** Told of every call the shared limiter lets through (bench/scaleout checks the slots; off by default). */
export type CallGrantRecorder = (grant: CallGrant) => void;

/** Calls of one integration paced through its row in `integration_call_slots`. */
class SharedCallLimiter implements CallLimiter {
  readonly #withTenant: WithTenant;
  readonly #tenantId: string;
  readonly #integrationId: string;
  readonly #intervalMs: number;
  readonly #onGrant: CallGrantRecorder | undefined;

  constructor(
    withTenant: WithTenant,
    tenantId: string,
    integrationId: string,
    callsPerSecond: number,
    onGrant?: CallGrantRecorder,
  ) {
    if (!(callsPerSecond > 0)) throw new RangeError('callsPerSecond must be positive');
    this.#withTenant = withTenant;
    this.#tenantId = tenantId;
    this.#integrationId = integrationId;
    this.#intervalMs = 1000 / callsPerSecond;
    this.#onGrant = onGrant;
  }

  /**
   * Reserves a slot and waits for it. A slot is only good during its own interval: a process that wakes
   * later than that (a stalled event loop, a slow reply) would otherwise send calls of several slots at once,
   * so it reserves another slot instead. The wait is counted from the reply, which comes after the slot was
   * set: the call is never early, and late by the reply's travel at most besides the allowed interval.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const { slotAt, waitMs } = await this.#withTenant(this.#tenantId, (trx) =>
        reserveCallSlot(trx, this.#tenantId, this.#integrationId, this.#intervalMs),
      );
      const due = performance.now() + waitMs;
      if (waitMs > 0) await sleep(waitMs, signal);
      const now = performance.now();
      if (now - due <= this.#intervalMs) {
        this.#onGrant?.({
          integrationId: this.#integrationId,
          slotAt,
          intervalMs: this.#intervalMs,
          grantedAt: performance.timeOrigin + now,
        });
        return;
      }
    }
  }
}

/** Pacing shared by every worker process through PostgreSQL; `onGrant` hears of each call let through. */
export function sharedScanPacing(
  withTenant: WithTenant,
  callsPerSecond?: number,
  onGrant?: CallGrantRecorder,
): ScanPacing {
  return {
    ...(callsPerSecond ? { callsPerSecond } : {}),
    limiterFor: (tenantId, integrationId) => (rate) =>
      new SharedCallLimiter(withTenant, tenantId, integrationId, rate, onGrant),
  };
}

/**
 * The scan worker's pacing on a database: shared through PostgreSQL, where several worker processes may scan
 * one integration at once; within the process on PGlite (one process, no slots to record).
 */
export function workerScanPacing(
  databaseKind: 'postgres' | 'pglite',
  withTenant: WithTenant,
  callsPerSecond?: number,
  onGrant?: CallGrantRecorder,
): ScanPacing {
  return databaseKind === 'postgres'
    ? sharedScanPacing(withTenant, callsPerSecond, onGrant)
    : inProcessScanPacing(callsPerSecond);
}

/** Pacing within this process: one token bucket per integration and rate, shared by the process's scans. */
export function inProcessScanPacing(callsPerSecond?: number): ScanPacing {
  const buckets = new Map<string, RateLimiter>();
  return {
    ...(callsPerSecond ? { callsPerSecond } : {}),
    limiterFor: (tenantId, integrationId) => (rate) => {
      const key = `${tenantId}/${integrationId}/${rate}`;
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = new RateLimiter(rate);
        buckets.set(key, bucket);
      }
      return bucket;
    },
  };
}
