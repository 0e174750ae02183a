// The politeness helpers: token bucket, full-jitter backoff and the server-requested waits.
import { describe, expect, it } from 'vitest';
import { fullJitterDelay, RateLimiter, serverRequestedDelay, sleep } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('lets a burst through, then paces callers at the sustained rate', async () => {
    const limiter = new RateLimiter(50, 5);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 15 }, () => limiter.acquire().then(() => times.push(Date.now() - started))),
    );
    times.sort((a, b) => a - b);
    expect(times[4]).toBeLessThan(15); // the burst of 5 is immediate
    expect(times[14]).toBeGreaterThanOrEqual(180); // the 10 after it need ~200 ms at 50/s
  });

  it('rejects a waiting caller when its signal aborts, without blocking the next one', async () => {
    const limiter = new RateLimiter(1, 1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('fullJitterDelay', () => {
  it('draws from [0, min(cap, base·2^attempt))', () => {
    const policy = { baseMs: 100, capMs: 1_000 };
    expect(fullJitterDelay(0, policy, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, policy, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, policy, () => 0.999)).toBe(999);
    expect(fullJitterDelay(10, policy, () => 0)).toBe(0);
  });
});

describe('serverRequestedDelay', () => {
  const now = Date.parse('2026-05-04T12:00:00Z');
  it('reads Retry-After in seconds or as an HTTP date', () => {
    expect(serverRequestedDelay({ 'retry-after': '7' }, now)).toBe(7_000);
    expect(serverRequestedDelay({ 'retry-after': 'Mon, 04 May 2026 12:00:30 GMT' }, now)).toBe(30_000);
  });
  it('falls back to a reset time in epoch seconds (GitHub, Okta)', () => {
    expect(serverRequestedDelay({ 'x-ratelimit-reset': String(now / 1000 + 12) }, now)).toBe(12_000);
    expect(serverRequestedDelay({ 'x-rate-limit-reset': String(now / 1000 - 5) }, now)).toBe(0);
    expect(serverRequestedDelay({}, now)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('ends early with the abort reason', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = sleep(5_000, controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
