import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Catalog } from './catalog.ts';
import { ERROR_CODES } from './errors.ts';
import { loadFrameworkDefinitions, loadFrameworks } from './frameworks.ts';
import { copyOfFrameworks, problemsOf, tempDir, type TempDir } from './testing.ts';

const dirs: TempDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => d.remove()));
});

const lineOf = (text: string, needle: string, from = 0) =>
  text.split('\n').findIndex((l, i) => i >= from && l.includes(needle)) + 1;

describe('loadFrameworks', () => {
  it('loads the UCF, the framework catalogs and the rule links of the committed bundle', async () => {
    const fw = await loadFrameworks();
    expect(fw.controls.map((c) => c.id)).toEqual(expect.arrayContaining(['UCF-DP-01', 'UCF-DP-02']));
    expect(fw.frameworks.map((f) => `${f.id}@${f.version}`)).toEqual([
      'cmmc@2.0',
      'hipaa-security@2013',
      'hitrust-csf@11',
      'iso27001@2022',
      'nist-800-171@r2',
      'nist-csf@2.0',
      'pci-dss@4.0.1',
      'soc2@2017',
    ]);
    expect(fw.rule_controls).toMatchObject({
      'CW-AWS-S3-001': ['UCF-DP-01'],
      'CW-AWS-S3-002': ['UCF-DP-02'],
    });
    for (const id of ['UCF-DP-01', 'UCF-DP-02']) {
      const control = fw.controls.find((c) => c.id === id)!;
      expect(control.mappings.map((m) => m.framework)).toEqual(expect.arrayContaining(['iso27001', 'soc2']));
    }
    for (const f of fw.frameworks) expect(f.text_policy).toBe('ids_and_own_summaries');
  });

  it('reports duplicate ids, unknown relationship types and unknown requirements at their lines', async () => {
    const dir = await copyOfFrameworks(dirs);
    const path = 'ucf/controls.yaml';
    let text = await dir.read(path);
    text = text.replace('relationship: subset_of', 'relationship: overlaps');
    text = text.replace('requirement: A.8.24', 'requirement: A.8.99');
    text = text.replace('  - id: UCF-DP-02', '  - id: UCF-DP-01');
    const file = await dir.write(path, text);
    const problems = await problemsOf(loadFrameworks(dir.path, { catalog: null }));
    expect(problems).toEqual([
      {
        code: ERROR_CODES.SCHEMA_INVALID,
        file,
        line: lineOf(text, 'relationship: overlaps'),
        message:
          'field controls[0].mappings[0].relationship: must be one of: "equal", "subset_of", "superset_of", "intersects_with"',
      },
    ]);
    // Schema first; once the schema holds, the cross-checks run.
    const fixed = text.replace('relationship: overlaps', 'relationship: subset_of');
    await dir.write(path, fixed);
    const crossProblems = await problemsOf(loadFrameworks(dir.path, { catalog: null }));
    expect(crossProblems).toEqual([
      {
        code: ERROR_CODES.UNKNOWN_REFERENCE,
        file,
        line: lineOf(fixed, 'requirement: A.8.99'),
        message: 'field controls[0].mappings[1].requirement: iso27001 2022 has no requirement A.8.99',
      },
      {
        code: ERROR_CODES.DUPLICATE_ID,
        file,
        line: lineOf(fixed, 'id: UCF-DP-01', lineOf(fixed, 'id: UCF-DP-01')),
        message: `control UCF-DP-01 is already defined on line ${lineOf(fixed, 'id: UCF-DP-01')}`,
      },
    ]);
  });

  it('reports an unquoted version, a duplicate requirement and a mapping to an unknown framework', async () => {
    const dir = await copyOfFrameworks(dirs);
    const soc2 = (await dir.read('soc2/2017.yaml')).replace("version: '2017'", 'version: 2017');
    const soc2File = await dir.write('soc2/2017.yaml', soc2);
    const iso = (await dir.read('iso27001/2022.yaml')).replace(
      'requirements:\n',
      'requirements:\n  - id: A.8.3\n    title: A second definition\n',
    );
    const isoFile = await dir.write('iso27001/2022.yaml', iso);
    const problems = await problemsOf(loadFrameworks(dir.path, { catalog: null }));
    expect(problems.map((p) => [p.code, p.file, p.line, p.message])).toEqual([
      [
        ERROR_CODES.DUPLICATE_ID,
        isoFile,
        lineOf(iso, 'id: A.8.3', lineOf(iso, 'id: A.8.3')),
        `requirement A.8.3 is already defined on line ${lineOf(iso, 'id: A.8.3')}`,
      ],
      [ERROR_CODES.SCHEMA_INVALID, soc2File, lineOf(soc2, 'version: 2017'), 'field version: must be string'],
      // The SOC 2 file no longer loads, so every UCF mapping to it points nowhere (one problem each).
      ...(await loadFrameworks(undefined, { catalog: null })).controls.flatMap((control, c) =>
        control.mappings.flatMap((m, i) =>
          m.framework === 'soc2'
            ? [
                [
                  ERROR_CODES.UNKNOWN_REFERENCE,
                  join(dir.path, 'ucf/controls.yaml'),
                  expect.any(Number),
                  `field controls[${c}].mappings[${i}].framework: no framework soc2 version 2017 (frameworks/soc2/2017.yaml)`,
                ],
              ]
            : [],
        ),
      ),
    ]);
  });

  it('reports a parent cycle, an unknown parent and a link to an unknown requirement at their lines', async () => {
    const dir = await copyOfFrameworks(dirs);
    let csf = await dir.read('nist-csf/2.0.yaml');
    // GV → GV.OC → GV: a cycle through two groups.
    csf = csf.replace(
      '  - id: GV\n    title: Govern\n    kind: function\n',
      '  - id: GV\n    title: Govern\n    kind: function\n    parent: GV.OC\n',
    );
    csf = csf.replace(
      '  - id: RC.CO-04\n    title: Public recovery updates are shared\n    kind: subcategory\n    parent: RC.CO',
      '  - id: RC.CO-04\n    title: Public recovery updates are shared\n    kind: subcategory\n    parent: RC.XX',
    );
    const csfFile = await dir.write('nist-csf/2.0.yaml', csf);
    const cmmc = (await dir.read('cmmc/2.0.yaml')).replace(
      'requirement: 3.1.22, relationship: equal',
      'requirement: 3.1.99, relationship: equal',
    );
    const cmmcFile = await dir.write('cmmc/2.0.yaml', cmmc);
    const problems = await problemsOf(loadFrameworks(dir.path, { catalog: null }));
    expect(problems.map((p) => [p.code, p.file, p.line, p.message])).toEqual([
      [
        ERROR_CODES.UNKNOWN_REFERENCE,
        cmmcFile,
        lineOf(cmmc, '3.1.99'),
        'AC.L1-B.1.IV: linked nist-800-171 r2 has no requirement 3.1.99',
      ],
      [
        ERROR_CODES.PARENT_CYCLE,
        csfFile,
        lineOf(csf, 'parent: GV.OC'),
        'GV: its parents form a cycle (GV → GV.OC → GV)',
      ],
      [
        ERROR_CODES.PARENT_CYCLE,
        csfFile,
        csf.split('\n').indexOf('    parent: GV') + 1,
        'GV.OC: its parents form a cycle (GV.OC → GV → GV.OC)',
      ],
      [
        ERROR_CODES.UNKNOWN_REFERENCE,
        csfFile,
        lineOf(csf, 'parent: RC.XX'),
        'RC.CO-04: parent RC.XX is neither a group nor a requirement of nist-csf 2.0',
      ],
    ]);
  });

  it('validates the same content once, and again as soon as a file changes', async () => {
    const dir = await copyOfFrameworks(dirs);
    const first = await loadFrameworkDefinitions(dir.path);
    expect(await loadFrameworkDefinitions(dir.path)).toBe(first);
    const text = await dir.read('soc2/2017.yaml');
    await dir.write('soc2/2017.yaml', text.replace('parent: CC1\n', 'parent: NOPE\n'));
    const problems = await problemsOf(loadFrameworkDefinitions(dir.path));
    expect(problems.map((p) => p.message)).toEqual([
      'CC1.1: parent NOPE is neither a group nor a requirement of soc2 2017',
    ]);
    await dir.write('soc2/2017.yaml', text);
    expect(await loadFrameworkDefinitions(dir.path)).toBe(first);
  });

  it('says which catalog.json is missing', async () => {
    const dir = await tempDir();
    dirs.push(dir);
    await expect(loadFrameworks(undefined, { catalog: dir.path })).rejects.toMatchObject({
      code: ERROR_CODES.BUNDLE_INVALID,
      message: `${join(dir.path, 'catalog.json')} is missing: run \`complywise rules build\``,
    });
  });

  it('rejects a bundle catalog whose rule points at a control the UCF lacks', async () => {
    const catalog = {
      rules: [{ id: 'CW-AWS-S3-009', ucf_controls: ['UCF-DP-01', 'UCF-ZZ-01'] }],
    } as unknown as Catalog;
    const problems = await problemsOf(loadFrameworks(undefined, { catalog }));
    expect(problems).toEqual([
      expect.objectContaining({
        code: ERROR_CODES.UNKNOWN_REFERENCE,
        message:
          'rule CW-AWS-S3-009 points at UCF control UCF-ZZ-01, which frameworks/ucf/controls.yaml does not define',
      }),
    ]);
  });
});
