import { describe, expect, it } from 'vitest';
import { formatLineDiff, lineDiff } from './line-diff.ts';

describe('lineDiff', () => {
  it('marks kept, removed and added lines in order', () => {
    const before = 'id: X\nseverity: high\nparams:\n  max: 90\n';
    const after = 'id: X\nseverity: critical\nparams:\n  max: 90\n  min: 1\n';
    expect(formatLineDiff(lineDiff(before, after))).toBe(
      ' id: X\n-severity: high\n+severity: critical\n params:\n   max: 90\n+  min: 1\n',
    );
  });

  it('handles empty and identical texts', () => {
    expect(lineDiff('', 'a\n')).toEqual([{ op: '+', text: 'a' }]);
    expect(lineDiff('a\nb\n', '')).toEqual([
      { op: '-', text: 'a' },
      { op: '-', text: 'b' },
    ]);
    expect(lineDiff('a\nb', 'a\nb').every((l) => l.op === ' ')).toBe(true);
  });
});
