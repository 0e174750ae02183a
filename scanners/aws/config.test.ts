// The AWS Config path of the account scanner, through the real Config SDK client over HTTP against the
// fixture server's StarlingDoveService (awsJson1_1): the same sandbox scanned through Config and through
// the direct APIs must give the same normalized resources, with far fewer calls. Item normalization runs
// on our own committed items (fixtures/config-items/) always, and on AWS's samples and resource schemas
// in the reference tier.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import { describeWithReference, referencePath } from '../../test/reference.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import {
  CONFIG_ITEM_FILES,
  configItemFixture,
  demoTarget,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
} from './testing.ts';
import { AwsScanContext } from './aws-context.ts';
import {
  CONFIG_TYPES,
  records,
  resourcesFromItems,
  selectExpression,
  type ConfigItem,
  type RegionalConfigType,
} from './config.ts';
import { configItems } from './fixtures/config-fixture.ts';
import { rotationIntervalDays } from './secretsmanager.ts';
import { demoS3Account } from './fixtures/s3-fixture-account.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  withConfigRecording,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const NOW = SCAN_NOW;
const fast = FAST_SCAN;
const REGIONAL = ['ec2', 'rds', 'kms', 'cloudtrail', 'guardduty'] as const;

const start = fixtureServersClosedAfterEach();

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
        'aws.ec2.instance',
        'aws.ec2.vpc',
        'aws.ec2.network_acl',
        'aws.rds.db_instance',
        'aws.kms.key',
        'aws.cloudtrail.trail',
      ]),
    );
    // Config stood in for the listings and per-key descriptions; what it lacks was still asked directly.
    for (const op of [
      'DescribeSecurityGroups',
      'DescribeVolumes',
      'DescribeInstances',
      'DescribeVpcs',
      'DescribeNetworkAcls',
      'DescribeDBInstances',
      'ListKeys',
      'DescribeKey',
      'DescribeTrails',
    ])
      expect(count(s, op), op).toBe(0);
    expect(count(s, 'SelectResourceConfig')).toBe(3); // 3 regions of 83-84 items: one page of 100 each
    expect(count(s, 'GetTrailStatus')).toBe(2);
    expect(count(s, 'GetEbsEncryptionByDefault')).toBe(3);
    // A VPC's flow logs are not in its item: one listing per region on either path.
    expect(count(s, 'DescribeFlowLogs')).toBe(3);
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
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.instance')).toHaveLength(5);
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.vpc')).toHaveLength(2);
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.network_acl')).toHaveLength(2);
    // 25 groups, 40 volumes, 5 instances, 2 VPCs and 2 network ACLs, 7 a page; flow logs are listed directly.
    expect(count(s, 'SelectResourceConfig')).toBe(Math.ceil(74 / 7));
    expect(count(s, 'DescribeFlowLogs')).toBe(1);
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

/**
 * Every property path of a configuration item (`configuration.a.b`, arrays folded), with the JSON texts of
 * `supplementaryConfiguration` read as the objects they hold, as AWS's resource schemas list them. A bucket's
 * tag keys are data, not properties: each tag set's keys fold into one `<key>`.
 */
function propertyPaths(item: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const walk = (value: unknown, at: string) => {
    if (Array.isArray(value)) for (const v of value) walk(v, at);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, at ? `${at}.${k}` : k);
    } else out.add(at);
  };
  const parse = (v: unknown) => {
    try {
      return typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
    } catch {
      return v;
    }
  };
  const { configuration, supplementaryConfiguration, ...envelope } = item;
  walk(envelope, '');
  walk(parse(configuration), 'configuration');
  for (const [k, v] of Object.entries((supplementaryConfiguration ?? {}) as Record<string, unknown>)) {
    const inner = parse(v);
    walk(
      k === 'BucketPolicy'
        ? { ...(inner as object), policyText: 'text' }
        : k === 'BucketTaggingConfiguration'
          ? {
              tagSets: ((inner as { tagSets?: { tags?: object }[] }).tagSets ?? []).map((set) => ({
                tags: Object.keys(set.tags ?? {}).length > 0 ? { '<key>': 'value' } : {},
              })),
            }
          : inner,
      `supplementaryConfiguration.${k}`,
    );
  }
  return out;
}

describe('configuration items as AWS Config records them (our committed items)', () => {
  it('has items of every type the scanner reads through Config', () => {
    expect(Object.keys(CONFIG_ITEM_FILES).sort()).toEqual(Object.keys(CONFIG_TYPES).sort());
    for (const [type, files] of Object.entries(CONFIG_ITEM_FILES))
      for (const file of files) expect(configItemFixture(file).resourceType, file).toBe(type);
  });

  it('normalizes the item of every regional type, its configuration as an object or as JSON text', async () => {
    // The trail's logging status and selectors are not in its item: they come from the sandbox's eu-app-trail.
    const s = await start(demoAwsAccount({ asOf: NOW }));
    const ctx = new AwsScanContext(DEMO_AWS_ACCOUNT_ID, { ...DEMO_AWS_CREDENTIALS }, s.url, fast);
    const normalize = async (type: RegionalConfigType, asText: boolean) => {
      const item = configItemFixture(CONFIG_ITEM_FILES[type][0]);
      const configuration = asText ? JSON.stringify(item.configuration) : item.configuration;
      const [resource] = await resourcesFromItems(
        ctx,
        'eu-west-1',
        type,
        [{ ...item, configuration }],
        'config',
      );
      return resource;
    };
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    const rule = { ipv6_cidrs: [], prefix_list_ids: [], security_group_ids: [] };
    for (const asText of [false, true]) {
      expect(await normalize('AWS::EC2::SecurityGroup', asText)).toMatchObject({
        id: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d4e5f60718',
        type: 'aws.ec2.security_group',
        name: 'web-edge',
        source: { api: 'config' },
        attributes: {
          group_id: 'sg-0a1b2c3d4e5f60718',
          vpc_id: 'vpc-0c1d2e3f4a5b6c7d8',
          is_default: false,
          ingress_rules: [
            {
              ...rule,
              protocol: 'tcp',
              from_port: 443,
              to_port: 443,
              ipv4_cidrs: ['0.0.0.0/0'],
              ipv6_cidrs: ['::/0'],
            },
            { ...rule, protocol: 'tcp', from_port: 22, to_port: 22, ipv4_cidrs: ['198.51.100.0/24'] },
            {
              ...rule,
              protocol: 'tcp',
              from_port: 0,
              to_port: 65535,
              ipv4_cidrs: [],
              prefix_list_ids: ['pl-0f1e2d3c'],
              security_group_ids: ['sg-0a1b2c3d4e5f60718'],
            },
          ],
          egress_rules: [
            { ...rule, protocol: 'all', from_port: 0, to_port: 65535, ipv4_cidrs: ['0.0.0.0/0'] },
          ],
        },
      });
      expect((await normalize('AWS::EC2::Volume', asText))?.attributes).toEqual({
        volume_id: 'vol-0123456789abcdef0',
        encrypted: true,
        kms_key_id: keyArn,
        size_gib: 64,
        volume_type: 'gp3',
        state: 'in-use',
        availability_zone: 'eu-west-1b',
        attached_instance_ids: ['i-0aa11bb22cc33dd44'],
        create_time: '2026-02-11T10:04:51.322Z',
      });
      expect(await normalize('AWS::EC2::Instance', asText)).toMatchObject({
        id: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-0aa11bb22cc33dd44',
        type: 'aws.ec2.instance',
        name: 'ledger-worker',
        attributes: {
          instance_id: 'i-0aa11bb22cc33dd44',
          instance_type: 'm7g.large',
          state: 'running',
          image_id: 'ami-0f1e2d3c4b5a69788',
          vpc_id: 'vpc-0c1d2e3f4a5b6c7d8',
          subnet_id: 'subnet-0a1b2c3d4e5f60718',
          public_ip_address: '54.170.21.8',
          iam_instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/ledger-worker',
          metadata_http_endpoint: 'enabled',
          metadata_http_tokens: 'required',
          metadata_hop_limit: 2,
          monitoring_state: 'disabled',
          security_group_ids: ['sg-0a1b2c3d4e5f60718'],
          launch_time: '2026-02-11T10:04:51.000Z',
          // Not among the sandbox's managed nodes of eu-west-1.
          ssm_managed: false,
        },
      });
      // The item does not carry flow logs; the sandbox's eu-west-1 has none for this VPC id.
      expect(await normalize('AWS::EC2::VPC', asText)).toMatchObject({
        id: 'arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0c1d2e3f4a5b6c7d8',
        name: 'ledger-eu',
        attributes: {
          vpc_id: 'vpc-0c1d2e3f4a5b6c7d8',
          cidr_block: '10.20.0.0/16',
          is_default: false,
          state: 'available',
          flow_logs: [],
        },
      });
      const entry = { ipv4_cidr: null, ipv6_cidr: null };
      expect((await normalize('AWS::EC2::NetworkAcl', asText))?.attributes).toEqual({
        network_acl_id: 'acl-0e1f2a3b4c5d6e7f8',
        vpc_id: 'vpc-0c1d2e3f4a5b6c7d8',
        is_default: false,
        subnet_ids: ['subnet-0a1b2c3d4e5f60718'],
        ingress_entries: [
          {
            ...entry,
            rule_number: 100,
            action: 'allow',
            protocol: 'tcp',
            from_port: 443,
            to_port: 443,
            ipv4_cidr: '0.0.0.0/0',
          },
          {
            ...entry,
            rule_number: 105,
            action: 'deny',
            protocol: 'tcp',
            from_port: 22,
            to_port: 22,
            ipv6_cidr: '::/0',
          },
          {
            ...entry,
            rule_number: 110,
            action: 'allow',
            protocol: 'tcp',
            from_port: 22,
            to_port: 22,
            ipv4_cidr: '10.20.0.0/16',
          },
          {
            ...entry,
            rule_number: 32767,
            action: 'deny',
            protocol: 'all',
            from_port: 0,
            to_port: 65535,
            ipv4_cidr: '0.0.0.0/0',
          },
        ],
        egress_entries: [
          {
            ...entry,
            rule_number: 100,
            action: 'allow',
            protocol: 'all',
            from_port: 0,
            to_port: 65535,
            ipv4_cidr: '0.0.0.0/0',
          },
          {
            ...entry,
            rule_number: 32767,
            action: 'deny',
            protocol: 'all',
            from_port: 0,
            to_port: 65535,
            ipv4_cidr: '0.0.0.0/0',
          },
        ],
      });
      expect(await normalize('AWS::RDS::DBInstance', asText)).toMatchObject({
        id: 'arn:aws:rds:eu-west-1:123456789012:db:ledger-db-eu',
        attributes: {
          db_instance_identifier: 'ledger-db-eu',
          engine: 'postgres',
          engine_version: '16.4',
          instance_class: 'db.r6g.large',
          status: 'available',
          storage_encrypted: true,
          kms_key_id: keyArn,
          publicly_accessible: false,
          backup_retention_period: 14,
          multi_az: true,
          deletion_protection: true,
          auto_minor_version_upgrade: true,
          copy_tags_to_snapshot: true,
          port: 5432,
          iam_database_authentication_enabled: true,
          enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'],
          master_username: 'ledger_admin',
        },
      });
      // Rotation comes from the item's supplementary configuration: no KMS call for it.
      expect(await normalize('AWS::KMS::Key', asText)).toMatchObject({
        id: keyArn,
        attributes: {
          key_manager: 'CUSTOMER',
          key_state: 'Enabled',
          enabled: true,
          key_spec: 'SYMMETRIC_DEFAULT',
          creation_date: '2025-09-17T13:22:40.000Z',
          rotation_enabled: false,
          rotation_period_days: null,
        },
      });
      expect(await normalize('AWS::DynamoDB::Table', asText)).toMatchObject({
        id: 'arn:aws:dynamodb:eu-west-1:123456789012:table/ledger-entries',
        type: 'aws.dynamodb.table',
        name: 'ledger-entries',
        attributes: {
          table_name: 'ledger-entries',
          status: 'ACTIVE',
          billing_mode: 'PAY_PER_REQUEST',
          creation_date: '2025-10-14T09:12:33.201Z',
          sse_type: 'KMS',
          kms_key_arn: keyArn,
          point_in_time_recovery_enabled: false,
        },
      });
      expect((await normalize('AWS::Lambda::Function', asText))?.attributes).toEqual({
        function_name: 'ledger-ingest',
        runtime: 'python3.12',
        package_type: 'Zip',
        role_arn: 'arn:aws:iam::123456789012:role/ledger-ingest-role',
        vpc_subnet_ids: ['subnet-0a1b2c3d4e5f60718', 'subnet-0b2c3d4e5f6071829'],
        vpc_security_group_ids: ['sg-0a1b2c3d4e5f60718'],
        dead_letter_target_arn: 'arn:aws:sqs:eu-west-1:123456789012:ledger-ingest-failures',
        tracing_mode: 'Active',
        kms_key_arn: keyArn,
        last_modified: '2026-03-19T11:02:45.311Z',
        // Names only: the item's values stay behind.
        environment_variable_names: ['DB_SECRET_ARN', 'LOG_LEVEL', 'TARGET_URL', 'WEBHOOK_SIGNING_SECRET'],
      });
      expect(await normalize('AWS::SecretsManager::Secret', asText)).toMatchObject({
        id: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ledger/db-credentials-Qw3Er5',
        name: 'ledger/db-credentials',
        attributes: {
          secret_name: 'ledger/db-credentials',
          kms_key_id: keyArn,
          rotation_enabled: true,
          rotation_interval_days: 30,
          rotation_lambda_arn:
            'arn:aws:lambda:eu-west-1:123456789012:function:SecretsManagerRDSPostgreSQLRotationSingleUser',
        },
      });
      expect(await normalize('AWS::ECR::Repository', asText)).toMatchObject({
        id: 'arn:aws:ecr:eu-west-1:123456789012:repository/ledger/ingest',
        name: 'ledger/ingest',
        attributes: {
          repository_name: 'ledger/ingest',
          scan_on_push: true,
          image_tag_mutability: 'IMMUTABLE',
          encryption_type: 'KMS',
          kms_key_arn: 'arn:aws:kms:eu-west-1:123456789012:key/5e6f7a8b-0000-4000-8000-00000000000e',
        },
      });
      expect(await normalize('AWS::CloudTrail::Trail', asText)).toMatchObject({
        id: 'arn:aws:cloudtrail:eu-west-1:123456789012:trail/eu-app-trail',
        attributes: {
          home_region: 'eu-west-1',
          is_multi_region_trail: false,
          log_file_validation_enabled: false,
          kms_key_id: keyArn,
          s3_bucket_name: 'acme-eu-analytics-exports-123456789012',
          cloudwatch_logs_log_group_arn: 'arn:aws:logs:eu-west-1:123456789012:log-group:eu-app-trail:*',
          is_logging: false,
          management_events: 'WriteOnly',
        },
      });
    }
    expect(ctx.errors).toEqual([]);
    // What the items do not carry: a trail's status and selectors, a VPC's flow logs, which instances SSM manages.
    expect(new Set(s.requests.map((r) => r.operation))).toEqual(
      new Set(['GetTrailStatus', 'GetEventSelectors', 'DescribeFlowLogs', 'DescribeInstanceInformation']),
    );
    ctx.close();
  });

  it('reads a table without a KMS key as encrypted by DynamoDB, and leaves recovery out when not recorded', async () => {
    const s = await start(demoAwsAccount({ asOf: NOW }));
    const ctx = new AwsScanContext(DEMO_AWS_ACCOUNT_ID, { ...DEMO_AWS_CREDENTIALS }, s.url, fast);
    const item = configItemFixture(CONFIG_ITEM_FILES['AWS::DynamoDB::Table'][0]);
    const { ssedescription: _sse, ...configuration } = item.configuration as Record<string, unknown>;
    const [table] = await resourcesFromItems(
      ctx,
      'eu-west-1',
      'AWS::DynamoDB::Table',
      [{ ...item, configuration, supplementaryConfiguration: {} }],
      'config',
    );
    expect(table?.attributes).toMatchObject({ sse_type: 'AWS_OWNED', kms_key_arn: null });
    expect(table?.attributes).not.toHaveProperty('point_in_time_recovery_enabled');
    expect(ctx.errors).toEqual([]);
    ctx.close();
  });

  it('reads a container image function as having no managed runtime, and one outside a VPC with no subnets', async () => {
    const s = await start(demoAwsAccount({ asOf: NOW }));
    const ctx = new AwsScanContext(DEMO_AWS_ACCOUNT_ID, { ...DEMO_AWS_CREDENTIALS }, s.url, fast);
    const item = configItemFixture(CONFIG_ITEM_FILES['AWS::Lambda::Function'][0]);
    const {
      runtime: _runtime,
      handler: _handler,
      vpcConfig: _vpc,
      kmskeyArn: _key,
      ...configuration
    } = item.configuration as Record<string, unknown>;
    const [fn] = await resourcesFromItems(
      ctx,
      'eu-west-1',
      'AWS::Lambda::Function',
      [{ ...item, configuration: { ...configuration, packageType: 'Image' } }],
      'config',
    );
    expect(fn?.attributes).toMatchObject({
      runtime: null,
      package_type: 'Image',
      vpc_subnet_ids: [],
      vpc_security_group_ids: [],
      kms_key_arn: null,
    });
    ctx.close();
  });

  it('reads a secret rotated on a rate schedule in days, one on a cron schedule without an interval', () => {
    expect(rotationIntervalDays({ AutomaticallyAfterDays: 45 })).toBe(45);
    expect(rotationIntervalDays({ ScheduleExpression: 'rate(10 days)' })).toBe(10);
    expect(rotationIntervalDays({ ScheduleExpression: 'rate(4 hours)' })).toBeNull();
    expect(rotationIntervalDays({ ScheduleExpression: 'cron(0 16 1,15 * ? *)' })).toBeNull();
    expect(rotationIntervalDays(undefined)).toBeNull();
  });

  it('reads DynamoDB tables through Config where it records them and directly in the other regions', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    withConfigRecording(account, { recording: true, resourceTypes: 'all' }, ['us-east-1']);
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s, { services: ['dynamodb'] }), fast);
    expect(outcome.errors).toEqual([]);
    const tables = outcome.resources.filter((r) => r.type === 'aws.dynamodb.table');
    expect(tables.map((t) => `${t.region} ${t.source?.api}`).sort()).toEqual([
      ...Array(4).fill('eu-west-1 dynamodb'),
      ...Array(4).fill('us-east-1 config'),
      ...Array(4).fill('us-west-2 dynamodb'),
    ]);
    expect(s.requests.filter((r) => r.service === 'dynamodb' && r.region === 'us-east-1')).toEqual([]);
  });

  it('is what the fixture server records: its items carry only properties our committed items have', () => {
    const account = withConfigRecording(demoAwsAccount({ asOf: NOW }));
    const buckets = demoS3Account().buckets;
    const served = account.regions.flatMap((r) => configItems(account, r, () => buckets));
    for (const [type, files] of Object.entries(CONFIG_ITEM_FILES)) {
      const ours = new Set(files.flatMap((f) => [...propertyPaths(configItemFixture(f))]));
      const theirs = new Set(
        served.filter((i) => i.resourceType === type).flatMap((i) => [...propertyPaths({ ...i })]),
      );
      expect(theirs.size, type).toBeGreaterThan(0);
      expect(
        [...theirs].filter((p) => !ours.has(p)),
        type,
      ).toEqual([]);
    }
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

describeWithReference('configuration items as AWS records them (AWS samples and resource schemas)', () => {
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

  it('uses in our committed items only properties AWS Config records for their type', () => {
    // AWS's resource schemas list the properties Config can search; a few it records are not searchable:
    // those in AWS's own sample items count too, and the volume state, which AWS's documented Volume item
    // records as a plain string (the scanner reads it so) while the search index names it state.value.
    const samples = readdirSync(referencePath('aws-config', 'sample-configuration-items'))
      .filter((f) => f.endsWith('.configuration-item.json') || f.endsWith('.extracted.json'))
      .map(
        (f) =>
          JSON.parse(
            readFileSync(referencePath('aws-config', 'sample-configuration-items', f), 'utf8'),
          ) as Record<string, unknown>,
      );
    const recordedNotSearchable: Record<string, string[]> = { 'AWS::EC2::Volume': ['configuration.state'] };
    // Types whose AWS resource schema the reference folder does not hold yet: their items were written from
    // AWS's published schemas but cannot be checked here. The list can only shrink: a type whose schema
    // arrives must leave it, and a new type must either have its schema there or be named here.
    const noReferenceSchemaYet = new Set([
      'AWS::ACM::Certificate',
      'AWS::ApiGateway::Stage',
      'AWS::CloudFront::Distribution',
      'AWS::DynamoDB::Table',
      'AWS::EC2::Instance',
      'AWS::EC2::NetworkAcl',
      'AWS::EC2::VPC',
      'AWS::ElasticLoadBalancingV2::Listener',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ECR::Repository',
      'AWS::Lambda::Function',
      'AWS::SecretsManager::Secret',
      'AWS::SNS::Topic',
      'AWS::SQS::Queue',
      'AWS::EFS::FileSystem',
      'AWS::CloudWatch::Alarm',
      'AWS::WAFv2::WebACL',
      'AWS::EKS::Cluster',
      'AWS::ECS::Cluster',
      'AWS::ECS::TaskDefinition',
      'AWS::Backup::BackupPlan',
      'AWS::Backup::BackupVault',
      'AWS::OpenSearch::Domain',
      'AWS::Redshift::Cluster',
    ]);
    const schemaOf = (type: string) =>
      referencePath('aws-config', 'resource-schemas', `${type.replaceAll('::', '_')}.properties.json`);
    const unknown: Record<string, string[]> = {};
    for (const [type, files] of Object.entries(CONFIG_ITEM_FILES)) {
      expect(existsSync(schemaOf(type)), `${type}: reference schema present xor listed as missing`).toBe(
        !noReferenceSchemaYet.has(type),
      );
      if (noReferenceSchemaYet.has(type)) continue;
      const known = new Set([
        ...Object.keys(JSON.parse(readFileSync(schemaOf(type), 'utf8')) as Record<string, string>),
        ...samples.filter((i) => i.resourceType === type).flatMap((i) => [...propertyPaths(i)]),
        ...(recordedNotSearchable[type] ?? []),
      ]);
      for (const file of files) {
        const paths = [...propertyPaths(configItemFixture(file))].filter(
          (p) => /^(configuration|supplementaryConfiguration)\./.test(p) && !known.has(p),
        );
        if (paths.length > 0) unknown[file] = paths;
      }
    }
    expect(unknown).toEqual({});
  });
});
