import { describe, expect, it } from 'vitest';
import { AnswerCache } from './answer-cache.ts';

describe('AnswerCache', () => {
  it('tags each body with a strong etag of its bytes', () => {
    const cache = new AnswerCache();
    const a = cache.set('t1|v1', '{"a":1}');
    expect(a.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(cache.set('t2|v1', '{"a":1}').etag).toBe(a.etag);
    expect(cache.set('t1|v2', '{"a":2}').etag).not.toBe(a.etag);
    expect(cache.get('t1|v1')?.body.toString()).toBe('{"a":1}');
    expect(cache.get('t1|v3')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its limit', () => {
    const cache = new AnswerCache(2);
    cache.set('a', '1');
    cache.set('b', '2');
    cache.get('a');
    cache.set('c', '3');
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.body.toString()).toBe('1');
    expect(cache.get('c')?.body.toString()).toBe('3');
  });
});
