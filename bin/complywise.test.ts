import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUNDLE_FILES, CHECKED_BUNDLE_DIR, compileBundle } from '../engine/compile/build.ts';
import { DEFAULT_RULES_DIR } from '../engine/paths.ts';
import { copyOfSomeRules, tempDir, type TempDir } from '../engine/testing.ts';
import { adoptCheckedRuleBuild, ruleBuildIn } from '../test/rule-build.ts';
import { EXIT, main } from './complywise.ts';

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

describe('complywise rules', () => {
  it('build --check passes on an up-to-date bundle and names the stale files otherwise', async () => {
    // On a bundle of two rules built here: what the check compares and names does not depend on how many
    // rules the bundle holds. That the committed rules/dist is what the repository's rules build to is checked
    // on the run's one whole-tree build (engine/compile/build.test.ts) and by scripts/test.sh, which runs
    // `rules build --check` before the tests.
    const small = await copyOfSomeRules(['aws/s3/bucket-default-encryption', 'aws/s3/bucket-not-public']);
    dirs.push(small);
    const bundle = join(small.path, 'dist');
    expect((await run('rules', 'build', '--rules-dir', small.rules, '--out', bundle)).code).toBe(EXIT.OK);
    const kept = join(small.path, 'checked');
    const ok = await run(
      'rules',
      'build',
      '--check',
      '--rules-dir',
      small.rules,
      '--out',
      bundle,
      '--build-dir',
      kept,
    );
    expect(ok).toMatchObject({ code: EXIT.OK, stderr: '' });
    expect(ok.stdout).toMatch(/is up to date \(revision [0-9a-f]{64}\)/);
    // --build-dir keeps the check's Rego and the bundle it built, which a test run adopts as its shared build
    // (scripts/test.sh): read back through the run folder, it is the bundle and catalog the check built.
    for (const name of BUNDLE_FILES) {
      expect(
        (await readFile(join(kept, CHECKED_BUNDLE_DIR, name))).equals(await readFile(join(bundle, name))),
        name,
      ).toBe(true);
    }
    const runFolder = join(small.path, 'run');
    await mkdir(runFolder);
    await adoptCheckedRuleBuild(runFolder, kept);
    const adopted = await ruleBuildIn(runFolder);
    expect(adopted.output.revision).toBe(/revision ([0-9a-f]{64})/.exec(ok.stdout)![1]);
    expect(adopted.output.catalog).toEqual(JSON.parse(await readFile(join(bundle, 'catalog.json'), 'utf8')));
    expect(existsSync(join(adopted.buildDir, 'src'))).toBe(true);
    for (const name of BUNDLE_FILES)
      expect(adopted.output.files[name].equals(await readFile(join(bundle, name))), name).toBe(true);

    // Stale: one catalog entry changed.
    const catalog = join(bundle, 'catalog.json');
    const text = await readFile(catalog, 'utf8');
    expect(text).toContain('"severity": "high"');
    await writeFile(catalog, text.replace('"severity": "high"', '"severity": "low"'));
    // The real process, as CI runs it: exit code 2 and only catalog.json named.
    const child = spawnSync(
      process.execPath,
      ['bin/complywise.ts', 'rules', 'build', '--check', '--rules-dir', small.rules, '--out', bundle],
      { encoding: 'utf8' },
    );
    expect(child.status).toBe(EXIT.STALE);
    expect(child.stderr).toMatch(/is stale: catalog\.json differs from a fresh build/);
  }, 120_000);

  it('build writes the bundle to --out and reports invalid rules as file:line with exit code 1', async () => {
    // Two rules are enough to see what the command writes (the whole tree's build: build.test.ts).
    const copy = await tempDir();
    dirs.push(copy);
    const rules = join(copy.path, 'rules');
    for (const folder of ['aws/s3/bucket-default-encryption', 'aws/s3/bucket-not-public']) {
      await cp(join(DEFAULT_RULES_DIR, folder), join(rules, folder), { recursive: true });
    }
    const out = join(copy.path, 'dist');
    const built = await run('rules', 'build', '--rules-dir', rules, '--out', out);
    expect(built.code).toBe(EXIT.OK);
    expect(built.stdout).toMatch(
      /^built 2 rules into .*dist \(revision [0-9a-f]{64}, OPA \d+\.\d+\.\d+\)\n$/,
    );
    const expected = await compileBundle({ rulesDir: rules, buildDir: join(copy.path, 'build') });
    for (const name of BUNDLE_FILES) {
      expect((await readFile(join(out, name))).equals(expected.files[name]), name).toBe(true);
    }

    const rule = 'rules/aws/s3/bucket-default-encryption/rule.yaml';
    await copy.write(rule, (await copy.read(rule)).replace('severity: high', 'severity: [high'));
    const broken = await run('rules', 'build', '--rules-dir', rules, '--out', out);
    expect(broken.code).toBe(EXIT.INVALID);
    expect(broken.stderr).toMatch(
      /bucket-default-encryption\/rule\.yaml:\d+: YAML syntax: .*\n1 problem found\n$/,
    );
  });

  it('explain prints the Rego a DSL rule compiles to, and rejects unknown ids', async () => {
    const explained = await run('rules', 'explain', 'CW-AWS-S3-001');
    expect(explained.code).toBe(EXIT.OK);
    expect(explained.stdout).toContain('package complywise.rules.cw_aws_s3_001');
    expect(explained.stdout).toContain('assert_holds(s) if {\n\tv := assert_value(s)\n\tv == true\n}');
    // The attribute path compiles to a direct reference (engine/compile/generate.ts).
    expect(explained.stdout).toContain('assert_value(s) := v if v := s.encryption.enabled');
    expect(explained.stdout).toContain('package complywise.decide.cw_aws_s3_001');
    const unknown = await run('rules', 'explain', 'CW-NOPE-001');
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toMatch(
      /^error UNKNOWN_RULE: no rule CW-NOPE-001; known rules: .*CW-AWS-S3-001, CW-AWS-S3-002/,
    );
    expect((await run('rules', 'frobnicate')).code).toBe(EXIT.USAGE);
  });
});
