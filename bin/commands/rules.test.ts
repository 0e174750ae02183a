/**
 * `complywise rules lint | test | inspect | history | diff | new` through main(), against real OPA and real git;
 * SARIF output checked for the structure of our own SARIF sample (testdata/rules.sarif.json) always, and
 * validated against the official SARIF 2.1.0 schema in the reference tier.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadRuleSources } from '../../engine/compile/rule-sources.ts';
import { copyOfSomeRules, type TempDir } from '../../engine/testing.ts';
import { sharedRuleBuild } from '../../test/rule-build.ts';
import { EXIT, main } from '../complywise.ts';
import { describeWithReference, referencePath } from '../../test/reference.ts';

const SARIF_SCHEMA = referencePath('sarif', 'sarif-schema-2.1.0.json');
/** Our own SARIF 2.1.0 log with every property our logs use (valid against the official schema: see below). */
const SARIF_SAMPLE = new URL('./testdata/rules.sarif.json', import.meta.url);
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The official schema is draft-04 (no exclusiveMinimum/Maximum used): `id` becomes `$id` for Ajv's draft-07. */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SARIF_SCHEMA, 'utf8')) as Record<string, unknown>;
  const { id, $schema: _draft, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile({ ...rest, $id: String(id) });
}

/** Every property path of a JSON value, array positions folded into `[]`. */
function pathsOf(value: unknown, at = '$', out = new Set<string>()): Set<string> {
  out.add(at);
  if (Array.isArray(value)) for (const v of value) pathsOf(v, `${at}[]`, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value))
      pathsOf(v, at.endsWith('originalUriBaseIds') ? `${at}.*` : `${at}.${k}`, out);
  return out;
}

type SarifResult = {
  ruleId: string;
  ruleIndex: number;
  kind?: string;
  level: string;
  message: { text: string };
  locations: {
    physicalLocation: { artifactLocation: { uriBaseId: string }; region: { startLine: number } };
  }[];
};
type SarifRun = {
  tool: { driver: { rules: { id: string }[] } };
  originalUriBaseIds: Record<string, unknown>;
  results: SarifResult[];
};

/**
 * What SARIF asks of a log, checked without the official schema: only the properties of our sample (so the
 * schema check of the sample covers them), the version, and results that point at their rule by id and index,
 * use SARIF's levels and kinds, a message, and a location on a base id the run declares.
 */
function sarifStructureProblems(log: { $schema?: unknown; version?: unknown; runs?: SarifRun[] }): string[] {
  const known = pathsOf(JSON.parse(readFileSync(SARIF_SAMPLE, 'utf8')));
  const problems = [...pathsOf(log)].filter((p) => !known.has(p)).map((p) => `${p} is not in the sample`);
  if (log.version !== '2.1.0' || typeof log.$schema !== 'string') problems.push('not a SARIF 2.1.0 log');
  for (const r of log.runs ?? [])
    for (const result of r.results) {
      const where = `${result.ruleId}: ${result.message?.text}`;
      if (r.tool.driver.rules[result.ruleIndex]?.id !== result.ruleId) problems.push(`${where}: ruleIndex`);
      if (!['none', 'note', 'warning', 'error'].includes(result.level)) problems.push(`${where}: level`);
      if (
        result.kind !== undefined &&
        !['pass', 'fail', 'open', 'review', 'notApplicable', 'informational'].includes(result.kind)
      )
        problems.push(`${where}: kind`);
      if (!result.message?.text) problems.push(`${where}: no message`);
      for (const l of result.locations) {
        if (!(l.physicalLocation.artifactLocation.uriBaseId in r.originalUriBaseIds))
          problems.push(`${where}: uriBaseId`);
        if (!(l.physicalLocation.region.startLine >= 1)) problems.push(`${where}: startLine`);
      }
    }
  return problems;
}

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/** A rule of each provider, DSL and Rego, and one with hand-written Rego tests (CW-AWS-IAM-003). */
const PASSING_RULE_FOLDERS = [
  'aws/ec2/no-admin-ports-from-internet',
  'aws/iam/password-policy',
  'azure/aks/auto-upgrade',
  'github/app/selected-repositories',
  'okta/api-token/rotated',
];

/** The rules the broken-rule tests break (RDS-002's fixture, KMS-001's check), and a Rego rule beside them. */
const BROKEN_RULE_FOLDERS = ['aws/rds/not-public', 'aws/kms/key-rotation', 'aws/rds/backup-retention'];

let copy: TempDir & { rules: string };
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: copy.path,
    encoding: 'utf8',
  });

beforeAll(async () => {
  // The rule whose history and diff the git tests write; inspecting it needs no other rule.
  copy = await copyOfSomeRules(['aws/rds/not-public']);
});
afterAll(async () => {
  await copy.remove();
});

describe('SARIF output', () => {
  it("rules test: every test passes, exit 0, SARIF with one pass result per test; so do the repository's", async () => {
    // Every test of the repository's rules, fixtures and hand-written: the run's one whole-tree build
    // (test/rule-build.ts) runs them all, as `rules test` does, and fails if any of them fails.
    const { output } = await sharedRuleBuild();
    expect(output.catalog.rules.length).toBeGreaterThan(100);
    // The command's own output on a few rules: what it reports for a test does not depend on the rules beside it.
    const small = await copyOfSomeRules(PASSING_RULE_FOLDERS);
    onTestFinished(() => small.remove());
    const r = await run('rules', 'test', '--rules-dir', small.rules, '--format', 'sarif');
    expect(r.code).toBe(EXIT.OK);
    const log = JSON.parse(r.stdout);
    expect(sarifStructureProblems(log)).toEqual([]);
    const results = log.runs[0].results as { kind: string; ruleId: string }[];
    expect(new Set(results.map((x) => x.kind))).toEqual(new Set(['pass']));
    // One result per fixture, and per test of the hand-written policy_test.rego.
    const expected = new Map<string, number>();
    for (const rule of await loadRuleSources(small.rules, null)) {
      const handWritten = rule.tests.reduce((n, t) => n + (t.text.match(/^test_\w+ if\b/gm)?.length ?? 0), 0);
      expected.set(rule.id, rule.fixtures.length + handWritten);
    }
    expect(expected.get('CW-AWS-IAM-003')).toBeGreaterThan(5);
    const counted = new Map<string, number>();
    for (const x of results) counted.set(x.ruleId, (counted.get(x.ruleId) ?? 0) + 1);
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));
    expect(results.map((x) => x.ruleId)).toContain('CW-AWS-EC2-001');
    // The run's whole-tree build, unless another file started it: about 45 s at 335 rules on an idle 2-core
    // machine, minutes when the machine is shared.
  }, 300_000);

  it('rules test and lint on broken rules: exit 1, the failure at the fixture, SARIF', async () => {
    // A fixture in the wrong folder, and a DSL typo in another rule.
    const small = await copyOfSomeRules(BROKEN_RULE_FOLDERS);
    onTestFinished(() => small.remove());
    const good = 'aws/rds/not-public/fixtures/good/private.json';
    const text = await small.read(`rules/${good}`);
    await small.write(`rules/aws/rds/not-public/fixtures/bad/private.json`, text);
    const test = await run('rules', 'test', '--rules-dir', small.rules, '--format', 'sarif');
    expect(test.code).toBe(EXIT.INVALID);
    const log = JSON.parse(test.stdout);
    expect(sarifStructureProblems(log)).toEqual([]);
    const failed = (
      log.runs[0].results as { kind: string; message: { text: string }; locations: unknown[] }[]
    ).filter((x) => x.kind === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.message.text).toBe(
      'CW-AWS-RDS-002 should decide fail for this fixture, but decides pass',
    );
    expect(JSON.stringify(failed[0]!.locations)).toContain(
      'rules/aws/rds/not-public/fixtures/bad/private.json',
    );

    const json = await run(
      'rules',
      'test',
      '--rules-dir',
      small.rules,
      '--format',
      'json',
      '--rule',
      'CW-AWS-RDS-002',
    );
    expect(json.code).toBe(EXIT.INVALID);
    expect(
      JSON.parse(json.stdout)
        .tests.map((t: { passed: boolean }) => t.passed)
        .sort(),
    ).toEqual([false, true, true]);

    const yaml = await small.read('rules/aws/kms/key-rotation/rule.yaml');
    await small.write(
      'rules/aws/kms/key-rotation/rule.yaml',
      yaml.replace('equals: CUSTOMER', 'equal: CUSTOMER'),
    );
    const lint = await run('rules', 'lint', '--rules-dir', small.rules, '--format', 'sarif');
    expect(lint.code).toBe(EXIT.INVALID);
    const lintLog = JSON.parse(lint.stdout);
    expect(sarifStructureProblems(lintLog)).toEqual([]);
    expect(lintLog.runs[0].results).toEqual([
      expect.objectContaining({
        ruleId: 'DSL_UNKNOWN_OPERATOR',
        level: 'error',
        locations: [
          {
            physicalLocation: {
              artifactLocation: {
                uri: expect.stringMatching(/aws\/kms\/key-rotation\/rule\.yaml$/),
                uriBaseId: 'REPO_ROOT',
              },
              region: { startLine: yaml.split('\n').findIndex((l) => l.includes('equals: CUSTOMER')) + 1 },
            },
          },
        ],
      }),
    ]);
    const text2 = await run('rules', 'lint', '--rules-dir', small.rules);
    expect(text2.code).toBe(EXIT.INVALID);
    expect(text2.stderr).toMatch(
      /key-rotation\/rule\.yaml:\d+: check\.when\.all_of\[0\]: unknown operator 'equal'/,
    );
    await small.write('rules/aws/kms/key-rotation/rule.yaml', yaml);
    await small.write(`rules/aws/rds/not-public/fixtures/bad/private.json`, '');
    execFileSync('rm', [join(small.rules, 'aws/rds/not-public/fixtures/bad/private.json')]);
    expect((await run('rules', 'lint', '--rules-dir', small.rules, '--format', 'json')).code).toBe(EXIT.OK);
  }, 150_000); // two `rules test` runs and three lints (a lint with problems still runs opa check)
});

describeWithReference('SARIF output against the official SARIF 2.1.0 schema', () => {
  it('accepts our SARIF sample, so the structure the tests above compare against is real SARIF', () => {
    const validate = sarifValidator();
    expect(validate(JSON.parse(readFileSync(SARIF_SAMPLE, 'utf8'))), JSON.stringify(validate.errors)).toBe(
      true,
    );
    expect(validate({ version: '2.1.0', runs: [{ results: [] }] })).toBe(false); // a run needs its tool
  });

  it('validates the logs of rules test and rules lint, passing and failing', async () => {
    const validate = sarifValidator();
    const small = await copyOfSomeRules(BROKEN_RULE_FOLDERS);
    onTestFinished(() => small.remove());
    const passing = await run(
      'rules',
      'test',
      '--rules-dir',
      small.rules,
      '--rule',
      'CW-AWS-RDS-002',
      '--format',
      'sarif',
    );
    expect(passing.code).toBe(EXIT.OK);
    // A fixture in the wrong folder, and a DSL typo in another rule.
    const misplaced = 'rules/aws/rds/not-public/fixtures/bad/private.json';
    const rule = 'rules/aws/kms/key-rotation/rule.yaml';
    const yaml = await small.read(rule);
    await small.write(misplaced, await small.read('rules/aws/rds/not-public/fixtures/good/private.json'));
    await small.write(rule, yaml.replace('equals: CUSTOMER', 'equal: CUSTOMER'));
    const failing = await run(
      'rules',
      'test',
      '--rules-dir',
      small.rules,
      '--rule',
      'CW-AWS-RDS-002',
      '--format',
      'sarif',
    );
    const lint = await run('rules', 'lint', '--rules-dir', small.rules, '--format', 'sarif');
    expect([failing.code, lint.code]).toEqual([EXIT.INVALID, EXIT.INVALID]);
    for (const out of [passing, failing, lint]) {
      const log = JSON.parse(out.stdout);
      expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
      expect(log.runs[0].results.length).toBeGreaterThan(0);
    }
  });
});

describe('rules inspect, history, diff, new', () => {
  it('inspect shows metadata, hash and parameter defaults; an unknown id is a usage error', async () => {
    const r = await run('rules', 'inspect', 'CW-AWS-IAM-005', '--format', 'json');
    expect(r.code).toBe(EXIT.OK);
    const rule = JSON.parse(r.stdout);
    expect(rule).toMatchObject({
      id: 'CW-AWS-IAM-005',
      kind: 'dsl',
      parameter_defaults: { max_key_age_days: 90 },
    });
    expect(rule.hash).toMatch(/^[0-9a-f]{64}$/);
    const unknown = await run('rules', 'inspect', 'CW-NOPE-001');
    expect(unknown.code).toBe(EXIT.USAGE);
    expect(unknown.stderr).toMatch(/^error UNKNOWN_RULE: no rule CW-NOPE-001; known rules: /);
    expect((await run('rules', 'inspect', 'CW-AWS-IAM-005', '--format', 'xml')).code).toBe(EXIT.USAGE);
  });

  it('history lists each committed version with its content hash, and diff compares versions', async () => {
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    const file = 'rules/aws/rds/not-public/rule.yaml';
    const before = await copy.read(file);
    await copy.write(
      file,
      before.replace('version: 1.0.0', 'version: 1.1.0').replace('severity: critical', 'severity: high'),
    );
    git('commit', '-q', '-am', 'lower severity');
    const history = await run(
      'rules',
      'history',
      'CW-AWS-RDS-002',
      '--rules-dir',
      copy.rules,
      '--format',
      'json',
    );
    expect(history.code).toBe(EXIT.OK);
    const versions = JSON.parse(history.stdout) as { version: string; hash: string; subject: string }[];
    expect(versions.map((v) => [v.version, v.subject])).toEqual([
      ['1.1.0', 'lower severity'],
      ['1.0.0', 'first'],
    ]);
    const inspect = JSON.parse(
      (await run('rules', 'inspect', 'CW-AWS-RDS-002', '--rules-dir', copy.rules, '--format', 'json')).stdout,
    );
    expect(versions[0]!.hash).toBe(inspect.hash);
    expect(versions[1]!.hash).not.toBe(inspect.hash);

    const diff = await run('rules', 'diff', 'CW-AWS-RDS-002', '1.0.0', '1.1.0', '--rules-dir', copy.rules);
    expect(diff.code).toBe(EXIT.OK);
    expect(diff.stdout).toContain('-version: 1.0.0\n+version: 1.1.0');
    expect(diff.stdout).toContain('-severity: critical\n+severity: high');
    const missing = await run('rules', 'diff', 'CW-AWS-RDS-002', '0.9.0', '--rules-dir', copy.rules);
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain('the rule never had version 0.9.0 (versions: 1.1.0, 1.0.0)');
  });

  it('new scaffolds a package that lints, and refuses to overwrite or reuse an id', async () => {
    // The S3 rule is there for the id the scaffold may not reuse.
    const small = await copyOfSomeRules(['aws/s3/bucket-default-encryption', 'aws/rds/not-public']);
    onTestFinished(() => small.remove());
    const created = await run(
      'rules',
      'new',
      'aws/s3/bucket-tagged',
      '--id',
      'CW-AWS-S3-090',
      '--type',
      'aws.s3.bucket',
      '--rules-dir',
      small.rules,
    );
    expect(created.code).toBe(EXIT.OK);
    expect(await small.read('rules/aws/s3/bucket-tagged/rule.yaml')).toContain('id: CW-AWS-S3-090');
    expect(existsSync(join(small.rules, 'aws/s3/bucket-tagged/fixtures/bad/non-compliant.json'))).toBe(true);
    const again = await run(
      'rules',
      'new',
      'aws/s3/bucket-tagged',
      '--id',
      'CW-AWS-S3-091',
      '--type',
      'aws.s3.bucket',
      '--rules-dir',
      small.rules,
    );
    expect(again.code).toBe(EXIT.USAGE);
    const reused = await run(
      'rules',
      'new',
      'aws/s3/other',
      '--id',
      'CW-AWS-S3-001',
      '--type',
      'aws.s3.bucket',
      '--rules-dir',
      small.rules,
    );
    expect(reused).toMatchObject({
      code: EXIT.USAGE,
      stderr: 'error: rule id CW-AWS-S3-001 is already used\n',
    });
    // The scaffold is a valid package: its placeholder check reads a real attribute, filled in its fixtures.
    const test = await run(
      'rules',
      'test',
      '--rules-dir',
      small.rules,
      '--rule',
      'CW-AWS-S3-090',
      '--format',
      'json',
    );
    expect(test.code).toBe(EXIT.OK);
    expect(JSON.parse(test.stdout).tests.map((t: { actual: string }) => t.actual)).toEqual(['fail', 'pass']);
  });
});

describe('rules lint: mistakes a rule author makes, all reported at once', () => {
  /** A rules folder holding two RDS rules, one DSL and one Rego, to break on purpose. */
  const smallRules = () => copyOfSomeRules(['aws/rds/not-public', 'aws/rds/backup-retention']);
  const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

  it('refuses a misspelt attribute with a suggestion, an operator that does not fit, and a misspelt Rego read', async () => {
    const dir = await smallRules();
    try {
      const dsl = 'aws/rds/not-public/rule.yaml';
      const yaml = (await dir.read(`rules/${dsl}`)).replace(
        '    attribute: publicly_accessible\n    equals: false',
        '    all_of:\n      - attribute: deletion_protectoin\n        equals: true\n      - attribute: engine\n        gt: 3',
      );
      const yamlFile = await dir.write(`rules/${dsl}`, yaml);
      const rego = 'aws/rds/backup-retention/policy.rego';
      const policy = (await dir.read(`rules/${rego}`)).replace(
        'r.attributes.deletion_protection == false',
        'r.attributes.deletion_protecton == false',
      );
      const regoFile = await dir.write(`rules/${rego}`, policy);

      const text = await run('rules', 'lint', '--rules-dir', dir.rules);
      expect(text.code).toBe(EXIT.INVALID);
      expect(text.stderr.split('\n').filter((l) => l.includes(': attribute '))).toEqual([
        `${regoFile}:${lineOf(policy, 'deletion_protecton')}: attribute deletion_protecton: aws.rds.db_instance has no attribute deletion_protecton (did you mean deletion_protection?)`,
        `${yamlFile}:${lineOf(yaml, 'deletion_protectoin')}: attribute deletion_protectoin: aws.rds.db_instance has no attribute deletion_protectoin (did you mean deletion_protection?)`,
        `${yamlFile}:${lineOf(yaml, 'attribute: engine')}: attribute engine: gt needs a number, but in aws.rds.db_instance it is a string`,
      ]);
      expect(text.stderr).toMatch(/\n3 problems found\n$/);
    } finally {
      await dir.remove();
    }
  });

  it('reports a schema error and a DSL error in the same file together, in SARIF naming the tool version', async () => {
    const dir = await smallRules();
    try {
      const path = 'rules/aws/rds/not-public/rule.yaml';
      const yaml = (await dir.read(path))
        .replace(/^severity: \w+$/m, 'severity: urgent')
        .replace('    equals: false', '    equal: false');
      await dir.write(path, yaml);
      const r = await run('rules', 'lint', '--rules-dir', dir.rules, '--format', 'sarif');
      expect(r.code).toBe(EXIT.INVALID);
      const log = JSON.parse(r.stdout);
      if (existsSync(SARIF_SCHEMA)) {
        const validate = sarifValidator();
        expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
      }
      const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
      expect(log.runs[0].tool.driver).toMatchObject({ version, semanticVersion: version });
      const results = log.runs[0].results as {
        ruleId: string;
        locations: { physicalLocation: { region: { startLine: number } } }[];
      }[];
      expect(results.map((x) => [x.ruleId, x.locations[0]!.physicalLocation.region.startLine])).toEqual([
        ['SCHEMA_INVALID', lineOf(yaml, 'severity: urgent')],
        ['DSL_UNKNOWN_OPERATOR', lineOf(yaml, 'equal: false')],
      ]);
    } finally {
      await dir.remove();
    }
  });

  it('new: scaffolds, DSL and Rego, lint clean and their fixtures pass (a nested boolean, a top-level one, none)', async () => {
    const dir = await smallRules();
    try {
      // Every type's example attributes validate against its schema: engine/compile/dsl-schema.test.ts.
      const types = ['aws.s3.bucket', 'okta.user', 'azure.network.security_group'];
      let n = 100;
      for (const type of types) {
        for (const rego of [false, true]) {
          const folder = `x/new/${type.replace(/[._]/g, '-')}${rego ? '-rego' : ''}`;
          const args = ['--id', `CW-NEW-X-${n++}`, '--type', type, '--rules-dir', dir.rules];
          const created = await run('rules', 'new', folder, ...args, ...(rego ? ['--rego'] : []));
          expect(created.code, created.stderr).toBe(EXIT.OK);
        }
      }
      const lint = await run('rules', 'lint', '--rules-dir', dir.rules, '--format', 'json');
      expect(JSON.parse(lint.stdout)).toEqual({ ok: true, rules: 2 + types.length * 2, problems: [] });
      const test = await run('rules', 'test', '--rules-dir', dir.rules, '--format', 'json');
      expect(test.code).toBe(EXIT.OK);
      const unknown = await run('rules', 'new', 'x/new/thing', '--id', 'CW-NEW-X-001', '--type', 'aws.nope');
      expect(unknown.code).toBe(EXIT.USAGE);
      // The known types follow, in order (which one comes first changes as types are added).
      expect(unknown.stderr).toMatch(
        /^error: --type aws.nope has no schema .*; known types: aws\.[a-z0-9_.]+, /,
      );
      expect(unknown.stderr).toContain('aws.cloudtrail.trail, ');
    } finally {
      await dir.remove();
    }
  });
});
