import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, SourceError } from './errors.ts';
import {
  importOscalAsFramework,
  officialTextFromCsv,
  overlayOfficialText,
  parseCsv,
  readOfficialText,
} from './framework-import.ts';
import { loadFrameworkDefinitions } from './frameworks.ts';
import { readOscalCatalog } from './oscal-read.ts';
import { DEFAULT_FRAMEWORKS_DIR } from './paths.ts';
import { EXAMPLE_OSCAL_CATALOG, copyOfFrameworks, problemsOf, type TempDir } from './testing.ts';
import { describeWithReference, referencePath } from '../test/reference.ts';

// Our own small catalog in both encodings (always on), and real NIST OSCAL catalogs (the reference tier, see
// ../shared/reference/oscal/README.md; read, never copied into the repository).
const EXAMPLE = EXAMPLE_OSCAL_CATALOG;
const REFERENCE = referencePath('oscal');
const CSF = join(REFERENCE, 'NIST_CSF_v2.0_catalog.xml');
const SP171_R3 = join(REFERENCE, 'NIST_SP800-171_rev3_catalog.xml');
const SP53_LOW = join(REFERENCE, 'NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json');

const dirs: TempDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => d.remove()));
});

/** A catalog without the imported text, to compare ids, titles and structure before and after. */
const withoutStatements = (fw: { requirements: { statement?: string }[] }) =>
  fw.requirements.map(({ statement: _statement, ...rest }) => rest);

describe('frameworks import: overlaying official text', () => {
  it('overlays the statements of an OSCAL catalog (XML) onto NIST CSF 2.0, changing nothing else', async () => {
    const dir = await copyOfFrameworks(dirs);
    const before = await loadFrameworkDefinitions(dir.path);
    const ucfBefore = await dir.read('ucf/controls.yaml');
    const report = await overlayOfficialText(await readOfficialText(EXAMPLE.xml), {
      framework: 'nist-csf',
      version: '2.0',
      dir: dir.path,
    });
    expect(report).toMatchObject({ framework_id: 'nist-csf', matched: 4, withdrawn_in_file: 1 });
    expect(report.unmatched_in_catalog).toHaveLength(102);
    // The enhancement has no CSF requirement; the withdrawn control is counted, not reported as unmatched.
    expect(report.unmatched_in_file).toEqual(['GV.OC-01(1)']);
    // The text goes to the git-ignored overlay; the committed catalog stays byte for byte as it was.
    expect(report.written).toBe(join(dir.path, '.overlay/nist-csf/2.0.yaml'));
    expect(await dir.read('nist-csf/2.0.yaml')).toBe(
      await readFile(join(DEFAULT_FRAMEWORKS_DIR, 'nist-csf/2.0.yaml'), 'utf8'),
    );

    const after = await loadFrameworkDefinitions(dir.path);
    const csf = (d: typeof after) => d.frameworks.find((f) => f.id === 'nist-csf')!;
    const withText = csf(after).requirements.filter((r) => r.statement);
    expect(withText.map((r) => r.id)).toEqual(['GV.OC-01', 'GV.OC-02', 'PR.AA-01', 'PR.AA-05']);
    expect(withText[0]!.statement).toBe(
      'The team keeps a written note of what its service is for and rereads it every [review interval]:\n' +
        'a. who relies on the service;\nb. which promises the team has made about it.',
    );
    expect(withoutStatements(csf(after))).toEqual(withoutStatements(csf(before)));
    expect(csf(after).groups).toEqual(csf(before).groups);
    expect(after.controls).toEqual(before.controls);
    expect(await dir.read('ucf/controls.yaml')).toBe(ucfBefore);
  });

  it('reads the same catalog from its JSON and its XML encoding: params, item labels, enhancement, withdrawn', async () => {
    const read = async (file: string) => readOscalCatalog(file, await readFile(file, 'utf8'));
    const json = await read(EXAMPLE.json);
    const xml = await read(EXAMPLE.xml);
    expect(xml.title).toBe(json.title);
    expect(xml.nodes).toEqual(json.nodes);
    const entries = await readOfficialText(EXAMPLE.json);
    expect(entries.map((e) => [e.id, e.withdrawn])).toEqual([
      ['GV', false],
      ['GV.OC', false],
      ['GV.OC-01', false],
      ['GV.OC-01(1)', false],
      ['GV.OC-02', false],
      ['GV.OC-06', true],
      ['PR', false],
      ['PR.AA', false],
      ['PR.AA-01', false],
      ['PR.AA-05', false],
    ]);
    // An enhancement is known by its OSCAL id and its label.
    expect(entries[3]!.keys).toEqual(['GV.OC-01.1', 'GV.OC-01(1)']);
    expect(entries.find((e) => e.id === 'PR.AA-05')!.statement).toBe(
      'People get only the access their work needs, checked every [access review period].',
    );
  });

  it('keeps earlier overlay text on a later import, writes a whole catalog only with --out, and refuses stale overlays', async () => {
    const dir = await copyOfFrameworks(dirs);
    const csv = (rows: string) => dir.write('soc2.csv', `Ref,Text\n${rows}`);
    const columns = { columns: { id: 'Ref', statement: 'Text' } };
    await overlayOfficialText(await readOfficialText(await csv('CC6.1,First wording\n'), columns), {
      framework: 'soc2',
      dir: dir.path,
    });
    await overlayOfficialText(await readOfficialText(await csv('CC6.6,Second wording\n'), columns), {
      framework: 'soc2',
      dir: dir.path,
    });
    const statementOf = async (id: string) =>
      (await loadFrameworkDefinitions(dir.path)).frameworks
        .find((f) => f.id === 'soc2')!
        .requirements.find((r) => r.id === id)!.statement;
    expect(await statementOf('CC6.1')).toBe('First wording');
    expect(await statementOf('CC6.6')).toBe('Second wording');

    const out = join(dir.path, 'soc2-with-text.yaml.txt');
    const report = await overlayOfficialText(await readOfficialText(await csv('CC6.1,Explicit\n'), columns), {
      framework: 'soc2',
      dir: dir.path,
      out,
    });
    expect(report.written).toBe(out);
    expect(await dir.read('soc2-with-text.yaml.txt')).toMatch(/statement: Explicit/);

    // A statement for a requirement the catalog no longer has is an error at its line, not silently dropped.
    const overlay = await dir.read('.overlay/soc2/2017.yaml');
    await dir.write('.overlay/soc2/2017.yaml', `${overlay}  ZZ9.9: stale text\n`);
    const problems = await problemsOf(loadFrameworkDefinitions(dir.path));
    expect(problems).toEqual([
      expect.objectContaining({
        code: ERROR_CODES.UNKNOWN_REFERENCE,
        line: overlay.split('\n').length,
        message: expect.stringContaining('ZZ9.9'),
      }),
    ]);
  });

  it('keeps the overlay folder out of git', () => {
    const ignored = spawnSync('git', ['check-ignore', '-q', 'frameworks/.overlay/soc2/2017.yaml'], {
      cwd: join(DEFAULT_FRAMEWORKS_DIR, '..'),
    });
    expect(ignored.status).toBe(0);
  });

  it('reports unmatched ids both ways: a catalog that fits another framework, and a dry run writes nothing', async () => {
    const dir = await copyOfFrameworks(dirs);
    const original = await dir.read('nist-800-171/r2.yaml');
    const report = await overlayOfficialText(await readOfficialText(EXAMPLE.json), {
      framework: 'nist-800-171',
      dir: dir.path,
      dryRun: true,
    });
    expect(report.matched).toBe(0);
    expect(report.unmatched_in_catalog).toHaveLength(110);
    expect(report.unmatched_in_file).toEqual(expect.arrayContaining(['GV.OC-01', 'GV.OC-01(1)', 'PR.AA-05']));
    expect(report.unmatched_in_file).not.toContain('GV.OC-06');
    expect(report.withdrawn_in_file).toBe(1);
    expect(report.written).toBeNull();
    expect(await dir.read('nist-800-171/r2.yaml')).toBe(original);
  });

  it('overlays text from CSV through a column map, with quoted commas, quotes and line breaks', async () => {
    const dir = await copyOfFrameworks(dirs);
    const csv = await dir.write(
      'soc2.csv',
      'Ref,Criterion text,Notes\r\nCC6.1,"Our licensed wording, with a comma and ""quotes""\nand a second line",x\nCC6.6,Plain wording,\nZZ9.9,Not in the catalog,\n',
    );
    const entries = await readOfficialText(csv, { columns: { id: 'Ref', statement: 'Criterion text' } });
    const report = await overlayOfficialText(entries, { framework: 'soc2', dir: dir.path });
    expect(report.matched).toBe(2);
    expect(report.unmatched_in_file).toEqual(['ZZ9.9']);
    expect(report.unmatched_in_catalog).toHaveLength(59);
    const soc2 = (await loadFrameworkDefinitions(dir.path)).frameworks.find((f) => f.id === 'soc2')!;
    expect(soc2.requirements.find((r) => r.id === 'CC6.1')!.statement).toBe(
      'Our licensed wording, with a comma and "quotes"\nand a second line',
    );
  });

  it('names the missing column and the rows without an id, at their lines', () => {
    expect(parseCsv('a,b\n"x\ny",z\n\nq,r\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x\ny', 'z'] },
      { line: 5, cells: ['q', 'r'] },
    ]);
    const missing = () => officialTextFromCsv('f.csv', 'Id,Text\nA,b\n', { id: 'Id', statement: 'Wording' });
    expect(missing).toThrow(SourceError);
    expect(() => missing()).toThrow('f.csv:1: the CSV header has no column "Wording" (columns: Id, Text)');
    expect(() => officialTextFromCsv('f.csv', 'Id,Text\nA,b\n,c\n', { id: 'Id', statement: 'Text' })).toThrow(
      'f.csv:3: row has no value in the id column "Id"',
    );
  });

  it('rejects a file that is not an OSCAL catalog at the line that shows it, and writes nothing', async () => {
    const dir = await copyOfFrameworks(dirs);
    const original = await dir.read('nist-csf/2.0.yaml');
    const html = await dir.write(
      'page.xml',
      '<?xml version="1.0"?>\n<!-- a web page -->\n<html><body/></html>\n',
    );
    expect(await problemsOf(readOfficialText(html))).toEqual([
      {
        code: ERROR_CODES.IMPORT_INVALID,
        file: html,
        line: 3,
        message:
          'not an OSCAL catalog: the root element is <html>, expected <catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">',
      },
    ]);
    const profile = await dir.write('profile.json', '{\n  "profile": { "uuid": "x" }\n}\n');
    expect(await problemsOf(readOfficialText(profile))).toEqual([
      {
        code: ERROR_CODES.IMPORT_INVALID,
        file: profile,
        line: 2,
        message: 'not an OSCAL catalog: the top-level object must have a "catalog" key, found "profile"',
      },
    ]);
    expect(await dir.read('nist-csf/2.0.yaml')).toBe(original);
  });
});

describe('frameworks import --as: a whole OSCAL catalog as a new framework', () => {
  it('imports a catalog (JSON) with its group/control/enhancement tree, without the withdrawn control, then overlays onto it', async () => {
    const dir = await copyOfFrameworks(dirs);
    const result = await importOscalAsFramework(
      EXAMPLE.json,
      { id: 'example-practices', version: '1' },
      { dir: dir.path },
    );
    expect(result).toEqual({
      written: join(dir.path, 'example-practices/1.yaml'),
      groups: 4,
      requirements: 5,
    });
    const fw = (await loadFrameworkDefinitions(dir.path)).frameworks.find(
      (f) => f.id === 'example-practices',
    )!;
    expect(fw).toMatchObject({ title: 'ComplyWise example practice catalog', text_policy: 'official_text' });
    expect(fw.groups).toEqual([
      { id: 'GV', title: 'Steering', kind: 'function' },
      { id: 'GV.OC', title: 'Knowing the setting', kind: 'category', parent: 'GV' },
      { id: 'PR', title: 'Guarding', kind: 'function' },
      { id: 'PR.AA', title: 'Knowing who is who', kind: 'category', parent: 'PR' },
    ]);
    expect(fw.requirements.map((r) => [r.id, r.parent, r.kind])).toEqual([
      ['GV.OC-01', 'GV.OC', 'subcategory'],
      ['GV.OC-01(1)', 'GV.OC-01', 'enhancement'],
      ['GV.OC-02', 'GV.OC', 'subcategory'],
      ['PR.AA-01', 'PR.AA', 'subcategory'],
      ['PR.AA-05', 'PR.AA', 'subcategory'],
    ]);
    expect(fw.requirements[1]).toMatchObject({
      title: 'Purpose shared with newcomers',
      statement: 'New team members read the note in their first week.',
    });

    const report = await overlayOfficialText(await readOfficialText(EXAMPLE.json), {
      framework: 'example-practices',
      dir: dir.path,
      dryRun: true,
    });
    expect(report).toMatchObject({ matched: 5, unmatched_in_catalog: [], unmatched_in_file: [] });
  });

  it('imports the XML encoding as the same framework, and never replaces an existing catalog', async () => {
    const fromJson = await copyOfFrameworks(dirs);
    const fromXml = await copyOfFrameworks(dirs);
    const meta = { id: 'example-practices', version: '1' };
    await importOscalAsFramework(EXAMPLE.json, meta, { dir: fromJson.path });
    await importOscalAsFramework(EXAMPLE.xml, meta, { dir: fromXml.path });
    const load = async (dir: TempDir) =>
      (await loadFrameworkDefinitions(dir.path)).frameworks.find((f) => f.id === meta.id)!;
    const [json, xml] = [await load(fromJson), await load(fromXml)];
    expect(xml.groups).toEqual(json.groups);
    expect(xml.requirements).toEqual(json.requirements);
    await expect(importOscalAsFramework(EXAMPLE.xml, meta, { dir: fromXml.path })).rejects.toThrow(
      /already exists: a catalog is never replaced by an import/,
    );
  });
});

describeWithReference('frameworks import of real NIST OSCAL catalogs', () => {
  it('overlays NIST CSF 2.0 statements from the OSCAL XML, changing nothing else', async () => {
    const dir = await copyOfFrameworks(dirs);
    const before = await loadFrameworkDefinitions(dir.path);
    const ucfBefore = await dir.read('ucf/controls.yaml');
    const entries = await readOfficialText(CSF);
    const report = await overlayOfficialText(entries, {
      framework: 'nist-csf',
      version: '2.0',
      dir: dir.path,
    });
    expect(report).toMatchObject({ framework_id: 'nist-csf', matched: 106, unmatched_in_catalog: [] });
    // The file also carries the CSF 1.1 categories and subcategories that 2.0 no longer has.
    expect(report.unmatched_in_file).toEqual(
      expect.arrayContaining(['ID.BE', 'ID.BE-01', 'PR.AC-01', 'PR.IP-12']),
    );
    expect(report.unmatched_in_file.some((id) => /^GV\./.test(id))).toBe(false);
    // The text goes to the git-ignored overlay; the committed catalog stays byte for byte as it was.
    expect(report.written).toBe(join(dir.path, '.overlay/nist-csf/2.0.yaml'));
    expect(await dir.read('nist-csf/2.0.yaml')).toBe(
      await readFile(join(DEFAULT_FRAMEWORKS_DIR, 'nist-csf/2.0.yaml'), 'utf8'),
    );

    const after = await loadFrameworkDefinitions(dir.path);
    const csf = (d: typeof after) => d.frameworks.find((f) => f.id === 'nist-csf')!;
    expect(csf(after).requirements.find((r) => r.id === 'GV.OC-01')!.statement).toBe(
      'The organizational mission is understood and informs cybersecurity risk management',
    );
    expect(csf(after).requirements.every((r) => r.statement)).toBe(true);
    expect(withoutStatements(csf(after))).toEqual(withoutStatements(csf(before)));
    expect(csf(after).groups).toEqual(csf(before).groups);
    expect(after.controls).toEqual(before.controls);
    expect(await dir.read('ucf/controls.yaml')).toBe(ucfBefore);
  });

  it('reports unmatched ids both ways: SP 800-171 r3 text does not fit the r2 catalog, and a dry run writes nothing', async () => {
    const dir = await copyOfFrameworks(dirs);
    const original = await dir.read('nist-800-171/r2.yaml');
    const report = await overlayOfficialText(await readOfficialText(SP171_R3), {
      framework: 'nist-800-171',
      dir: dir.path,
      dryRun: true,
    });
    expect(report.matched).toBe(0);
    expect(report.unmatched_in_catalog).toHaveLength(110);
    expect(report.unmatched_in_file).toEqual(expect.arrayContaining(['03.01.01', '03.17.03']));
    expect(report.withdrawn_in_file).toBe(33);
    expect(report.written).toBeNull();
    expect(await dir.read('nist-800-171/r2.yaml')).toBe(original);
  });

  it('imports the SP 800-53 r5 LOW baseline (JSON) with its family/control/enhancement tree, then overlays onto it', async () => {
    const dir = await copyOfFrameworks(dirs);
    const result = await importOscalAsFramework(
      SP53_LOW,
      { id: 'nist-800-53-low', version: 'rev5' },
      { dir: dir.path },
    );
    expect(result).toEqual({
      written: join(dir.path, 'nist-800-53-low/rev5.yaml'),
      groups: 18,
      requirements: 149,
    });
    const fw = (await loadFrameworkDefinitions(dir.path)).frameworks.find((f) => f.id === 'nist-800-53-low')!;
    expect(fw.text_policy).toBe('official_text');
    const ia2 = fw.requirements.find((r) => r.id === 'IA-2')!;
    expect(ia2).toMatchObject({
      title: 'Identification and Authentication (Organizational Users)',
      parent: 'ia',
    });
    expect(fw.requirements.find((r) => r.id === 'IA-2(1)')).toMatchObject({ parent: 'IA-2' });
    expect(fw.requirements.find((r) => r.id === 'AC-2')!.statement).toMatch(
      /^a\. Define and document the types of accounts/,
    );

    const report = await overlayOfficialText(await readOfficialText(SP53_LOW), {
      framework: 'nist-800-53-low',
      dir: dir.path,
      dryRun: true,
    });
    expect(report).toMatchObject({ matched: 149, unmatched_in_catalog: [], unmatched_in_file: [] });
  });

  it('imports SP 800-171 r3 (XML) without its withdrawn requirements, and never replaces an existing catalog', async () => {
    const dir = await copyOfFrameworks(dirs);
    const result = await importOscalAsFramework(
      SP171_R3,
      { id: 'nist-800-171', version: 'r3' },
      { dir: dir.path },
    );
    const fw = (await loadFrameworkDefinitions(dir.path)).frameworks.find((f) => f.version === 'r3')!;
    expect(result.groups).toBe(17);
    expect(fw.requirements.filter((r) => r.kind === 'requirement')).toHaveLength(97);
    expect(fw.requirements.some((r) => r.id === '03.01.13')).toBe(false); // withdrawn in r3
    await expect(
      importOscalAsFramework(SP171_R3, { id: 'nist-800-171', version: 'r3' }, { dir: dir.path }),
    ).rejects.toThrow(/already exists: a catalog is never replaced by an import/);
  });
});
