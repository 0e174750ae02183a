import { describe, expect, it } from 'vitest';
import type { FrameworkCoverage, FrameworkInfo } from '#lib/api/types.ts';
import {
  coverageLabel,
  coverageSegments,
  coverageSummary,
  frameworkName,
  frameworkRef,
  frameworkRows,
  historyPageSize,
  parseCoverageFilter,
} from './frameworks.ts';

const counts = { automated: 6, partial: 2, manual: 0, unmapped: 1, out_of_scope: 1 };

const info = (id: string, version: string): FrameworkInfo => ({
  id,
  version,
  title: id.toUpperCase(),
  owner: 'o',
  source: 's',
  license: 'l',
  text_policy: 'official_text',
  requirements: 10,
  uploaded: false,
});

const coverage = (id: string, version: string): FrameworkCoverage => ({
  framework_id: id,
  framework_version: version,
  title: id.toUpperCase(),
  total: 10,
  counts,
  groups: [],
  requirements: [],
});

describe('frameworks page rules', () => {
  it('labels every level in words', () => {
    expect(coverageLabel('out_of_scope')).toBe('Out of scope');
    expect(coverageSummary(counts)).toBe('6 automated, 2 partial, 0 manual, 1 unmapped, 1 out of scope');
  });

  it('draws only non-empty segments, as shares of the total', () => {
    expect(coverageSegments({ counts, total: 10 })).toEqual([
      { level: 'automated', count: 6, percent: 60 },
      { level: 'partial', count: 2, percent: 20 },
      { level: 'unmapped', count: 1, percent: 10 },
      { level: 'out_of_scope', count: 1, percent: 10 },
    ]);
    expect(coverageSegments({ counts, total: 0 })).toEqual([]);
  });

  it('pairs catalogs with coverage by id and version, keeping the list order', () => {
    const rows = frameworkRows(
      [info('soc2', '2017'), info('iso27001', '2022'), info('soc2', '2022')],
      [coverage('soc2', '2022'), coverage('soc2', '2017')],
    );
    expect(rows.map((r) => frameworkRef(r.framework.id, r.framework.version))).toEqual([
      'soc2@2017',
      'iso27001@2022',
      'soc2@2022',
    ]);
    expect(rows.map((r) => r.coverage?.framework_version ?? null)).toEqual(['2017', null, '2022']);
  });

  it('takes a coverage filter from the URL only when it names a level', () => {
    expect(parseCoverageFilter('out_of_scope')).toBe('out_of_scope');
    for (const bad of [null, '', 'Automated', 'all'])
      expect(parseCoverageFilter(bad), String(bad)).toBe(null);
  });

  it('names a framework with its version once', () => {
    expect(frameworkName('SOC 2', '2017')).toBe('SOC 2 2017');
    expect(frameworkName('ISO/IEC 27001:2022', '2022')).toBe('ISO/IEC 27001:2022');
  });

  it('takes a page size from the URL only when it is a whole number in range', () => {
    expect(historyPageSize(null)).toBe(20);
    expect(historyPageSize('1')).toBe(1);
    expect(historyPageSize('100')).toBe(100);
    for (const bad of ['0', '101', '2.5', '-3', 'ten', '']) expect(historyPageSize(bad), bad).toBe(20);
  });
});
