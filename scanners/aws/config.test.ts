// The AWS Config path of the account scanner, through the real Config SDK client over HTTP against the
// fixture server's StarlingDoveService (awsJson1_1): the same sandbox scanned through Config and through
// the direct APIs must give the same normalized resources, with far fewer calls.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import { referencePath } from '../../test/reference.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import { FAST_SCAN, SCAN_NOW, demoTarget } from './testing.ts';
import { AwsScanContext } from './aws-context.ts';
import { records, resourcesFromItems, selectExpression, type ConfigItem } from './config.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFault,
  type AwsFixtureAccount,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const NOW = SCAN_NOW;
const fast = FAST_SCAN;
const REGIONAL = ['ec2', 'rds', 'kms', 'cloudtrail', 'guardduty'] as const;

const servers: AwsFixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(account: AwsFixtureAccount, faults: AwsFault[] = []): Promise<AwsFixtureServer> {
  const server = await startAwsFixtureServer({ account, faults });
  servers.push(server);
  return server;
}

const target = (s: AwsFixtureServer, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget =>
  demoTarget(s, { services: [...REGIONAL], ...extra });

/** Resources keyed by id without `source`, the one field that says which path read them. */
function withoutSource(resources: Resource[]): Record<string, Omit<Resource, 'source'>> {
  const out: Record<string, Omit<Resource, 'source'>> = {};
  for (const { source: _source, ...rest } of resources) out[rest.id] = rest;
  return out;
}

const count = (s: AwsFixtureServer, operation: string): number =>
  s.requests.filter((r) => r.operation === operation).length;

async function directBaseline(): Promise<{ resources: Resource[]; calls: number }> {
  const s = await start(demoAwsAccount({ asOf: NOW }));
  const outcome = await scanAwsAccount(target(s, { useConfig: false }), fast);
  expect(outcome.errors).toEqual([]);
  return { resources: outcome.resources, calls: outcome.progress.calls_made };
}

describe('scanAwsAccount through AWS Config', () => {
  it('gives the same normalized resources as the direct APIs, with a fraction of the calls', async () => {
    const direct = await directBaseline();
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: NOW })));
    const outcome = await scanAwsAccount(target(s), fast);

    expect(outcome.errors).toEqual([]);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(direct.resources));
    const viaConfig = outcome.resources.filter((r) => r.source?.api === 'config').map((r) => r.type);
    expect(new Set(viaConfig)).toEqual(
      new Set([
        'aws.ec2.security_group',
        'aws.ec2.volume',
        'aws.rds.db_instance',
        'aws.kms.key',
        'aws.cloudtrail.trail',
      ]),
    );
    // Config stood in for the listings and per-key descriptions; what it lacks was still asked directly.
    for (const op of [
      'DescribeSecurityGroups',
      'DescribeVolumes',
      'DescribeDBInstances',
      'ListKeys',
      'DescribeKey',
      'DescribeTrails',
    ])
      expect(count(s, op), op).toBe(0);
    expect(count(s, 'SelectResourceConfig')).toBe(3); // 3 regions of 83-84 items: one page of 100 each
    expect(count(s, 'GetTrailStatus')).toBe(2);
    expect(count(s, 'GetEbsEncryptionByDefault')).toBe(3);
    // Only enabled customer managed keys still ask for their rotation period, which Config does not record
    // (AWS managed keys always rotate yearly).
    const rotating = outcome.resources.filter(
      (r) =>
        r.type === 'aws.kms.key' && r.attributes.rotation_enabled && r.attributes.key_manager === 'CUSTOMER',
    );
    expect(rotating.length).toBeGreaterThan(0);
    expect(count(s, 'GetKeyRotationStatus')).toBe(rotating.length);
    expect(outcome.progress.calls_made).toBeLessThan(direct.calls * 0.6);
  });

  it('leaves out the items Config keeps for deleted resources', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    withConfigRecording(account, {
      recording: true,
      resourceTypes: 'all',
      deleted: [{ resourceType: 'AWS::EC2::Volume', resourceId: 'vol-0deleted00000000' }],
    });
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s, { services: ['ec2'] }), fast);
    const volumes = outcome.resources.filter((r) => r.type === 'aws.ec2.volume');
    expect(volumes).toHaveLength(120);
    expect(volumes.some((r) => r.name === 'vol-0deleted00000000')).toBe(false);
  });

  it('reads every page of a small page size, following NextToken', async () => {
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: NOW })));
    const outcome = await scanAwsAccount(target(s, { regions: ['eu-west-1'], services: ['ec2'] }), {
      ...fast,
      pageSize: 7,
    });
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.volume')).toHaveLength(40);
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.security_group')).toHaveLength(25);
    expect(count(s, 'SelectResourceConfig')).toBe(Math.ceil(65 / 7));
  });

  it('uses Config only for the types a recorder records, and not where it is stopped', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    withConfigRecording(account, { recording: true, resourceTypes: ['AWS::EC2::Volume'] }, ['us-east-1']);
    withConfigRecording(account, { recording: false, resourceTypes: 'all' }, ['eu-west-1']);
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s), fast);
    const sources = new Set(
      outcome.resources
        .map((r) => `${r.region} ${r.type} ${r.source?.api ?? ''}`)
        .filter((k) => k.includes('config')),
    );
    expect(sources).toEqual(new Set(['us-east-1 aws.ec2.volume config']));
    expect(count(s, 'SelectResourceConfig')).toBe(1);
    expect(count(s, 'DescribeVolumes')).toBe(2); // the other two regions
    expect(withoutSource(outcome.resources)).toEqual(withoutSource((await directBaseline()).resources));
  });

  it('retries a throttled Select (429 with Retry-After) and still reads through Config', async () => {
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: NOW })), [
      {
        service: 'config',
        operation: 'SelectResourceConfig',
        status: 400,
        code: 'ThrottlingException',
        retryAfterSeconds: 0,
        times: 2,
      },
    ]);
    const outcome = await scanAwsAccount(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(s.requests.filter((r) => r.operation === 'SelectResourceConfig' && r.status !== 200)).toHaveLength(
      2,
    );
    expect(count(s, 'DescribeVolumes')).toBe(0);
  });

  it('falls back to the direct APIs for a region whose Config keeps failing, and loses nothing', async () => {
    const direct = await directBaseline();
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: NOW })), [
      {
        service: 'config',
        operation: 'SelectResourceConfig',
        region: 'eu-west-1',
        status: 503,
        code: 'ServiceUnavailable',
      },
      {
        service: 'config',
        operation: 'DescribeConfigurationRecorderStatus',
        region: 'us-west-2',
        status: 400,
        code: 'AccessDeniedException',
      },
    ]);
    const outcome = await scanAwsAccount(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(direct.resources));
    const regionsViaConfig = new Set(
      outcome.resources.filter((r) => r.source?.api === 'config').map((r) => r.region),
    );
    expect(regionsViaConfig).toEqual(new Set(['us-east-1']));
    expect(
      s.requests
        .filter((r) => r.operation === 'DescribeVolumes')
        .map((r) => r.region)
        .sort(),
    ).toEqual(['eu-west-1', 'us-west-2']);
  });

  it('reads through ListDiscoveredResources and BatchGetResourceConfig where queries are refused', async () => {
    const direct = await directBaseline();
    const account = withConfigRecording(demoAwsAccount({ asOf: NOW }), {
      recording: true,
      resourceTypes: 'all',
      deleted: [{ resourceType: 'AWS::EC2::Volume', resourceId: 'vol-0deleted00000000' }],
    });
    account.deniedOperations = ['config:SelectResourceConfig'];
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s), { ...fast, pageSize: 30 });

    expect(outcome.errors).toEqual([]);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(direct.resources));
    const viaConfig = outcome.resources.filter((r) => r.source?.api === 'config');
    expect(new Set(viaConfig.map((r) => r.region))).toEqual(new Set(['us-east-1', 'us-west-2', 'eu-west-1']));
    for (const op of ['DescribeSecurityGroups', 'DescribeVolumes', 'DescribeDBInstances', 'ListKeys'])
      expect(count(s, op), op).toBe(0);
    // Per region one Select refused, then 30 ids a page per type and at most 100 items a batch.
    expect(count(s, 'SelectResourceConfig')).toBe(3);
    const listed = s.requests.filter((r) => r.operation === 'ListDiscoveredResources').length;
    const batches = count(s, 'BatchGetResourceConfig');
    expect(listed).toBeGreaterThanOrEqual(3 * 5);
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(viaConfig.length / 100));
    expect(batches).toBeLessThanOrEqual(viaConfig.length / 30 + 3 * 5);
    // Even at this small page size, fewer calls than the direct path.
    expect(outcome.progress.calls_made).toBeLessThan(direct.calls);
  });

  it('reads a region directly when List and BatchGet are refused too, and loses nothing', async () => {
    const direct = await directBaseline();
    const account = withConfigRecording(demoAwsAccount({ asOf: NOW }));
    account.deniedOperations = ['config:SelectResourceConfig', 'config:BatchGetResourceConfig@eu-west-1'];
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(direct.resources));
    expect(
      s.requests
        .filter((r) => r.operation === 'DescribeVolumes')
        .map((r) => r.region)
        .sort(),
    ).toEqual(['eu-west-1']);
  });

  it('reads a named aggregator once for every region it collects', async () => {
    const direct = await directBaseline();
    const account = withConfigRecording(demoAwsAccount({ asOf: NOW }));
    account.configAggregators = [
      { name: 'org-inventory', accountIds: [DEMO_AWS_ACCOUNT_ID], regions: ['us-east-1', 'eu-west-1'] },
    ];
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s, { configAggregator: 'org-inventory' }), fast);
    expect(outcome.errors).toEqual([]);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(direct.resources));
    expect(count(s, 'SelectAggregateResourceConfig')).toBe(2); // 167 items, 100 a page
    // The region the aggregator does not collect is read through its own recorder.
    expect(s.requests.filter((r) => r.operation === 'SelectResourceConfig').map((r) => r.region)).toEqual([
      'us-west-2',
    ]);
  });

  it('records an unknown aggregator as a scan error and reads each region itself', async () => {
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: NOW })));
    const outcome = await scanAwsAccount(target(s, { configAggregator: 'missing' }), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'config:DescribeConfigurationAggregators',
        code: 'NoSuchConfigurationAggregatorException',
      }),
    ]);
    expect(count(s, 'SelectResourceConfig')).toBe(3);
  });
});

describe('configuration items as AWS records them', () => {
  it('normalizes the reference security-group item (object or JSON-text configuration)', async () => {
    const sample = JSON.parse(
      readFileSync(
        referencePath(
          'aws-config',
          'sample-configuration-items',
          'security-group.configuration-item.extracted.json',
        ),
        'utf8',
      ),
    ) as ConfigItem & { configuration: Record<string, unknown> };
    const ctx = new AwsScanContext('123456789012', { ...DEMO_AWS_CREDENTIALS }, undefined, fast);
    for (const configuration of [sample.configuration, JSON.stringify(sample.configuration)]) {
      const [sg] = await resourcesFromItems(
        ctx,
        'eu-west-1',
        'AWS::EC2::SecurityGroup',
        [{ ...sample, configuration }],
        'config',
      );
      expect(sg).toMatchObject({
        id: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-e2fb6999',
        name: 'sg_open_ssh',
        attributes: {
          group_id: 'sg-e2fb6999',
          vpc_id: 'vpc-f16e4296',
          is_default: false,
          ingress_rules: [
            {
              protocol: 'tcp',
              from_port: 22,
              to_port: 22,
              ipv4_cidrs: ['0.0.0.0/0'],
              ipv6_cidrs: [],
              prefix_list_ids: [],
              security_group_ids: [],
            },
          ],
          egress_rules: [
            expect.objectContaining({
              protocol: 'all',
              from_port: 0,
              to_port: 65535,
              ipv4_cidrs: ['0.0.0.0/0'],
            }),
          ],
        },
      });
    }
    ctx.close();
  });

  it('knows which types a recording group records', () => {
    expect(records({ allSupported: true }, 'AWS::EC2::Volume')).toBe(true);
    expect(records({ allSupported: false, resourceTypes: ['AWS::KMS::Key'] }, 'AWS::EC2::Volume')).toBe(
      false,
    );
    expect(
      records(
        {
          recordingStrategy: { useOnly: 'EXCLUSION_BY_RESOURCE_TYPES' },
          exclusionByResourceTypes: { resourceTypes: ['AWS::EC2::Volume'] },
        },
        'AWS::EC2::Volume',
      ),
    ).toBe(false);
    expect(selectExpression(['AWS::EC2::Volume'], '123456789012')).toBe(
      "SELECT resourceId, resourceType, awsRegion, accountId, configurationItemStatus, configuration, supplementaryConfiguration WHERE resourceType IN ('AWS::EC2::Volume') AND accountId = '123456789012'",
    );
  });
});
