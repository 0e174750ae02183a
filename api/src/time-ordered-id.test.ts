import { describe, expect, it } from 'vitest';
import { timeOrderedId, timeOrderedIds } from './time-ordered-id.ts';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedIds', () => {
  it('makes version 7 UUIDs carrying the current Unix millisecond', () => {
    const before = Date.now();
    const id = timeOrderedId();
    const after = Date.now();
    expect(id).toMatch(V7);
    const ms = parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    // A counter overflow may move the millisecond on by one; nothing else does.
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after + 1);
  });

  it('keeps ids strictly increasing, thousands within one millisecond and across calls', () => {
    const ids = [...timeOrderedIds(20_000), ...timeOrderedIds(5_000), timeOrderedId()];
    for (const id of ids) expect(id).toMatch(V7);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('varies the ids beyond the time, so two processes in one millisecond do not collide', () => {
    // Within one millisecond the counter starts at a random value: the first id of a fresh millisecond
    // differs between calls in its counter bits, not only in the tail.
    const starts = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const start = Date.now();
      while (Date.now() === start); // the next call begins a new millisecond
      starts.add(timeOrderedId().slice(14, 23));
    }
    expect(starts.size).toBeGreaterThan(15);
  });
});
