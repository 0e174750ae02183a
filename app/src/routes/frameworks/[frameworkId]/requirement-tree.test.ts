import { describe, expect, it } from 'vitest';
import type { FrameworkCoverage, FrameworkScore } from '#lib/api/types.ts';
import { groupPaths, inGroup, treeRows } from './requirement-tree.ts';

type Requirement = FrameworkScore['requirements'][number];

const group = (id: string, parent: string | null) => ({ id, title: `Group ${id}`, kind: 'category', parent });
const coverage = {
  groups: [group('GV', null), group('GV.OC', 'GV'), group('PR', null), group('PR.AA', 'PR')],
  requirements: [
    { requirement_id: 'GV.OC-01', parent: 'GV.OC' },
    { requirement_id: 'GV.OC-02', parent: 'GV.OC' },
    { requirement_id: 'PR.AA-01', parent: 'PR.AA' },
    // A requirement under another requirement (HIPAA's implementation specifications under a standard).
    { requirement_id: 'PR.AA-01(a)', parent: 'PR.AA-01' },
    { requirement_id: 'LOOSE-1', parent: null },
  ],
} as unknown as FrameworkCoverage;
const requirement = (requirement_id: string, state: Requirement['state']) =>
  ({ requirement_id, state }) as Requirement;

describe('the requirement tree', () => {
  const paths = groupPaths(coverage);

  it('finds every group enclosing a requirement, outermost first, through a parent requirement too', () => {
    expect(paths.get('GV.OC-02')!.map((g) => g.id)).toEqual(['GV', 'GV.OC']);
    expect(paths.get('PR.AA-01(a)')!.map((g) => g.id)).toEqual(['PR', 'PR.AA']);
    expect(paths.get('LOOSE-1')).toEqual([]);
    expect(inGroup(paths, 'PR.AA-01(a)', 'PR')).toBe(true);
    expect(inGroup(paths, 'GV.OC-01', 'PR')).toBe(false);
  });

  it('puts one heading before each group with the counts of the listed requirements', () => {
    const rows = treeRows(
      [
        requirement('GV.OC-01', 'fail'),
        requirement('GV.OC-02', 'pass'),
        requirement('PR.AA-01', 'error'),
        requirement('PR.AA-01(a)', 'pass'),
        requirement('LOOSE-1', 'manual'),
      ],
      paths,
    );
    expect(
      rows.map((r) =>
        r.kind === 'group'
          ? `${'  '.repeat(r.depth)}${r.group.id} ${r.total}/${r.failing}`
          : `${'  '.repeat(r.depth)}- ${r.requirement.requirement_id}`,
      ),
    ).toEqual([
      'GV 2/1',
      '  GV.OC 2/1',
      '    - GV.OC-01',
      '    - GV.OC-02',
      'PR 2/1',
      '  PR.AA 2/1',
      '    - PR.AA-01',
      '    - PR.AA-01(a)',
      '- LOOSE-1',
    ]);
  });

  it('lists requirements flat when the catalog has no groups', () => {
    const rows = treeRows([requirement('X-1', 'pass')], groupPaths(null));
    expect(rows).toEqual([{ kind: 'requirement', requirement: requirement('X-1', 'pass'), depth: 0 }]);
  });
});
