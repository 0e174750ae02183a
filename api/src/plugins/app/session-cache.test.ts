// The session cache behind AuthService.verify: an entry lives for its TTL and only for the user and tenant
// it was set for; forgetting a user drops their entries (in one tenant or all); the size stays bounded.
import { describe, expect, it } from 'vitest';
import { SessionCache } from './session-cache.ts';

describe('SessionCache', () => {
  it('remembers a live session for its TTL, for that user and tenant only', () => {
    let now = 1_000;
    const cache = new SessionCache(5_000, () => now);
    cache.set('s1', 'u1', 't1', 'admin');
    expect(cache.get('s1', 'u1', 't1')).toBe('admin');
    expect(cache.get('s1', 'u2', 't1')).toBeUndefined();
    expect(cache.get('s1', 'u1', 't2')).toBeUndefined();
    now += 4_999;
    expect(cache.get('s1', 'u1', 't1')).toBe('admin');
    now += 1;
    expect(cache.get('s1', 'u1', 't1')).toBeUndefined();
  });

  it('forgets a user in one tenant or in all of them', () => {
    const cache = new SessionCache(5_000);
    cache.set('a', 'u1', 't1', 'user');
    cache.set('b', 'u1', 't2', 'user');
    cache.set('c', 'u2', 't1', 'auditor');
    cache.forgetUser('u1', 't1');
    expect([cache.get('a', 'u1', 't1'), cache.get('b', 'u1', 't2')]).toEqual([undefined, 'user']);
    cache.forgetUser('u1');
    expect(cache.get('b', 'u1', 't2')).toBeUndefined();
    expect(cache.get('c', 'u2', 't1')).toBe('auditor');
  });

  it('keeps nothing with a TTL of 0, and stays bounded', () => {
    const off = new SessionCache(0);
    off.set('a', 'u', 't', 'user');
    expect(off.get('a', 'u', 't')).toBeUndefined();
    const cache = new SessionCache(60_000);
    for (let i = 0; i < 10_050; i++) cache.set(`s${i}`, 'u', 't', 'user');
    expect(cache.get('s10049', 'u', 't')).toBe('user');
    expect(cache.get('s0', 'u', 't')).toBeUndefined();
  });
});
