import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertValid, type Finding, type Resource } from '../schemas/index.ts';
import { buildRules } from './compile/build.ts';
import { EngineError, ERROR_CODES } from './errors.ts';
import { loadPolicyEngine, type PolicyEngine } from './evaluate.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_RULES_DIR } from './paths.ts';
import { bucket, copyOfSomeRules, tempDir, type TempDir } from './testing.ts';

const scanTime = new Date('2026-11-26T10:00:00.000Z');
const EXPECTED: Record<string, Finding['status']> = {
  good: 'pass',
  bad: 'fail',
  error: 'error',
  not_applicable: 'not_applicable',
};

/** Every fixture under a rules tree, grouped by rule folder: [folder, [file, expected status, resource]]. */
async function fixturesOf(root: string): Promise<Map<string, [string, Finding['status'], Resource][]>> {
  const byRule = new Map<string, [string, Finding['status'], Resource][]>();
  const files = (await readdir(root, { recursive: true })).filter((f) =>
    /[\\/]fixtures[\\/][a-z_]+[\\/][^\\/]+\.json$/.test(f),
  );
  for (const file of files.sort()) {
    const [folder, status] = file.split(/[\\/]fixtures[\\/]/) as [string, string];
    const resource = JSON.parse(await readFile(join(root, file), 'utf8')) as Resource;
    byRule.set(folder, [
      ...(byRule.get(folder) ?? []),
      [file, EXPECTED[status.split(/[\\/]/)[0]!]!, resource],
    ]);
  }
  return byRule;
}

async function ruleIdOf(root: string, folder: string): Promise<string> {
  return /^id: (\S+)$/m.exec(await readFile(join(root, folder, 'rule.yaml'), 'utf8'))![1]!;
}

describe('policy engine on the committed bundle', () => {
  let engine: PolicyEngine;
  beforeAll(async () => {
    engine = await loadPolicyEngine();
  });

  it('gives every fixture the status of its folder through policy.wasm, as valid findings', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_BUNDLE_DIR, '.manifest'), 'utf8'));
    expect(engine.revision).toBe(manifest.revision);
    const fixtures = await fixturesOf(DEFAULT_RULES_DIR);
    expect([...fixtures.keys()].length).toBeGreaterThanOrEqual(2);
    for (const [folder, cases] of fixtures) {
      const ruleId = await ruleIdOf(DEFAULT_RULES_DIR, folder);
      const rule = engine.catalog.rules.find((r) => r.id === ruleId)!;
      for (const [file, expected, resource] of cases) {
        // One at a time: fixtures of a rule may share a resource id, and the engine evaluates an id once.
        const findings = await engine.evaluate([resource], { scanTime });
        for (const f of findings) assertValid('finding', f);
        const finding = findings.find((f) => f.rule_id === ruleId && f.resource_id === resource.id);
        expect(finding?.status, file).toBe(expected);
        expect(finding).toMatchObject({
          rule_version: rule.version,
          rule_hash: rule.hash,
          bundle_revision: engine.revision,
          resource_type: resource.type,
          severity: rule.severity,
          evidence_sha256: null,
        });
      }
    }
  });

  it('decides the absent public access block as error, a null one as fail, and builds messages from metadata', async () => {
    const findings = await engine.evaluate(
      [bucket('unreadable', {}, ['public_access_block']), bucket('none', { public_access_block: null })],
      { scanTime },
    );
    const s3002 = findings.filter((f) => f.rule_id === 'CW-AWS-S3-002');
    expect(s3002.map((f) => [f.resource_id, f.status, f.message])).toEqual([
      [
        'arn:aws:s3:::unreadable',
        'error',
        'Could not read the public access block or policy status of bucket unreadable; the rule cannot decide.',
      ],
      [
        'arn:aws:s3:::none',
        'fail',
        'Bucket none can be made or is public (public access block incomplete or missing, or a public policy).',
      ],
    ]);
  });

  it('gives one finding per (rule, resource) over many chunks, ignoring unknown types and repeated ids', async () => {
    const small = await loadPolicyEngine(undefined, { chunkSize: 7 });
    const resources = Array.from({ length: 23 }, (_, i) =>
      bucket(
        `b${i}`,
        i % 3 === 0
          ? { encryption: { enabled: false, algorithm: null, kms_key_id: null, bucket_key_enabled: false } }
          : {},
      ),
    );
    const other = { ...bucket('x'), id: 'thing/1', type: 'example.unruled.thing' };
    const findings = await small.evaluate([...resources, resources[4]!, other], { scanTime });
    const bucketRules = small.catalog.types['aws.s3.bucket']!.rule_ids.length;
    expect(bucketRules).toBeGreaterThanOrEqual(2);
    expect(findings).toHaveLength(23 * bucketRules);
    const encryption = findings.filter((f) => f.rule_id === 'CW-AWS-S3-001');
    expect(encryption.map((f) => f.resource_id)).toEqual(resources.map((r) => r.id));
    expect(encryption.filter((f) => f.status === 'fail')).toHaveLength(8);
    expect(await engine.evaluate([], { scanTime })).toEqual([]);
  });

  it('evaluates 12,000 buckets (many setData chunks) in one go', async () => {
    const resources = Array.from({ length: 12_000 }, (_, i) =>
      bucket(`bulk-${i}`, i % 4 === 0 ? { public_access_block: null } : {}),
    );
    const findings = await engine.evaluate(resources, { scanTime });
    expect(findings).toHaveLength(12_000 * engine.catalog.types['aws.s3.bucket']!.rule_ids.length);
    expect(findings.filter((f) => f.rule_id === 'CW-AWS-S3-002' && f.status === 'fail')).toHaveLength(3_000);
  });

  it('replaces the wasm instance when its memory outgrows the limit, with the same decisions', async () => {
    const resources = Array.from({ length: 60 }, (_, i) =>
      bucket(`r${i}`, i % 2 ? { versioning: { status: 'Suspended', mfa_delete: false } } : {}),
    );
    const strict = await loadPolicyEngine(undefined, { chunkSize: 20, maxMemoryBytes: 1 });
    const normal = await loadPolicyEngine(undefined, { chunkSize: 20 });
    const [a, b] = [
      await strict.evaluate(resources, { scanTime }),
      await normal.evaluate(resources, { scanTime }),
    ];
    expect(strict.recycled).toBe(3); // after each of the three chunks
    expect(normal.recycled).toBe(0);
    expect(a).toEqual(b);
    expect(a.filter((f) => f.rule_id === 'CW-AWS-S3-003' && f.status === 'fail')).toHaveLength(30);
  });

  it('refuses a bundle whose catalog and manifest come from different builds, or a missing file', async () => {
    const dir = await tempDir();
    try {
      await cp(join(DEFAULT_BUNDLE_DIR, 'policy.wasm'), join(dir.path, 'policy.wasm'));
      await expect(loadPolicyEngine(dir.path)).rejects.toMatchObject({
        code: ERROR_CODES.BUNDLE_INVALID,
        message: expect.stringContaining('.manifest is missing'),
      });
      await cp(join(DEFAULT_BUNDLE_DIR, 'catalog.json'), join(dir.path, 'catalog.json'));
      await dir.write('.manifest', JSON.stringify({ revision: 'another-build' }));
      await expect(loadPolicyEngine(dir.path)).rejects.toMatchObject({
        code: ERROR_CODES.BUNDLE_INVALID,
        message: expect.stringContaining('come from different builds'),
      });
    } finally {
      await dir.remove();
    }
  });
});

// Test-only rules, built into a temporary bundle: a DSL rule exercising every operator and the three-valued
// logic, and a parameterised Rego rule with a trap that aborts evaluation for one resource.
const DSL_RULE = `id: CW-TEST-S3-901
version: 0.1.0
title: Versioned buckets are logged and either KMS-encrypted or behind a public access block
description: Test rule for the DSL.
rationale: Exercises when, all_of, any_of, not, equals and exists.
severity: low
resource_types: [aws.s3.bucket]
ucf_controls: [UCF-DP-01]
remediation: None, this is a test.
messages:
  pass: '{name} ok'
  fail: '{name} not ok'
check:
  when:
    attribute: versioning.status
    equals: Enabled
  assert:
    all_of:
      - attribute: logging.enabled
        equals: true
      - any_of:
          - attribute: encryption.algorithm
            equals: aws:kms
          - not:
              attribute: public_access_block
              exists: false
`;

const REGO_RULE_YAML = `id: CW-TEST-S3-902
version: 0.1.0
title: Versioning status is one of the allowed ones
description: Test rule for parameters and failure isolation.
rationale: Exercises data.params and an evaluation abort.
severity: info
resource_types: [aws.s3.bucket]
ucf_controls: [UCF-DP-02]
remediation: None, this is a test.
messages:
  pass: '{name} ok'
  fail: '{name} not ok'
parameters:
  type: object
  properties:
    allowed:
      type: array
      items: { type: string, enum: [Enabled, Suspended, Disabled] }
      default: [Enabled]
`;

const REGO_RULE = `package complywise.rules.cw_test_s3_902

# Two different outputs for the same input abort evaluation: only for the bucket named "explode".
trap(r) := 1 if r.name == "explode"

trap(r) := 2 if r.name == "explode"

sprung(r) if trap(r) == 0

compliant(r) if {
	not sprung(r)
	r.attributes.versioning.status in data.params["CW-TEST-S3-902"].allowed
}

undecidable(r) if not r.attributes.versioning
`;

const kms = { enabled: true, algorithm: 'aws:kms', kms_key_id: 'k', bucket_key_enabled: true };
const loggingOff = { enabled: false, target_bucket: null, target_prefix: null };
const DSL_FIXTURES: [string, Resource][] = [
  ['good/kms-no-block.json', bucket('kms-no-block', { encryption: kms, public_access_block: null })],
  ['good/aes-with-block.json', bucket('aes-with-block')],
  [
    'bad/not-logged-encryption-unreadable.json',
    bucket('not-logged', { logging: loggingOff }, ['encryption']),
  ],
  ['bad/aes-no-block.json', bucket('aes-no-block', { public_access_block: null })],
  ['error/logging-unreadable.json', bucket('logging-unreadable', { encryption: kms }, ['logging'])],
  ['error/any-of-undecided.json', bucket('any-of-undecided', { public_access_block: null }, ['encryption'])],
  ['error/versioning-unreadable.json', bucket('versioning-unreadable', {}, ['versioning'])],
  [
    'not_applicable/suspended.json',
    bucket('suspended', { versioning: { status: 'Suspended', mfa_delete: false } }, ['logging']),
  ],
];

describe('policy engine on a test bundle', () => {
  let dir: TempDir & { rules: string };
  let engine: PolicyEngine;
  beforeAll(async () => {
    // The two bucket rules the abort test shows beside the test rules; the other rules add nothing here.
    dir = await copyOfSomeRules(['aws/s3/bucket-default-encryption', 'aws/s3/bucket-not-public']);
    await dir.write('rules/test/s3/dsl-operators/rule.yaml', DSL_RULE);
    for (const [path, resource] of DSL_FIXTURES) {
      await dir.write(`rules/test/s3/dsl-operators/fixtures/${path}`, JSON.stringify(resource, null, 2));
    }
    await dir.write('rules/test/s3/params-and-trap/rule.yaml', REGO_RULE_YAML);
    await dir.write('rules/test/s3/params-and-trap/policy.rego', REGO_RULE);
    const suspended = bucket('suspended', { versioning: { status: 'Suspended', mfa_delete: false } });
    await dir.write(
      'rules/test/s3/params-and-trap/fixtures/good/enabled.json',
      JSON.stringify(bucket('enabled')),
    );
    await dir.write('rules/test/s3/params-and-trap/fixtures/bad/suspended.json', JSON.stringify(suspended));
    // opa test (Go) checks every fixture during the build; the wasm checks below must agree with it.
    await buildRules({
      rulesDir: dir.rules,
      buildDir: join(dir.path, 'build'),
      outDir: join(dir.path, 'dist'),
    });
    engine = await loadPolicyEngine(join(dir.path, 'dist'));
  });
  afterAll(async () => {
    await dir.remove();
  });

  it('agrees with opa test on every DSL fixture (when, all_of, any_of, not, equals, exists)', async () => {
    const findings = await engine.evaluate(
      DSL_FIXTURES.map(([, r]) => r),
      { scanTime },
    );
    const got = findings.filter((f) => f.rule_id === 'CW-TEST-S3-901').map((f) => [f.resource_id, f.status]);
    expect(got).toEqual(DSL_FIXTURES.map(([path, r]) => [r.id, EXPECTED[path.split('/')[0]!]]));
  });

  it('merges tenant parameters over the defaults and rejects invalid ones', async () => {
    const suspended = bucket('suspended', { versioning: { status: 'Suspended', mfa_delete: false } });
    const status = async (params?: Record<string, Record<string, unknown>>) =>
      (await engine.evaluate([suspended], { scanTime, params })).find((f) => f.rule_id === 'CW-TEST-S3-902')
        ?.status;
    expect(await status()).toBe('fail');
    expect(await status({ 'CW-TEST-S3-902': { allowed: ['Enabled', 'Suspended'] } })).toBe('pass');
    expect(await status({ 'CW-RETIRED-001': { anything: 1 } })).toBe('fail');
    const invalid = engine.evaluate([suspended], {
      scanTime,
      params: { 'CW-TEST-S3-902': { allowed: 'Enabled' } },
    });
    await expect(invalid).rejects.toBeInstanceOf(EngineError);
    await expect(invalid).rejects.toMatchObject({
      code: ERROR_CODES.PARAMS_INVALID,
      details: { rule_id: 'CW-TEST-S3-902' },
    });
  });

  it('turns an evaluation abort into an error finding for that rule and resource only', async () => {
    const resources = [bucket('before'), bucket('explode'), bucket('after', { logging: loggingOff })];
    const findings = await engine.evaluate(resources, { scanTime });
    const shown = ['CW-AWS-S3-001', 'CW-AWS-S3-002', 'CW-TEST-S3-901', 'CW-TEST-S3-902'];
    const table = findings
      .filter((f) => shown.includes(f.rule_id))
      .map((f) => [f.rule_id, f.resource_id.replace('arn:aws:s3:::', ''), f.status]);
    expect(table).toEqual([
      ['CW-AWS-S3-001', 'before', 'pass'],
      ['CW-AWS-S3-001', 'explode', 'pass'],
      ['CW-AWS-S3-001', 'after', 'pass'],
      ['CW-AWS-S3-002', 'before', 'pass'],
      ['CW-AWS-S3-002', 'explode', 'pass'],
      ['CW-AWS-S3-002', 'after', 'pass'],
      ['CW-TEST-S3-901', 'before', 'pass'],
      ['CW-TEST-S3-901', 'explode', 'pass'],
      ['CW-TEST-S3-901', 'after', 'fail'],
      ['CW-TEST-S3-902', 'before', 'pass'],
      ['CW-TEST-S3-902', 'explode', 'error'],
      ['CW-TEST-S3-902', 'after', 'pass'],
    ]);
    const trapped = findings.find(
      (f) => f.rule_id === 'CW-TEST-S3-902' && f.resource_id.endsWith('explode'),
    )!;
    expect(trapped.message).toMatch(
      /^The rule could not be evaluated on explode: .*policy\.rego:\d+:\d+: .*conflict/,
    );
    for (const f of findings) assertValid('finding', f);
  });
});
