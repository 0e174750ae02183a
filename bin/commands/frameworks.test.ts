import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { frameworkCoverage } from '../../engine/coverage.ts';
import { loadFrameworks } from '../../engine/frameworks.ts';
import { DEFAULT_FRAMEWORKS_DIR } from '../../engine/paths.ts';
import { EXAMPLE_OSCAL_CATALOG, tempDir, type TempDir } from '../../engine/testing.ts';
import { EXIT, main } from '../complywise.ts';
import { itWithReference, referencePath } from '../../test/reference.ts';

const dirs: TempDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => d.remove()));
});

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

async function copyOfFrameworks(): Promise<TempDir> {
  const dir = await tempDir('complywise-fw-cli-');
  dirs.push(dir);
  await cp(DEFAULT_FRAMEWORKS_DIR, dir.path, { recursive: true });
  return dir;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

/** A small frameworks folder where each requirement lands in a different coverage level. */
async function coverageFixture(): Promise<TempDir> {
  const dir = await tempDir('complywise-fw-cov-');
  dirs.push(dir);
  const header = (id: string) =>
    `id: ${id}\nversion: '1'\ntitle: ${id}\nowner: Test\nsource: https://example.com\nlicense: Test\ntext_policy: official_text\n`;
  await dir.write(
    'alpha/1.yaml',
    `${header('alpha')}requirements:
  - { id: R1, title: Tested in full }
  - { id: R2, title: Tested in part }
  - { id: R3, title: People only }
  - { id: R4, title: Nothing maps here }
  - { id: R5, title: Not ours, out_of_scope: Covered by the framework owner's own process }
  - { id: R6, title: People or a rule not yet written, parent: R1 }
`,
  );
  await dir.write(
    'beta/1.yaml',
    `${header('beta')}requirements:
  - id: B1
    title: The same as alpha R1
    links: [{ framework: alpha, framework_version: '1', requirement: R1, relationship: equal }]
  - id: B2
    title: Overlaps alpha R1 only
    links: [{ framework: alpha, framework_version: '1', requirement: R1, relationship: intersects_with }]
`,
  );
  const map = (req: string, relationship: string) =>
    `      - { framework: alpha, framework_version: '1', requirement: ${req}, relationship: ${relationship}, rationale: test }\n`;
  await dir.write(
    'ucf/controls.yaml',
    `version: test
controls:
  - id: UCF-TS-01
    title: Tested
    objective: Tested by a rule
    domain: Test
    automated: true
    mappings:
${map('R1', 'superset_of')}${map('R2', 'subset_of')}  - id: UCF-TS-02
    title: Manual
    objective: People attach evidence
    domain: Test
    automated: false
    evidence: [A signed review]
    mappings:
${map('R3', 'equal')}${map('R6', 'equal')}  - id: UCF-TS-03
    title: Automatable but no rule yet
    objective: Would be tested by a rule
    domain: Test
    automated: true
    mappings:
${map('R6', 'superset_of')}`,
  );
  await dir.write(
    'catalog.json',
    JSON.stringify({ rules: [{ id: 'CW-TS-001', ucf_controls: ['UCF-TS-01'] }] }),
  );
  return dir;
}

describe('complywise frameworks lint', () => {
  it('passes on the committed catalogs, warning once per unmapped requirement; --strict fails on them', async () => {
    const ok = await run('frameworks', 'lint');
    const fw = await loadFrameworks();
    const unmapped = frameworkCoverage(fw).reduce((n, f) => n + f.counts.unmapped, 0);
    expect(ok.code).toBe(EXIT.OK);
    expect(ok.stdout).toBe(
      `${fw.frameworks.length} frameworks, ${fw.frameworks.reduce((n, f) => n + f.requirements.length, 0)} requirements, ${fw.controls.length} UCF controls: 0 errors, ${unmapped} warning${unmapped === 1 ? '' : 's'}\n`,
    );
    expect(ok.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toHaveLength(unmapped);

    const strict = await run('frameworks', 'lint', '--strict');
    expect(strict.code).toBe(unmapped > 0 ? EXIT.INVALID : EXIT.OK);
    if (unmapped > 0)
      expect(strict.stderr).toMatch(/^frameworks\/[^:]+\.yaml:\d+: \S+ \S+ \S+ is neither mapped/m);
  });

  it('fails with file:line on a mapped requirement marked out of scope and a manual control without evidence', async () => {
    const dir = await copyOfFrameworks();
    const soc2 = (await dir.read('soc2/2017.yaml')).replace(
      '  - id: CC6.1\n',
      '  - id: CC6.1\n    out_of_scope: Handled elsewhere\n',
    );
    const soc2File = await dir.write('soc2/2017.yaml', soc2);
    const ucf = (await dir.read('ucf/controls.yaml')).replace(
      'automated: true\n    evidence:\n      - Encryption settings of data stores\n',
      'automated: false\n',
    );
    const ucfFile = await dir.write('ucf/controls.yaml', ucf);
    const out = await run('frameworks', 'lint', '--frameworks-dir', dir.path);
    expect(out.code).toBe(EXIT.INVALID);
    const errors = out.stderr.split('\n').filter((l) => l && !l.startsWith('warning: '));
    expect(errors.slice(0, 2)).toEqual([
      `${soc2File}:${lineOf(soc2, 'out_of_scope')}: CC6.1 is marked out of scope but UCF controls map to it`,
      `${ucfFile}:${lineOf(ucf, 'id: UCF-DP-01')}: UCF-DP-01 is assessed by people (automated: false) but lists no evidence an auditor expects`,
    ]);
    expect(errors[2]).toMatch(/: 2 errors, \d+ warnings$/);
  });

  it('refuses a UCF mapping without a rationale: a missing one on loading, a blank one in the lint', async () => {
    const dir = await copyOfFrameworks();
    const original = await dir.read('ucf/controls.yaml');
    const first =
      '        rationale: Encrypting stored data is one of the logical protections CC6.1 expects, not the whole of it.\n';
    expect(original).toContain(first);
    const missing = original.replace(first, '');
    const file = await dir.write('ucf/controls.yaml', missing);
    const load = await run('frameworks', 'lint', '--frameworks-dir', dir.path);
    expect(load.code).toBe(EXIT.INVALID);
    expect(load.stderr).toContain(
      `${file}:${lineOf(missing, '- framework: soc2')}: field controls[0].mappings[0].rationale: is required`,
    );

    const blank = original.replace(first, "        rationale: '  '\n");
    await dir.write('ucf/controls.yaml', blank);
    const lint = await run('frameworks', 'lint', '--frameworks-dir', dir.path);
    expect(lint.code).toBe(EXIT.INVALID);
    expect(lint.stderr.split('\n').filter((l) => l && !l.startsWith('warning: '))).toEqual([
      `${file}:${lineOf(blank, "rationale: '  '")}: UCF-DP-01 maps soc2 2017 CC6.1 without a rationale: say in one line why the control meets it`,
      expect.stringMatching(/: 1 error, \d+ warnings$/),
    ]);
  });

  it('finds a rationale on every committed UCF mapping', async () => {
    const { controls } = await loadFrameworks();
    const blank = controls.flatMap((c) =>
      c.mappings.filter((m) => !m.rationale.trim()).map((m) => `${c.id} → ${m.framework} ${m.requirement}`),
    );
    expect(blank).toEqual([]);
    expect(controls.reduce((n, c) => n + c.mappings.length, 0)).toBeGreaterThan(1000);
  });

  it('reports load problems (a parent cycle) as file:line and exits 1', async () => {
    const dir = await copyOfFrameworks();
    const text = (await dir.read('pci-dss/4.0.1.yaml')).replace(
      "  - id: '1'\n    title: Network security controls\n",
      "  - id: '1'\n    title: Network security controls\n    parent: '1'\n",
    );
    const file = await dir.write('pci-dss/4.0.1.yaml', text);
    const out = await run('frameworks', 'lint', '--frameworks-dir', dir.path);
    expect(out).toMatchObject({ code: EXIT.INVALID, stdout: '' });
    expect(out.stderr).toBe(
      `${file}:${lineOf(text, "parent: '1'")}: 1: its parents form a cycle (1 → 1)\n1 problem found\n`,
    );
  });
});

describe('complywise frameworks coverage', () => {
  it('classifies each requirement by its links and the rules of its controls, as a table and as JSON', async () => {
    const dir = await coverageFixture();
    const args = ['--frameworks-dir', dir.path, '--catalog', join(dir.path, 'catalog.json')];
    const json = await run('frameworks', 'coverage', ...args, '--format', 'json');
    expect(json.code).toBe(EXIT.OK);
    const items = JSON.parse(json.stdout).frameworks as {
      framework_id: string;
      counts: Record<string, number>;
      requirements: { requirement_id: string; coverage: string }[];
    }[];
    const levels = Object.fromEntries(
      items.map((f) => [
        f.framework_id,
        Object.fromEntries(f.requirements.map((r) => [r.requirement_id, r.coverage])),
      ]),
    );
    expect(levels).toEqual({
      alpha: {
        R1: 'automated',
        R2: 'partial',
        R3: 'manual',
        R4: 'unmapped',
        R5: 'out_of_scope',
        R6: 'manual',
      },
      // An equal link inherits alpha R1's controls; an intersecting link does not.
      beta: { B1: 'automated', B2: 'unmapped' },
    });

    const text = await run('frameworks', 'coverage', ...args, '--framework', 'alpha@1');
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout.split('\n')[1]!.split(/\s+/)).toEqual(['alpha', '1', '6', '1', '1', '2', '1', '1']);
  });

  it('names the known frameworks when --framework matches none, and rejects an unknown format', async () => {
    const unknown = await run('frameworks', 'coverage', '--framework', 'nope');
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toMatch(/^error: no framework nope \(known: cmmc@2\.0, .*soc2@2017\)\n$/);
    const format = await run('frameworks', 'coverage', '--format', 'xml');
    expect(format).toMatchObject({
      code: EXIT.USAGE,
      stderr: 'error: --format must be table or json, not xml\n',
    });
  });
});

describe('complywise frameworks import', () => {
  // Our own small OSCAL catalog (CSF-style ids) always; NIST's real CSF 2.0 catalog in the reference tier.
  const example = EXAMPLE_OSCAL_CATALOG.xml;
  const csf = referencePath('oscal', 'NIST_CSF_v2.0_catalog.xml');

  it('writes imported text to the git-ignored overlay, never into the committed catalog', async () => {
    const dir = await copyOfFrameworks();
    const before = await dir.read('soc2/2017.yaml');
    const csv = await dir.write('soc2.csv', 'Ref,Text\nCC6.1,Licensed wording\n');
    const out = await run(
      'frameworks',
      'import',
      csv,
      '--framework',
      'soc2',
      '--columns',
      'id=Ref,statement=Text',
      '--frameworks-dir',
      dir.path,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/wrote .*\.overlay\/soc2\/2017\.yaml/);
    expect(await dir.read('soc2/2017.yaml')).toBe(before);
    expect(await dir.read('.overlay/soc2/2017.yaml')).toContain('CC6.1: Licensed wording');
    const fw = (await loadFrameworks(dir.path, { catalog: null })).frameworks.find((f) => f.id === 'soc2')!;
    expect(fw.requirements.find((r) => r.id === 'CC6.1')!.statement).toBe('Licensed wording');
  });

  it('reports a dry-run overlay of an OSCAL catalog, as text and JSON', async () => {
    const text = await run('frameworks', 'import', example, '--framework', 'nist-csf@2.0', '--dry-run');
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout.split('\n')).toEqual([
      'nist-csf 2.0: 4 requirements got official text',
      expect.stringMatching(
        /^102 catalog requirements have no text in the file: GV\.OC-03, GV\.OC-04, .*… \(82 more\)$/,
      ),
      '1 id in the file matches nothing in the catalog: GV.OC-01(1)',
      '1 withdrawn entry in the file was skipped',
      'dry run: nothing written',
      '',
    ]);
    const json = await run(
      'frameworks',
      'import',
      example,
      '--framework',
      'nist-csf',
      '--dry-run',
      '--format',
      'json',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ matched: 4, withdrawn_in_file: 1, written: null });
  });

  itWithReference(
    'reports a dry-run overlay of the real NIST CSF 2.0 OSCAL catalog, as text and JSON',
    async () => {
      const text = await run('frameworks', 'import', csf, '--framework', 'nist-csf@2.0', '--dry-run');
      expect(text.code).toBe(EXIT.OK);
      expect(text.stdout).toMatch(
        /^nist-csf 2\.0: 106 requirements got official text\n0 catalog requirements have no text in the file\n91 ids in the file match nothing in the catalog: ID\.AM-06, ID\.BE, .*\(71 more\)\ndry run: nothing written\n$/,
      );
      const json = await run(
        'frameworks',
        'import',
        csf,
        '--framework',
        'nist-csf',
        '--dry-run',
        '--format',
        'json',
      );
      expect(JSON.parse(json.stdout)).toMatchObject({ matched: 106, written: null });
    },
  );

  it('refuses ambiguous or incomplete requests with usage errors', async () => {
    expect(await run('frameworks', 'import', example)).toMatchObject({
      code: EXIT.USAGE,
      stderr: 'error: name either --framework (overlay) or --as (new framework)\n',
    });
    expect(await run('frameworks', 'import', example, '--framework', 'nope', '--dry-run')).toMatchObject({
      code: EXIT.USAGE,
      stderr: expect.stringMatching(/^error: no framework nope \(known: cmmc@2\.0, /),
    });
    expect(
      await run('frameworks', 'import', example, '--framework', 'soc2', '--columns', 'statement=x'),
    ).toMatchObject({
      code: EXIT.USAGE,
      stderr: 'error: --columns must name the id column (id=<column>)\n',
    });
  });
});

describe('complywise frameworks export', () => {
  it('prints an OSCAL catalog of the named framework and names the known ones otherwise', async () => {
    const out = await run('frameworks', 'export', 'nist-csf@2.0');
    expect(out.code).toBe(EXIT.OK);
    const doc = JSON.parse(out.stdout) as {
      catalog: { metadata: { title: string; 'oscal-version': string } };
    };
    expect(doc.catalog.metadata).toMatchObject({
      title: 'NIST Cybersecurity Framework 2.0',
      'oscal-version': '1.1.3',
    });
    const unknown = await run('frameworks', 'export', 'nope');
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toMatch(/^error: no framework nope \(known: cmmc@2\.0, /);
  });
});
