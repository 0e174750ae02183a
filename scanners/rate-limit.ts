/**
 * Politeness shared by every scanner: the limiter each provider call waits for (so one integration's scans
 * never exceed the provider's quota for its credentials) and capped exponential backoff with full jitter for
 * the providers whose SDK does not retry by itself.
 *
 * The scanners know a limiter only as a CallLimiter. By default each scan makes its own in-process token
 * bucket (RateLimiter); a caller running scans in several processes passes a CallLimiterFactory whose limiters
 * are shared by all of them (the API's is held in PostgreSQL, api/src/scans/call-limiter.ts).
 */

/** What a scan waits for before each provider call. */
export interface CallLimiter {
  /** Resolves when the caller may make one call; rejects with the signal's reason once it aborts. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * Makes the limiter of one scan for the rate the scanner settled on (`callsPerSecond`, else the provider's
 * default). Called once per scan context: an organization scan calls it for every account it scans.
 */
export type CallLimiterFactory = (callsPerSecond: number) => CallLimiter;

/** Token bucket: `ratePerSecond` sustained, bursts up to `burst`. `acquire()` waits for a token. */
export class RateLimiter implements CallLimiter {
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private tokens: number;
  private last: number;
  private readonly clock: () => number;
  /** Callers waiting, served in arrival order so none starves. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    ratePerSecond: number,
    burst = Math.max(1, Math.ceil(ratePerSecond)),
    clock: () => number = Date.now,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.clock = clock;
    this.last = clock();
  }

  /** Resolves when the caller may make one request. */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.take(signal));
    // A rejected turn (aborted) must not block the callers behind it.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.clock();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(((1 - this.tokens) / this.ratePerSecond) * 1000, signal);
    }
  }
}

export interface BackoffPolicy {
  /** First delay cap in ms. */
  baseMs: number;
  /** Largest delay in ms, whatever the attempt. */
  capMs: number;
}

/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform random
 * delay in [0, min(cap, base * 2^attempt)). Spreads retries of many clients instead of synchronising them.
 */
export function fullJitterDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

/**
 * The wait a 429/503 answer asks for, in ms: `Retry-After` (seconds or an HTTP date), else a reset
 * time in epoch seconds (GitHub `x-ratelimit-reset`, Okta `X-Rate-Limit-Reset`), else undefined.
 */
export function serverRequestedDelay(
  headers: Record<string, string | string[] | undefined>,
  now: number = Date.now(),
  resetHeaders: readonly string[] = ['x-ratelimit-reset', 'x-rate-limit-reset'],
): number | undefined {
  const header = (name: string): string | undefined => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const retryAfter = header('retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  for (const name of resetHeaders) {
    const reset = Number(header(name));
    if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  }
  return undefined;
}

/** setTimeout as a promise that an AbortSignal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
