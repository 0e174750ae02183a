import { describe, expect, it } from 'vitest';
import {
  describeFailure,
  describeProgress,
  formatBytes,
  formatPercent,
  formatTimestamp,
  prettyJson,
  shortHash,
  sortFindingsForReview,
  statusLabel,
} from './format.ts';

describe('formatPercent', () => {
  it('rounds a 0..1 score to a whole percentage', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(2 / 3)).toBe('67%');
    expect(formatPercent(0.125)).toBe('13%');
    expect(formatPercent(1)).toBe('100%');
  });

  it('shows a dash when no requirement was applicable', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(undefined)).toBe('—');
    expect(formatPercent(Number.NaN)).toBe('—');
  });
});

describe('shortHash', () => {
  it('keeps the first 12 characters by default', () => {
    expect(shortHash('a'.repeat(12) + 'b'.repeat(52))).toBe('aaaaaaaaaaaa');
    expect(shortHash('abcdef', 4)).toBe('abcd');
  });

  it('leaves short values alone and marks missing ones', () => {
    expect(shortHash('abc')).toBe('abc');
    expect(shortHash(null)).toBe('—');
    expect(shortHash('')).toBe('—');
  });
});

describe('formatBytes', () => {
  it('uses bytes, KiB and MiB', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
  });

  it('refuses nonsense sizes', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('formatTimestamp', () => {
  it('prints UTC whatever the offset of the input', () => {
    expect(formatTimestamp('2026-05-01T16:03:07.123+02:00')).toBe('2026-05-01 14:03:07 UTC');
  });

  it('passes through what it cannot parse and marks missing values', () => {
    expect(formatTimestamp('yesterday')).toBe('yesterday');
    expect(formatTimestamp(null)).toBe('—');
  });
});

describe('statusLabel', () => {
  it('spells out not_applicable', () => {
    expect(statusLabel('not_applicable')).toBe('Not applicable');
    expect(statusLabel('fail')).toBe('Fail');
  });
});

describe('describeProgress', () => {
  it('lists phase and counters with singular and plural', () => {
    expect(describeProgress({ phase: 'collect', resources_collected: 1, calls_made: 7, errors: 0 })).toBe(
      'Phase: collect · 1 resource · 7 API calls · 0 errors',
    );
  });

  it('says the scan waits when there is no progress yet', () => {
    expect(describeProgress(null)).toBe('Waiting for a worker…');
  });
});

describe('describeFailure', () => {
  it('accepts text and coded failures', () => {
    expect(describeFailure('credentials expired')).toBe('credentials expired');
    expect(describeFailure({ code: 'InvalidAccessKeyId', message: 'key unknown' })).toBe(
      'InvalidAccessKeyId: key unknown',
    );
    expect(describeFailure({ message: 'no route' })).toBe('no route');
    expect(describeFailure(null)).toBe('The scan failed without a reason.');
  });
});

describe('prettyJson', () => {
  it('indents objects and JSON text alike', () => {
    const expected = '{\n  "name": "logs",\n  "versioning": {\n    "status": "Enabled"\n  }\n}';
    expect(prettyJson({ name: 'logs', versioning: { status: 'Enabled' } })).toBe(expected);
    expect(prettyJson('{"name":"logs","versioning":{"status":"Enabled"}}')).toBe(expected);
  });

  it('shows other text unchanged', () => {
    expect(prettyJson('not json')).toBe('not json');
  });
});

describe('sortFindingsForReview', () => {
  it('puts failures first, then errors, the most severe first, then by resource name', () => {
    const findings = [
      { status: 'pass', severity: 'high', resource_name: 'a' },
      { status: 'fail', severity: 'low', resource_name: 'b' },
      { status: 'not_applicable', severity: 'critical', resource_name: 'c' },
      { status: 'fail', severity: 'critical', resource_name: 'z' },
      { status: 'error', severity: 'medium', resource_name: 'd' },
      { status: 'fail', severity: 'critical', resource_name: 'y' },
    ] as const;
    expect(
      sortFindingsForReview(findings).map((f) => `${f.status}/${f.severity}/${f.resource_name}`),
    ).toEqual([
      'fail/critical/y',
      'fail/critical/z',
      'fail/low/b',
      'error/medium/d',
      'pass/high/a',
      'not_applicable/critical/c',
    ]);
  });

  it('leaves its input unchanged', () => {
    const findings = [
      { status: 'pass', severity: 'low', resource_name: 'a' },
      { status: 'fail', severity: 'low', resource_name: 'b' },
    ] as const;
    sortFindingsForReview(findings);
    expect(findings[0].status).toBe('pass');
  });
});
