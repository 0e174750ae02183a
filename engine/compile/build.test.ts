import { readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, formatProblem, SourceError, type SourceProblem } from '../errors.ts';
import { DEFAULT_BUNDLE_DIR } from '../paths.ts';
import { sharedRuleBuild } from '../../test/rule-build.ts';
import { copyOfSomeRules, type TempDir } from '../testing.ts';
import { BUNDLE_FILES, compileBundle } from './build.ts';

const ENCRYPTION = 'aws/s3/bucket-default-encryption';
const PUBLIC = 'aws/s3/bucket-not-public';

const cleanup: TempDir[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((d) => d.remove()));
});

/**
 * A scratch rules folder with the two rules the tests change or break (one DSL, one Rego): every build but the
 * repository's own runs over it, since what those tests check does not depend on the other rules.
 */
async function rulesCopy() {
  const copy = await copyOfSomeRules([ENCRYPTION, PUBLIC]);
  cleanup.push(copy);
  return copy;
}

/** Builds `rulesDir` and returns the problems it reports (fails the test if the build succeeds). */
async function buildProblems(copy: { rules: string; path: string }): Promise<SourceProblem[]> {
  const error = await compileBundle({ rulesDir: copy.rules, buildDir: join(copy.path, 'build') }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return (error as SourceError).problems;
}

describe('rules build', () => {
  it('is reproducible byte for byte, and the committed rules/dist is what the sources build to', async () => {
    // The run's one build of the repository's rules (test/rule-build.ts) in a scratch folder, compared byte
    // for byte with the bundle committed from an earlier build elsewhere. (`rules build --check`, which wraps
    // the same comparison, runs in scripts/test.sh before the tests; bin/complywise.test.ts checks the
    // command itself on two rules.)
    const first = (await sharedRuleBuild()).output;
    for (const name of BUNDLE_FILES) {
      expect(
        (await readFile(join(DEFAULT_BUNDLE_DIR, name))).equals(first.files[name]),
        `committed ${name}`,
      ).toBe(true);
    }
    expect(JSON.parse(first.files['.manifest'].toString()).revision).toBe(first.revision);
    const kinds = Object.fromEntries(first.catalog.rules.map((r) => [r.id, r.kind]));
    expect(kinds).toMatchObject({ 'CW-AWS-S3-001': 'dsl', 'CW-AWS-S3-002': 'rego' });
    // The starter set: at least 25 rules beyond the first two, about half of them in the DSL.
    const counts = Object.values(kinds).reduce<Record<string, number>>(
      (n, k) => ({ ...n, [k]: (n[k] ?? 0) + 1 }),
      {},
    );
    expect(first.catalog.rules.length).toBeGreaterThanOrEqual(27);
    expect(counts.dsl! / first.catalog.rules.length).toBeGreaterThan(0.4);
    expect(first.catalog.types['aws.s3.bucket']?.entrypoint).toBe(
      'complywise/statuses/aws_s3_bucket/by_rule',
    );
    // The run's one build of the whole tree, unless another file started it: about 45 s at 335 rules on an
    // idle 2-core machine, minutes when the machine is shared.
  }, 300_000);

  it('changes the revision and the rule hash when a rule changes, even in metadata only', async () => {
    const copy = await rulesCopy();
    const before = await compileBundle({ rulesDir: copy.rules, buildDir: join(copy.path, 'build-before') });
    const file = join(copy.rules, ENCRYPTION, 'rule.yaml');
    await copy.write(
      'rules/' + ENCRYPTION + '/rule.yaml',
      (await readFile(file, 'utf8')).replace('severity: high', 'severity: medium'),
    );
    const after = await compileBundle({ rulesDir: copy.rules, buildDir: join(copy.path, 'build') });
    expect(after.revision).not.toBe(before.revision);
    const hash = (out: typeof before, id: string) => out.catalog.rules.find((r) => r.id === id)?.hash;
    expect(hash(after, 'CW-AWS-S3-001')).not.toBe(hash(before, 'CW-AWS-S3-001'));
    expect(hash(after, 'CW-AWS-S3-002')).toBe(hash(before, 'CW-AWS-S3-002'));
  });

  it('writes the packs into the catalog, and a pack change is a new revision; a bad pack fails the build', async () => {
    const copy = await rulesCopy();
    const pack = (version: string, rules: string[]) =>
      [
        'id: s3-pack',
        `version: ${version}`,
        'title: S3 pack',
        'description: Two S3 rules.',
        'reference_source: A benchmark 1.0',
        'rules:',
        ...rules.map((id) => `  - { id: ${id}, references: ['2.1'] }`),
        '',
      ].join('\n');
    await copy.write('rules/packs/s3-pack.yaml', pack('1.0.0', ['CW-AWS-S3-001', 'CW-AWS-S3-002']));
    const before = await compileBundle({ rulesDir: copy.rules, buildDir: join(copy.path, 'build-before') });
    expect(before.catalog.packs).toEqual([
      expect.objectContaining({
        id: 's3-pack',
        version: '1.0.0',
        source: 'packs/s3-pack.yaml',
        rules: [
          { id: 'CW-AWS-S3-001', references: ['2.1'] },
          { id: 'CW-AWS-S3-002', references: ['2.1'] },
        ],
      }),
    ]);
    await copy.write('rules/packs/s3-pack.yaml', pack('1.1.0', ['CW-AWS-S3-001']));
    const after = await compileBundle({ rulesDir: copy.rules, buildDir: join(copy.path, 'build') });
    expect(after.revision).not.toBe(before.revision);
    expect(after.catalog.packs[0]).toMatchObject({ version: '1.1.0', rules: [{ id: 'CW-AWS-S3-001' }] });

    const file = await copy.write('rules/packs/s3-pack.yaml', pack('1.2.0', ['CW-AWS-S3-003']));
    expect((await buildProblems(copy)).map(formatProblem)).toEqual([
      `${file}:7: field rules[0].id: no rule CW-AWS-S3-003 under rules/ (did you mean CW-AWS-S3-001?)`,
    ]);
  });

  it('reports malformed YAML as file:line', async () => {
    const copy = await rulesCopy();
    const file = await copy.write(
      `rules/${ENCRYPTION}/rule.yaml`,
      ['id: CW-AWS-S3-001', 'version: 1.0.0', 'title: [unclosed', 'severity: high', ''].join('\n'),
    );
    const problems = await buildProblems(copy);
    expect(problems[0]).toMatchObject({ code: ERROR_CODES.YAML_SYNTAX, file });
    expect(problems[0]!.line).toBeGreaterThanOrEqual(3);
    expect(formatProblem(problems[0]!)).toMatch(/rule\.yaml:\d+: YAML syntax: /);
  });

  it('reports schema errors at the line of the field, naming it', async () => {
    const copy = await rulesCopy();
    const path = `rules/${ENCRYPTION}/rule.yaml`;
    const lines = (await copy.read(path)).split('\n');
    const severity = lines.findIndex((l) => l.startsWith('severity:'));
    lines[severity] = 'severity: urgent';
    lines.splice(severity + 1, 0, 'owner: platform-team');
    const file = await copy.write(path, lines.join('\n'));
    const problems = await buildProblems(copy);
    expect(problems).toEqual([
      expect.objectContaining({
        file,
        line: severity + 1,
        message: expect.stringMatching(/^field severity: must be one of: "critical", "high"/),
      }),
      expect.objectContaining({ file, line: severity + 2, message: 'field owner: is not a known field' }),
    ]);
  });

  it('rejects an unknown DSL operator at its line', async () => {
    const copy = await rulesCopy();
    const path = `rules/${ENCRYPTION}/rule.yaml`;
    const text = (await copy.read(path)).replace('    equals: true', '    equals_ignoring_case: true');
    const file = await copy.write(path, text);
    const line = text.split('\n').findIndex((l) => l.includes('equals_ignoring_case')) + 1;
    const problems = await buildProblems(copy);
    expect(problems).toEqual([
      {
        code: ERROR_CODES.DSL_UNKNOWN_OPERATOR,
        file,
        line,
        message: expect.stringContaining(
          "unknown operator 'equals_ignoring_case' for attribute encryption.enabled",
        ),
      },
    ]);
  });

  it('fails a rule calling a builtin the wasm target lacks, naming the builtin and line', async () => {
    const copy = await rulesCopy();
    const path = `rules/${PUBLIC}/policy.rego`;
    const text = (await copy.read(path)).replace(
      'compliant(r) if {\n',
      'compliant(r) if {\n\ttime.now_ns() > 0\n',
    );
    const file = await copy.write(path, text);
    const line = text.split('\n').indexOf('\ttime.now_ns() > 0') + 1;
    const problems = await buildProblems(copy);
    expect(problems).toEqual([
      {
        code: ERROR_CODES.REGO_BUILTIN_UNAVAILABLE,
        file,
        line,
        message: expect.stringContaining('builtin time.now_ns is not available to rules'),
      },
    ]);
  });

  it('fails when a fixture does not get the status its folder promises', async () => {
    const copy = await rulesCopy();
    const from = join(copy.rules, PUBLIC, 'fixtures/good/fully-blocked.json');
    const to = join(copy.rules, PUBLIC, 'fixtures/bad/fully-blocked.json');
    await rename(from, to);
    const problems = await buildProblems(copy);
    expect(problems).toEqual([
      {
        code: ERROR_CODES.REGO_TEST_FAILED,
        file: to,
        line: 1,
        message: 'CW-AWS-S3-002 should decide fail for this fixture, but decides pass',
      },
    ]);
  });

  it('rejects hand-written Rego that opa fmt would change, at the first differing line', async () => {
    const copy = await rulesCopy();
    const path = `rules/${PUBLIC}/policy.rego`;
    const text = (await copy.read(path)).replace('\t\tpab[setting] == true', '    pab[setting]==true');
    const file = await copy.write(path, text);
    const line = text.split('\n').indexOf('    pab[setting]==true') + 1;
    expect(line).toBeGreaterThan(1);
    expect(await buildProblems(copy)).toEqual([
      expect.objectContaining({ code: ERROR_CODES.REGO_FORMAT, file, line }),
    ]);
  });

  it('checks the Rego contract: package name and a compliant(r) predicate', async () => {
    const copy = await rulesCopy();
    const path = `rules/${PUBLIC}/policy.rego`;
    const text = (await copy.read(path))
      .replace('package complywise.rules.cw_aws_s3_002', 'package complywise.rules.bucket_not_public')
      .replace(/^compliant\(r\)/m, 'is_compliant(r)');
    const file = await copy.write(path, text);
    const problems = await buildProblems(copy);
    expect(problems.map((p) => [p.code, p.file, p.line, p.message.split(' (')[0]])).toEqual([
      [ERROR_CODES.REGO_CONTRACT, file, 2, 'package must be complywise.rules.cw_aws_s3_002'],
      [
        ERROR_CODES.REGO_CONTRACT,
        file,
        2,
        'the rule must define compliant(r): true when the resource passes',
      ],
    ]);
  });

  it('rejects unknown UCF controls, invalid fixtures and missing fixture folders, each at its line', async () => {
    const copy = await rulesCopy();
    const rulePath = `rules/${ENCRYPTION}/rule.yaml`;
    const ruleText = (await copy.read(rulePath)).replace(
      'ucf_controls: [UCF-DP-01]',
      'ucf_controls: [UCF-DP-01, UCF-XX-99]',
    );
    const ruleFile = await copy.write(rulePath, ruleText);
    const fixturePath = `rules/${PUBLIC}/fixtures/bad/partial-block.json`;
    const fixtureText = (await copy.read(fixturePath)).replace(
      '"restrict_public_buckets": false',
      '"restrict_public_buckets": "no"',
    );
    const fixtureFile = await copy.write(fixturePath, fixtureText);
    await rm(join(copy.rules, ENCRYPTION, 'fixtures/bad'), { recursive: true });
    const problems = await buildProblems(copy);
    const lineOf = (text: string, needle: string) =>
      text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toEqual([
      expect.objectContaining({ code: ERROR_CODES.RULE_LAYOUT, file: ruleFile, line: 1 }),
      {
        code: ERROR_CODES.UNKNOWN_REFERENCE,
        file: ruleFile,
        line: lineOf(ruleText, 'ucf_controls'),
        message: 'field ucf_controls[1]: no UCF control UCF-XX-99 in frameworks/ucf/controls.yaml',
      },
      {
        code: ERROR_CODES.FIXTURE_INVALID,
        file: fixtureFile,
        line: lineOf(fixtureText, 'restrict_public_buckets'),
        message: 'field attributes.public_access_block.restrict_public_buckets: must be boolean',
      },
    ]);
  });
});
