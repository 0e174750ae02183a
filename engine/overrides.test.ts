import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../schemas/index.ts';
import type { CatalogRule } from './catalog.ts';
import { EngineError, ERROR_CODES } from './errors.ts';
import { loadPolicyEngine } from './evaluate.ts';
import {
  applyOverrides,
  assertValidOverrides,
  canonicalJson,
  effectiveOverrides,
  exceptionCovers,
  overrideParams,
  overrideProblems,
  overridesHash,
  type ResourceException,
  type TenantOverrides,
} from './overrides.ts';
import { DEFAULT_RULES_DIR } from './paths.ts';
import { bucket } from './testing.ts';

function rule(id: string, parameters?: CatalogRule['parameters']): CatalogRule {
  return {
    id,
    version: '1.0.0',
    title: id,
    description: 'd',
    rationale: 'r',
    severity: 'high',
    resource_types: ['aws.s3.bucket'],
    ucf_controls: ['UCF-DP-01'],
    remediation: 'fix',
    messages: { pass: 'ok', fail: 'bad' },
    ...(parameters ? { parameters } : {}),
    kind: 'dsl',
    source: 'x',
    hash: '0'.repeat(64),
    package: 'p',
    entrypoint: 'e',
  };
}

const RULES = [
  rule('CW-AWS-S3-001'),
  rule('CW-AWS-IAM-001', {
    type: 'object',
    properties: {
      max_age_days: { type: 'integer', minimum: 1, default: 90 },
      exempt_users: { type: 'array', items: { type: 'string' }, default: [] },
    },
  } as unknown as CatalogRule['parameters']),
];

const exception = (over: Partial<ResourceException> = {}): ResourceException => ({
  id: 'exc-1',
  rule_id: 'CW-AWS-S3-001',
  selector: { resource_id: 'arn:aws:s3:::legacy-*' },
  reason: 'legacy data, migration ticket OPS-12',
  approver: 'ciso@example.com',
  expires_at: '2027-01-01T00:00:00Z',
  ...over,
});

function finding(ruleId: string, name: string, status: Finding['status']): Finding {
  return {
    rule_id: ruleId,
    rule_version: '1.0.0',
    rule_hash: '0'.repeat(64),
    bundle_revision: 'rev',
    resource_id: `arn:aws:s3:::${name}`,
    resource_type: 'aws.s3.bucket',
    status,
    severity: 'high',
    message: 'm',
    evidence_sha256: null,
  };
}

describe('override validation', () => {
  it('accepts parameters that match the schema', () => {
    const o: TenantOverrides = {
      rules: [{ rule_id: 'CW-AWS-IAM-001', params: { max_age_days: 30 }, severity: 'critical' }],
      exceptions: [exception()],
    };
    expect(overrideProblems(RULES, o)).toEqual([]);
    expect(() => assertValidOverrides(RULES, o)).not.toThrow();
  });

  it('names the field of every problem', () => {
    const o = {
      rules: [
        { rule_id: 'CW-AWS-IAM-001', params: { max_age_days: 'thirty', exempt_users: ['a'], colour: 'red' } },
        { rule_id: 'CW-AWS-S3-001', params: { x: 1 }, severity: 'urgent' },
        { rule_id: 'CW-NOPE-001', enabled: false },
        { rule_id: 'CW-AWS-IAM-001', params: { max_age_days: 0 } },
      ],
      exceptions: [
        exception({ reason: ' ', expires_at: 'next week', selector: {} }),
        exception({ id: 'exc-2', rule_id: 'CW-GONE-001', selector: { owner: 'x' } as never }),
      ],
    } as unknown as TenantOverrides;
    expect(overrideProblems(RULES, o)).toEqual([
      { field: 'rules[0].params.colour', message: 'CW-AWS-IAM-001 has no parameter colour' },
      { field: 'rules[0].params.max_age_days', message: 'must be integer' },
      { field: 'rules[1].severity', message: 'must be one of critical, high, medium, low, info' },
      { field: 'rules[1].params', message: 'CW-AWS-S3-001 has no parameters' },
      { field: 'rules[2].rule_id', message: 'no rule "CW-NOPE-001" in the bundle' },
      { field: 'rules[3].rule_id', message: 'CW-AWS-IAM-001 has more than one override' },
      { field: 'rules[3].params.max_age_days', message: 'must be >= 1' },
      { field: 'exceptions[0].reason', message: 'is required' },
      {
        field: 'exceptions[0].expires_at',
        message: 'must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z',
      },
      {
        field: 'exceptions[0].selector',
        message: 'must name at least one of resource_id, resource_type, account, region, name',
      },
      {
        field: 'exceptions[1].rule_id',
        message: 'no rule "CW-GONE-001" in the bundle (or * for every rule)',
      },
      {
        field: 'exceptions[1].selector.owner',
        message: 'unknown selector field; use resource_id, resource_type, account, region, name',
      },
    ]);
  });

  it('throws PARAMS_INVALID with the problems as details', () => {
    const bad: TenantOverrides = {
      rules: [{ rule_id: 'CW-AWS-IAM-001', params: { max_age_days: -1 } }],
      exceptions: [],
    };
    const error = (() => {
      try {
        assertValidOverrides(RULES, bad);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({
      code: ERROR_CODES.PARAMS_INVALID,
      details: { problems: [{ field: 'rules[0].params.max_age_days', message: 'must be >= 1' }] },
    });
  });
});

describe('effective overrides and their hash', () => {
  const saved: TenantOverrides = {
    rules: [
      { rule_id: 'CW-AWS-S3-001', enabled: false },
      { rule_id: 'CW-AWS-IAM-001', params: { max_age_days: 30 } },
    ],
    exceptions: [
      exception({ id: 'b', expires_at: '2026-12-01T00:00:00Z' }),
      exception({ id: 'a', expires_at: '2027-06-01T00:00:00+02:00' }),
    ],
  };

  it('drops an exception once it expires, by itself', () => {
    const before = effectiveOverrides(saved, new Date('2026-11-30T23:59:59Z'));
    const after = effectiveOverrides(saved, new Date('2026-12-01T00:00:00Z'));
    expect(before.exceptions.map((x) => x.id)).toEqual(['a', 'b']);
    expect(after.exceptions.map((x) => x.id)).toEqual(['a']);
    expect(overridesHash(before)).not.toBe(overridesHash(after));
  });

  it('hashes the same set the same way whatever the stored order or key order', () => {
    const now = new Date('2026-11-26T00:00:00Z');
    const shuffled: TenantOverrides = {
      exceptions: [...saved.exceptions].reverse().map((x) => ({ ...x, selector: { ...x.selector } })),
      rules: [...saved.rules].reverse().map((r) => Object.fromEntries(Object.entries(r).reverse())) as never,
    };
    const hash = overridesHash(effectiveOverrides(saved, now));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(overridesHash(effectiveOverrides(shuffled, now))).toBe(hash);
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const changed = { ...saved, rules: [{ rule_id: 'CW-AWS-IAM-001', params: { max_age_days: 31 } }] };
    expect(overridesHash(effectiveOverrides(changed, now))).not.toBe(hash);
  });

  it('hands the parameter values to the engine by rule', () => {
    expect(overrideParams(effectiveOverrides(saved, new Date(0)))).toEqual({
      'CW-AWS-IAM-001': { max_age_days: 30 },
    });
  });
});

describe('applying overrides to findings', () => {
  const resources = [bucket('legacy-archive'), bucket('legacy-eu', {}, []), bucket('prod')];
  resources[1]!.region = 'eu-central-1';

  it('drops disabled rules, changes severity, and sets failing excepted findings aside', () => {
    const findings = [
      finding('CW-AWS-S3-001', 'legacy-archive', 'fail'),
      finding('CW-AWS-S3-001', 'legacy-eu', 'fail'),
      finding('CW-AWS-S3-001', 'prod', 'fail'),
      finding('CW-AWS-S3-001', 'legacy-archive', 'error'),
      finding('CW-AWS-IAM-001', 'legacy-archive', 'fail'),
      finding('CW-AWS-S3-002', 'prod', 'pass'),
    ];
    const effective = effectiveOverrides(
      {
        rules: [
          { rule_id: 'CW-AWS-S3-001', severity: 'low' },
          { rule_id: 'CW-AWS-S3-002', enabled: false },
        ],
        exceptions: [exception({ selector: { resource_id: 'arn:aws:s3:::legacy-*', region: 'eu-west-1' } })],
      },
      new Date('2026-11-26T00:00:00Z'),
    );
    const out = applyOverrides(findings, effective, resources);
    expect(out.disabled).toBe(1);
    expect(out.excepted.map((x) => [x.finding.resource_id, x.finding.severity, x.exception.id])).toEqual([
      ['arn:aws:s3:::legacy-archive', 'low', 'exc-1'],
    ]);
    expect(out.findings.map((f) => [f.rule_id, f.resource_id, f.status, f.severity])).toEqual([
      ['CW-AWS-S3-001', 'arn:aws:s3:::legacy-eu', 'fail', 'low'], // other region
      ['CW-AWS-S3-001', 'arn:aws:s3:::prod', 'fail', 'low'],
      ['CW-AWS-S3-001', 'arn:aws:s3:::legacy-archive', 'error', 'low'], // errors stay visible
      ['CW-AWS-IAM-001', 'arn:aws:s3:::legacy-archive', 'fail', 'high'], // other rule
    ]);
  });

  it('matches selectors with * globs only, and * rule ids for every rule', () => {
    const f = finding('CW-AWS-S3-002', 'logs.2026', 'fail');
    expect(exceptionCovers(exception({ rule_id: '*', selector: { resource_id: '*logs.2026' } }), f)).toBe(
      true,
    );
    expect(exceptionCovers(exception({ rule_id: '*', selector: { resource_id: '*logsX2026' } }), f)).toBe(
      false,
    );
    expect(exceptionCovers(exception({ selector: { resource_id: '*' } }), f)).toBe(false); // other rule
    // account/region/name need the resource; without it they cannot match
    expect(exceptionCovers(exception({ rule_id: '*', selector: { account: '*' } }), f)).toBe(false);
  });
});

describe('overrides with the real engine and bundle', () => {
  it('tenant parameters change the decision without recompiling; findings then take the tenant view', async () => {
    const engine = await loadPolicyEngine();
    const sshWorld = JSON.parse(
      await readFile(
        `${DEFAULT_RULES_DIR}aws/ec2/no-admin-ports-from-internet/fixtures/bad/ssh-world.json`,
        'utf8',
      ),
    );
    const saved: TenantOverrides = {
      rules: [{ rule_id: 'CW-AWS-EC2-001', params: { admin_ports: [3389] }, severity: 'low' }],
      exceptions: [],
    };
    expect(overrideProblems(engine.catalog.rules, saved)).toEqual([]);
    expect(
      overrideProblems(engine.catalog.rules, {
        rules: [{ rule_id: 'CW-AWS-EC2-001', params: { admin_ports: [22, 70000] } }],
        exceptions: [],
      }),
    ).toEqual([{ field: 'rules[0].params.admin_ports.1', message: 'must be <= 65535' }]);

    const status = async (overrides: TenantOverrides) => {
      const effective = effectiveOverrides(overrides, new Date(sshWorld.collected_at));
      const findings = await engine.evaluate([sshWorld], {
        scanTime: new Date(sshWorld.collected_at),
        params: overrideParams(effective),
      });
      return applyOverrides(findings, effective, [sshWorld]);
    };
    const byDefault = await status({ rules: [], exceptions: [] });
    expect(byDefault.findings.find((f) => f.rule_id === 'CW-AWS-EC2-001')?.status).toBe('fail');
    const tuned = await status(saved);
    expect(tuned.findings.find((f) => f.rule_id === 'CW-AWS-EC2-001')).toMatchObject({
      status: 'pass',
      severity: 'low',
      message: 'Security group web does not expose administration ports.',
    });
    const excepted = await status({
      rules: [],
      exceptions: [exception({ rule_id: 'CW-AWS-EC2-001', selector: { name: 'web', region: 'eu-west-1' } })],
    });
    expect(excepted.excepted.map((x) => [x.finding.rule_id, x.finding.status, x.exception.approver])).toEqual(
      [['CW-AWS-EC2-001', 'fail', 'ciso@example.com']],
    );
    expect(excepted.findings.some((f) => f.rule_id === 'CW-AWS-EC2-001')).toBe(false);
  });
});
