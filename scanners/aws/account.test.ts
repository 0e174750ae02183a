// The AWS account scanner through the real SDK v3 clients (IAM, STS, EC2, RDS, KMS, CloudTrail,
// GuardDuty, S3), over HTTP, against the wire-level AWS fixture server and its fault scripts.
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { ScanFailedError, type ScanProgress } from '../types.ts';
import {
  AWS_CONFIG_ONLY_SERVICES,
  AWS_SERVICES,
  scanAwsAccount,
  type AwsAccountScanOptions,
  type AwsAccountTarget,
} from './account.ts';
import { demoS3Account } from './fixtures/s3-fixture-account.ts';
import {
  DEMO_ASSUME_ROLE,
  DEMO_AWS_LEGACY,
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFault,
  type AwsFixtureAccount,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const ACCOUNT = DEMO_AWS_ACCOUNT_ID;

let server: AwsFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  opts: { account?: AwsFixtureAccount; faults?: AwsFault[] } = {},
): Promise<AwsFixtureServer> {
  server = await startAwsFixtureServer({
    account: opts.account ?? demoAwsAccount({ asOf: NOW }),
    faults: opts.faults ?? [],
  });
  return server;
}

function target(s: AwsFixtureServer, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget {
  return {
    accountId: ACCOUNT,
    region: 'us-east-1',
    endpoint: s.url,
    credentials: { ...DEMO_AWS_CREDENTIALS },
    ...extra,
  };
}

const fast: AwsAccountScanOptions = { now: () => NOW, callsPerSecond: 10_000 };

function find(resources: Resource[], type: string, name: string): Resource {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}`);
  return found;
}

function countByType(resources: Resource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

describe('scanAwsAccount against the demo sandbox', () => {
  it('collects every service in every enabled region as valid resources', async () => {
    const s = await start();
    const progress: ScanProgress[] = [];
    // The sandbox has no Config recorder: the services read only through Config are tested in config.test.ts.
    const services = AWS_SERVICES.filter((name) => !AWS_CONFIG_ONLY_SERVICES.includes(name));
    const outcome = await scanAwsAccount(target(s, { services }), {
      ...fast,
      onProgress: (p) => progress.push(p),
    });

    expect(countByType(outcome.resources)).toEqual({
      'aws.s3.bucket': 12,
      'aws.iam.account': 1,
      'aws.iam.user': 42,
      'aws.iam.role': 28,
      'aws.cloudtrail.trail': 2,
      'aws.ec2.account': 3,
      'aws.ec2.security_group': 75,
      'aws.ec2.volume': 120,
      'aws.ec2.instance': 15,
      'aws.ec2.vpc': 6,
      'aws.ec2.network_acl': 7,
      'aws.ec2.snapshot': 12,
      'aws.rds.db_instance': 24,
      'aws.kms.key': 30,
      'aws.guardduty.detector': 3,
      'aws.config.recorder': 3,
      'aws.sns.topic': 12,
      'aws.sqs.queue': 9,
      'aws.efs.file_system': 6,
      'aws.eks.cluster': 9,
      'aws.ecs.cluster': 6,
      'aws.ecs.task_definition': 9,
      'aws.ssm.managed_instance': 13,
      'aws.ssm.document': 9,
      'aws.logs.log_group': 10,
      'aws.logs.metric_filter': 17,
      'aws.cloudwatch.alarm': 20,
      'aws.cloudwatch.trail_monitoring': 3,
      'aws.elasticache.replication_group': 9,
      'aws.opensearch.domain': 9,
      'aws.redshift.cluster': 6,
      'aws.securityhub.hub': 3,
      'aws.accessanalyzer.region': 3,
      'aws.organizations.account': 1,
      'aws.account.contacts': 1,
      'aws.backup.plan': 9,
      'aws.backup.vault': 9,
      'aws.backup.region_settings': 3,
      'aws.acm.certificate': 12,
      'aws.wafv2.web_acl': 7,
      'aws.elbv2.load_balancer': 9,
      'aws.elbv2.listener': 18,
      'aws.apigateway.stage': 6,
      'aws.cloudfront.distribution': 2,
      'aws.dynamodb.table': 12,
      'aws.lambda.function': 15,
      'aws.secretsmanager.secret': 12,
      'aws.ecr.repository': 9,
    });
    for (const r of outcome.resources) expect(assertValidResource(r)).toBe(r);
    expect(new Set(outcome.resources.map((r) => r.id)).size).toBe(outcome.resources.length);
    // Only the one S3 denial the demo scripts.
    expect(outcome.errors.map((e) => e.operation)).toEqual(['s3:GetPublicAccessBlock']);
    expect(outcome.progress).toMatchObject({ phase: 'done', resources_collected: 661, errors: 1 });
    expect(outcome.progress.calls_made).toBe(s.requests.length + s.s3.requests.length);
    // Progress counts never go down.
    for (let i = 1; i < progress.length; i += 1) {
      expect(progress[i]!.calls_made).toBeGreaterThanOrEqual(progress[i - 1]!.calls_made);
      expect(progress[i]!.resources_collected).toBeGreaterThanOrEqual(progress[i - 1]!.resources_collected);
    }
    // Regional calls were signed for each region DescribeRegions named.
    expect(new Set(s.requests.filter((r) => r.service === 'rds').map((r) => r.region))).toEqual(
      new Set(['us-east-1', 'eu-west-1', 'us-west-2']),
    );
  });

  it('normalizes IAM: account, users with MFA and key ages, roles with trust analysis', async () => {
    const s = await start();
    const { resources } = await scanAwsAccount(target(s, { services: ['iam'] }), fast);
    expect(find(resources, 'aws.iam.account', ACCOUNT)).toMatchObject({
      id: `arn:aws:iam::${ACCOUNT}:root`,
      region: 'global',
      attributes: {
        password_policy: {
          minimum_password_length: 8,
          require_symbols: false,
          expire_passwords: false,
          max_password_age: null,
          password_reuse_prevention: 5,
        },
        root_mfa_enabled: true,
        root_access_keys_present: false,
        root_hardware_mfa_enabled: true,
        root_password_last_used_age_days: 45,
        users_count: 42,
      },
    });
    const bob = find(resources, 'aws.iam.user', 'bob.legacy');
    expect(bob.attributes).toMatchObject({
      console_access: true,
      password_last_used_age_days: 200,
      mfa_enabled: false,
      mfa_devices: [],
      attached_policies: [
        { policy_name: 'PowerUserAccess', policy_arn: 'arn:aws:iam::aws:policy/PowerUserAccess' },
      ],
      inline_policy_names: ['legacy-s3-access'],
      groups: [],
    });
    expect(bob.attributes.access_keys).toEqual([
      expect.objectContaining({
        access_key_id: 'AKIADEMOBOB000000001',
        status: 'Active',
        age_days: 400,
        last_used_date: null,
        last_used_age_days: null,
        last_used_service: null,
      }),
      expect.objectContaining({
        status: 'Inactive',
        age_days: 800,
        last_used_age_days: 500,
        last_used_service: 's3',
      }),
    ]);
    expect(find(resources, 'aws.iam.user', 'ci-deployer').attributes).toMatchObject({
      console_access: false,
      password_last_used: null,
    });
    expect(find(resources, 'aws.iam.role', 'ComplyWiseAudit').attributes).toMatchObject({
      trusted_aws_principals: ['arn:aws:iam::999988887777:root'],
      trust_requires_external_id: true,
      service_linked: false,
      last_used_age_days: 0,
    });
    expect(find(resources, 'aws.iam.role', 'vendor-support').attributes).toMatchObject({
      trust_requires_external_id: false,
      max_session_duration_seconds: 43200,
      last_used_date: null,
    });
    expect(find(resources, 'aws.iam.role', 'AWSServiceRoleForSupport').attributes).toMatchObject({
      service_linked: true,
      trusted_services: ['support.amazonaws.com'],
    });
  });

  it('tells a root user with a virtual MFA device from one with a hardware key', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    account.root.mfa = 'virtual';
    const { resources } = await scanAwsAccount(target(await start({ account }), { services: ['iam'] }), fast);
    expect(find(resources, 'aws.iam.account', ACCOUNT).attributes).toMatchObject({
      root_mfa_enabled: true,
      root_hardware_mfa_enabled: false,
    });
  });

  it('normalizes the regional services with compliant and non-compliant examples of each', async () => {
    const s = await start();
    const { resources } = await scanAwsAccount(
      target(s, { services: ['cloudtrail', 'ec2', 'rds', 'kms', 'guardduty'] }),
      fast,
    );
    expect(find(resources, 'aws.cloudtrail.trail', 'org-audit-trail')).toMatchObject({
      region: 'us-east-1',
      attributes: {
        is_multi_region_trail: true,
        log_file_validation_enabled: true,
        is_logging: true,
        management_events: 'All',
      },
    });
    expect(find(resources, 'aws.cloudtrail.trail', 'eu-app-trail')).toMatchObject({
      region: 'eu-west-1',
      attributes: {
        is_multi_region_trail: false,
        kms_key_id: null,
        is_logging: false,
        latest_delivery_time: null,
        management_events: 'WriteOnly',
      },
    });
    const byRegion = (type: string) =>
      new Map(resources.filter((r) => r.type === type).map((r) => [r.region, r.attributes]));
    expect(byRegion('aws.ec2.account').get('us-west-2')).toEqual({
      ebs_encryption_by_default: false,
      ebs_default_kms_key_id: null,
    });
    expect(byRegion('aws.ec2.account').get('us-east-1')?.ebs_default_kms_key_id).toMatch(
      /^arn:aws:kms:us-east-1:/,
    );
    expect(byRegion('aws.guardduty.detector').get('us-west-2')).toEqual({
      detector_id: null,
      enabled: false,
      finding_publishing_frequency: null,
      features: [],
    });
    expect(byRegion('aws.guardduty.detector').get('us-east-1')).toMatchObject({
      enabled: true,
      features: expect.arrayContaining([{ name: 'S3_DATA_EVENTS', enabled: true }]),
    });

    const groups = resources.filter((r) => r.type === 'aws.ec2.security_group');
    const sshOpen = groups.find((g) => g.name.startsWith('ssh-open'));
    expect(sshOpen?.attributes.ingress_rules).toEqual([
      {
        protocol: 'tcp',
        from_port: 22,
        to_port: 22,
        ipv4_cidrs: ['0.0.0.0/0'],
        ipv6_cidrs: [],
        prefix_list_ids: [],
        security_group_ids: [],
      },
    ]);
    const defaults = groups.filter((g) => g.attributes.is_default);
    expect(defaults).toHaveLength(3);
    expect(defaults[0]?.attributes.ingress_rules).toEqual([
      expect.objectContaining({
        protocol: 'all',
        from_port: 0,
        to_port: 65535,
        security_group_ids: [defaults[0]?.attributes.group_id],
      }),
    ]);

    const values = (type: string, key: string) =>
      new Set(resources.filter((r) => r.type === type).map((r) => r.attributes[key]));
    expect(values('aws.ec2.volume', 'encrypted')).toEqual(new Set([true, false]));
    expect(values('aws.rds.db_instance', 'publicly_accessible')).toEqual(new Set([true, false]));
    expect(values('aws.rds.db_instance', 'storage_encrypted')).toEqual(new Set([true, false]));
    expect(values('aws.rds.db_instance', 'backup_retention_period')).toEqual(new Set([0, 7, 14]));
    expect(values('aws.rds.db_instance', 'copy_tags_to_snapshot')).toEqual(new Set([true, false]));
    expect(values('aws.rds.db_instance', 'port')).toEqual(new Set([6543, 5432, 3306]));
    expect(values('aws.kms.key', 'rotation_enabled')).toEqual(new Set([true, false, null]));
    const asymmetric = resources.find(
      (r) => r.type === 'aws.kms.key' && r.attributes.key_spec === 'RSA_2048',
    );
    expect(asymmetric?.attributes).toMatchObject({
      rotation_enabled: null,
      rotation_period_days: null,
      key_manager: 'CUSTOMER',
    });
    // AWS managed keys rotate every year, fixed: no call for them, nor for a key that cannot rotate.
    const managed = resources.filter((r) => r.type === 'aws.kms.key' && r.attributes.key_manager === 'AWS');
    expect(managed).toHaveLength(9);
    expect(
      managed.every((k) => k.attributes.rotation_enabled && k.attributes.rotation_period_days === 365),
    ).toBe(true);
    const asked = s.requests.filter((r) => r.operation === 'GetKeyRotationStatus');
    expect(asked).toHaveLength(
      resources.filter(
        (r) =>
          r.type === 'aws.kms.key' &&
          r.attributes.key_manager === 'CUSTOMER' &&
          r.attributes.key_spec === 'SYMMETRIC_DEFAULT',
      ).length,
    );
    expect(asked).toHaveLength(18);
  });

  it('normalizes instances, VPCs with their flow logs and network ACLs from the direct EC2 answers', async () => {
    const s = await start();
    const { resources, errors } = await scanAwsAccount(
      target(s, { services: ['ec2'], useConfig: false }),
      fast,
    );
    expect(errors).toEqual([]);
    const inRegion = (type: string, region: string) =>
      resources.filter((r) => r.type === type && r.region === region);
    const instances = new Map(inRegion('aws.ec2.instance', 'eu-west-1').map((r) => [r.name, r]));
    expect(instances.get('bastion-west')).toMatchObject({
      id: expect.stringMatching(/^arn:aws:ec2:eu-west-1:\d{12}:instance\/i-[0-9a-f]{17}$/),
      attributes: {
        state: 'running',
        public_ip_address: '18.201.4.18',
        metadata_http_endpoint: 'disabled',
        metadata_http_tokens: 'optional',
        metadata_hop_limit: 2,
        iam_instance_profile_arn: expect.stringMatching(/:instance-profile\/bastion-instance-profile$/),
      },
    });
    expect(instances.get('app-west')?.attributes).toMatchObject({
      public_ip_address: null,
      metadata_http_tokens: 'optional',
      monitoring_state: 'disabled',
      ssm_managed: true,
    });
    expect(instances.get('batch-west')?.attributes).toMatchObject({
      state: 'stopped',
      metadata_http_tokens: 'required',
    });
    // Without an instance profile its agent never registered with Systems Manager.
    expect(instances.get('legacy-ftp-west')?.attributes).toMatchObject({
      iam_instance_profile_arn: null,
      ssm_managed: false,
    });

    const vpcs = inRegion('aws.ec2.vpc', 'eu-west-1');
    expect(vpcs.map((v) => [v.attributes.is_default, v.attributes.flow_logs])).toEqual([
      [
        false,
        [
          expect.objectContaining({
            status: 'ACTIVE',
            traffic_type: 'ACCEPT',
            destination_type: 's3',
            deliver_logs_status: 'SUCCESS',
          }),
        ],
      ],
      [true, []],
    ]);

    const acls = new Map(
      inRegion('aws.ec2.network_acl', 'eu-west-1').map((r) => [r.attributes.is_default, r]),
    );
    const tier = acls.get(false);
    expect(tier?.name).toBe('public-tier-west');
    expect(tier?.attributes.ingress_entries).toEqual([
      {
        rule_number: 100,
        action: 'allow',
        protocol: 'tcp',
        from_port: 443,
        to_port: 443,
        ipv4_cidr: '0.0.0.0/0',
        ipv6_cidr: null,
      },
      {
        rule_number: 105,
        action: 'deny',
        protocol: 'tcp',
        from_port: 3389,
        to_port: 3389,
        ipv4_cidr: '0.0.0.0/0',
        ipv6_cidr: null,
      },
      {
        rule_number: 110,
        action: 'allow',
        protocol: 'tcp',
        from_port: 22,
        to_port: 22,
        ipv4_cidr: '10.0.0.0/8',
        ipv6_cidr: null,
      },
      {
        rule_number: 120,
        action: 'allow',
        protocol: 'tcp',
        from_port: 1024,
        to_port: 65535,
        ipv4_cidr: '0.0.0.0/0',
        ipv6_cidr: null,
      },
      {
        rule_number: 32767,
        action: 'deny',
        protocol: 'all',
        from_port: 0,
        to_port: 65535,
        ipv4_cidr: '0.0.0.0/0',
        ipv6_cidr: null,
      },
    ]);
    expect(acls.get(true)?.attributes.subnet_ids).toHaveLength(1);
    expect(inRegion('aws.ec2.network_acl', 'us-west-2')).toHaveLength(3);
  });

  it('reads the snapshots the account owns with who may restore them, and records a refused permission read', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    account.deniedOperations = ['ec2:DescribeSnapshotAttribute@us-west-2'];
    const s = await start({ account });
    const { resources, errors } = await scanAwsAccount(target(s, { services: ['ec2'] }), fast);
    const snapshots = new Map(
      resources.filter((r) => r.type === 'aws.ec2.snapshot').map((r) => [`${r.region} ${r.name}`, r]),
    );
    expect(snapshots.size).toBe(12);
    expect(snapshots.get('eu-west-1 orders-db-nightly-west')).toMatchObject({
      id: expect.stringMatching(/^arn:aws:ec2:eu-west-1:\d{12}:snapshot\/snap-[0-9a-f]{17}$/),
      attributes: {
        state: 'completed',
        encrypted: true,
        kms_key_id: expect.stringMatching(/^arn:aws:kms:eu-west-1:/),
        volume_id: expect.stringMatching(/^vol-/),
        public: false,
        shared_with_accounts: [],
      },
    });
    expect(snapshots.get('eu-west-1 analytics-export-west')?.attributes.shared_with_accounts).toEqual([
      '444455556666',
    ]);
    expect(snapshots.get('eu-west-1 ami-build-scratch-west')?.attributes).toMatchObject({
      public: true,
      encrypted: false,
      kms_key_id: null,
    });
    // Where the permissions could not be read they are absent (the rules say error), and the scan says why.
    const unread = snapshots.get('us-west-2 ami-build-scratch-west')?.attributes;
    expect(unread).toMatchObject({ encrypted: false });
    expect(unread).not.toHaveProperty('public');
    expect(errors.filter((e) => e.operation === 'ec2:DescribeSnapshotAttribute')).toHaveLength(4);
    expect(errors[0]).toMatchObject({ missing_permission: 'ec2:DescribeSnapshotAttribute' });
    // Only the account's own snapshots are asked for, never the public catalogue.
    expect(s.requests.filter((r) => r.operation === 'DescribeSnapshots')).toHaveLength(3);
  });

  it('reports the Config recorder of each region, and a region without one as such', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    withConfigRecording(account, { recording: true, resourceTypes: 'all' }, ['us-east-1']);
    withConfigRecording(account, { recording: false, resourceTypes: ['AWS::EC2::Volume'] }, ['eu-west-1']);
    const s = await start({ account });
    const { resources, errors } = await scanAwsAccount(target(s, { services: ['config'] }), fast);
    expect(errors).toEqual([]);
    const byRegion = new Map(resources.map((r) => [r.region, r]));
    expect(byRegion.get('us-east-1')).toMatchObject({
      type: 'aws.config.recorder',
      id: `arn:aws:config:us-east-1:${ACCOUNT}:configuration-recorder/default`,
      source: { api: 'config' },
      attributes: {
        recorder_name: 'default',
        recording: true,
        last_status: 'success',
        last_status_change_time: '2026-05-04T06:00:00.000Z',
        all_supported: true,
        recording_strategy: 'ALL_SUPPORTED_RESOURCE_TYPES',
        include_global_resource_types: true,
        resource_types: [],
      },
    });
    expect(byRegion.get('eu-west-1')?.attributes).toMatchObject({
      recording: false,
      last_status: 'pending',
      all_supported: false,
      recording_strategy: 'INCLUSION_BY_RESOURCE_TYPES',
      resource_types: ['AWS::EC2::Volume'],
    });
    expect(byRegion.get('us-west-2')).toMatchObject({
      id: `arn:aws:config:us-west-2:${ACCOUNT}:configuration-recorder/none`,
      attributes: { recorder_name: null, recording: false, last_status: null, all_supported: false },
    });
    // No status call where there is no recorder to ask about.
    expect(s.requests.filter((r) => r.operation === 'DescribeConfigurationRecorderStatus')).toHaveLength(2);
  });

  it('leaves the recording state out when the status call is refused, and says which permission to grant', async () => {
    const account = withConfigRecording(demoAwsAccount({ asOf: NOW }));
    account.deniedOperations = ['config:DescribeConfigurationRecorderStatus@eu-west-1'];
    const s = await start({ account });
    const { resources, errors } = await scanAwsAccount(
      target(s, { services: ['config'], useConfig: false }),
      fast,
    );
    const west = resources.find((r) => r.region === 'eu-west-1');
    expect(west?.attributes).not.toHaveProperty('recording');
    expect(west?.attributes).toMatchObject({ recorder_name: 'default', all_supported: true });
    expect(errors).toEqual([
      expect.objectContaining({ missing_permission: 'config:DescribeConfigurationRecorderStatus' }),
    ]);
  });

  it('reads every page when the pages are small', async () => {
    const s = await start();
    const big = await scanAwsAccount(target(s, { services: ['iam', 'ec2', 'rds', 'kms'] }), fast);
    const bigCalls = s.requests.length;
    s.requests.length = 0;
    const small = await scanAwsAccount(target(s, { services: ['iam', 'ec2', 'rds', 'kms'] }), {
      ...fast,
      pageSize: 5,
    });
    expect(small.resources.map((r) => r.id).sort()).toEqual(big.resources.map((r) => r.id).sort());
    expect(s.requests.length).toBeGreaterThan(bigCalls);
    expect(s.requests.filter((r) => r.operation === 'ListUsers')).toHaveLength(9); // 42 users, 5 a page
    expect(s.requests.filter((r) => r.operation === 'DescribeVolumes')).toHaveLength(24); // 3 regions × 8 pages
  });

  it('serves a second, legacy demo account whose account-level settings differ', async () => {
    server = await startAwsFixtureServer({
      account: demoAwsAccount({ asOf: NOW, variant: 'legacy' }),
      s3Account: { ...demoS3Account(), accountId: DEMO_AWS_LEGACY.accountId, buckets: [] },
    });
    const outcome = await scanAwsAccount(
      {
        accountId: DEMO_AWS_LEGACY.accountId,
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { ...DEMO_AWS_LEGACY.credentials },
        services: ['s3', 'iam'],
      },
      fast,
    );
    expect(outcome.errors).toEqual([]);
    const account = find(outcome.resources, 'aws.iam.account', DEMO_AWS_LEGACY.accountId);
    expect(account.id).toBe('arn:aws:iam::210987654321:root');
    expect(account.attributes).toMatchObject({
      root_mfa_enabled: false,
      root_access_keys_present: true,
      root_hardware_mfa_enabled: false,
      password_policy: {
        minimum_password_length: 14,
        require_symbols: true,
        password_reuse_prevention: 24,
        max_password_age: 90,
      },
    });
    expect(outcome.resources.filter((r) => r.type === 'aws.s3.bucket')).toHaveLength(0);
    expect(outcome.resources.every((r) => r.account === DEMO_AWS_LEGACY.accountId)).toBe(true);
  });

  it('scans only the configured regions', async () => {
    const s = await start();
    const { resources } = await scanAwsAccount(
      target(s, { services: ['ec2'], regions: ['eu-west-1'] }),
      fast,
    );
    expect(new Set(resources.map((r) => r.region))).toEqual(new Set(['eu-west-1']));
    expect(s.requests.some((r) => r.operation === 'DescribeRegions')).toBe(false);
  });
});

describe('scanAwsAccount with partial permissions and faults', () => {
  it('records each refused call with the IAM action to grant, leaves those attributes absent and goes on', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    account.deniedOperations = [
      'iam:ListMFADevices',
      'ec2:DescribeVolumes@eu-west-1',
      'kms:GetKeyRotationStatus',
      'guardduty:ListDetectors',
    ];
    const s = await start({ account });
    const outcome = await scanAwsAccount(target(s, { services: ['iam', 'ec2', 'kms', 'guardduty'] }), fast);
    const denied = (op: string) => outcome.errors.filter((e) => e.operation === op);
    expect(denied('iam:ListMFADevices')).toHaveLength(42);
    expect(denied('iam:ListMFADevices')[0]).toMatchObject({
      code: 'AccessDenied',
      missing_permission: 'iam:ListMFADevices',
      resource_id: expect.stringMatching(/:user\//),
    });
    expect(denied('ec2:DescribeVolumes')).toEqual([
      expect.objectContaining({ code: 'UnauthorizedOperation', missing_permission: 'ec2:DescribeVolumes' }),
    ]);
    expect(denied('kms:GetKeyRotationStatus')[0]).toMatchObject({
      code: 'AccessDeniedException',
      missing_permission: 'kms:GetKeyRotationStatus',
    });
    expect(denied('guardduty:ListDetectors')).toHaveLength(3);

    const bob = find(outcome.resources, 'aws.iam.user', 'bob.legacy');
    expect(bob.attributes).not.toHaveProperty('mfa_enabled');
    expect(bob.attributes).not.toHaveProperty('mfa_devices');
    expect(bob.attributes).toHaveProperty('access_keys');
    const keys = outcome.resources.filter(
      (r) => r.type === 'aws.kms.key' && r.attributes.key_spec === 'SYMMETRIC_DEFAULT',
    );
    const customer = keys.filter((k) => k.attributes.key_manager === 'CUSTOMER');
    expect(customer.length).toBeGreaterThan(0);
    expect(customer.every((k) => !('rotation_enabled' in k.attributes))).toBe(true);
    // AWS managed keys need no call, so the refusal does not touch them.
    expect(
      keys.filter((k) => k.attributes.key_manager === 'AWS').every((k) => k.attributes.rotation_enabled),
    ).toBe(true);
    const volumes = outcome.resources.filter((r) => r.type === 'aws.ec2.volume');
    expect(new Set(volumes.map((v) => v.region))).toEqual(new Set(['us-east-1', 'us-west-2']));
    expect(outcome.resources.some((r) => r.type === 'aws.guardduty.detector')).toBe(false);
  });

  it('retries throttling and 5xx answers inside the SDK and counts each logical call once', async () => {
    const s = await start({
      faults: [
        {
          service: 'iam',
          operation: 'ListUsers',
          status: 400,
          code: 'Throttling',
          message: 'Rate exceeded',
          times: 1,
        },
        {
          service: 'ec2',
          operation: 'DescribeSecurityGroups',
          region: 'eu-west-1',
          status: 503,
          code: 'Unavailable',
          times: 2,
        },
        {
          service: 'kms',
          operation: 'ListKeys',
          region: 'us-east-1',
          status: 400,
          code: 'ThrottlingException',
          times: 1,
          retryAfterSeconds: 0,
        },
      ],
    });
    const outcome = await scanAwsAccount(target(s, { services: ['iam', 'ec2', 'kms'] }), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'aws.iam.user')).toHaveLength(42);
    expect(
      outcome.resources.filter((r) => r.type === 'aws.ec2.security_group' && r.region === 'eu-west-1'),
    ).toHaveLength(25);
    expect(s.requests.filter((r) => r.operation === 'ListUsers').map((r) => r.status)).toEqual([400, 200]);
    expect(
      s.requests
        .filter((r) => r.operation === 'DescribeSecurityGroups' && r.region === 'eu-west-1')
        .map((r) => r.status),
    ).toEqual([503, 503, 200]);
    expect(outcome.progress.calls_made).toBe(s.requests.length - 4);
  });

  it('gives up on a call that keeps failing, records it, and finishes the rest', async () => {
    const s = await start({
      faults: [
        {
          service: 'rds',
          operation: 'DescribeDBInstances',
          region: 'eu-west-1',
          status: 500,
          code: 'InternalFailure',
        },
      ],
    });
    const outcome = await scanAwsAccount(target(s, { services: ['rds'] }), fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'rds:DescribeDBInstances',
        code: 'InternalFailure',
        missing_permission: null,
      }),
    ]);
    expect(outcome.resources).toHaveLength(16);
    expect(
      s.requests.filter((r) => r.region === 'eu-west-1' && r.operation === 'DescribeDBInstances'),
    ).toHaveLength(3);
  });

  it('waits for a slow answer', async () => {
    const s = await start({
      faults: [
        { service: 'guardduty', operation: 'ListDetectors', region: 'us-east-1', delayMs: 300, times: 1 },
      ],
    });
    const started = Date.now();
    const outcome = await scanAwsAccount(target(s, { services: ['guardduty'] }), fast);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(outcome.resources).toHaveLength(3);
  });

  it('turns an answer the SDK cannot parse into a scan error for that call, not a crash', async () => {
    const s = await start({
      faults: [
        {
          service: 'ec2',
          operation: 'DescribeVolumes',
          region: 'us-west-2',
          body: '<DescribeVolumesResponse><volumeSet><item><size>not-a-number',
        },
      ],
    });
    const outcome = await scanAwsAccount(target(s, { services: ['ec2'] }), fast);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatchObject({ operation: 'ec2:DescribeVolumes', missing_permission: null });
    expect(outcome.resources.filter((r) => r.type === 'aws.ec2.volume')).toHaveLength(80);
  });

  it('applies the rate limiter: calls never exceed the configured rate', async () => {
    const s = await start();
    const started = Date.now();
    const outcome = await scanAwsAccount(
      target(s, { services: ['guardduty', 'cloudtrail'], regions: ['us-east-1', 'eu-west-1', 'us-west-2'] }),
      {
        now: () => NOW,
        callsPerSecond: 20,
      },
    );
    const elapsed = Date.now() - started;
    // 20 burst tokens, then 20 a second.
    expect(outcome.progress.calls_made).toBeGreaterThan(10);
    expect(elapsed).toBeGreaterThanOrEqual(
      Math.max(0, ((outcome.progress.calls_made - 20) / 20) * 1000) - 50,
    );
  });

  it('paces and counts the S3 calls with the same limiter and counter as every other call', async () => {
    const s = await start();
    const started = Date.now();
    const outcome = await scanAwsAccount(target(s, { services: ['s3'] }), {
      now: () => NOW,
      callsPerSecond: 40,
    });
    const elapsed = Date.now() - started;
    // Every S3 request the fixture answered is one call of the account scan (no retries happen here)...
    expect(s.s3.requests.length).toBeGreaterThan(60);
    expect(outcome.progress.calls_made).toBe(s.s3.requests.length);
    // ...and waited for the account's limiter: 40 burst tokens, then 40 a second.
    expect(elapsed).toBeGreaterThanOrEqual(((s.s3.requests.length - 40) / 40) * 1000 - 50);
  });
});

describe('scanAwsAccount credentials', () => {
  it('assumes the role with its external id and scans with the temporary credentials', async () => {
    const s = await start();
    const outcome = await scanAwsAccount(
      target(s, {
        services: ['s3', 'kms'],
        regions: ['us-east-1'],
        roleArn: DEMO_ASSUME_ROLE.arn,
        externalId: DEMO_ASSUME_ROLE.externalId,
      }),
      fast,
    );
    expect(outcome.errors.map((e) => e.operation)).toEqual(['s3:GetPublicAccessBlock']);
    expect(s.requests[0]).toMatchObject({
      service: 'sts',
      operation: 'AssumeRole',
      accessKeyId: DEMO_AWS_CREDENTIALS.accessKeyId,
    });
    const assumedKey = s.account.assumableRoles[0]?.issues.accessKeyId;
    expect(s.requests.slice(1).every((r) => r.accessKeyId === assumedKey)).toBe(true);
    expect(s.s3.requests.every((r) => r.accessKeyId === assumedKey)).toBe(true);
    expect(outcome.resources.filter((r) => r.type === 'aws.s3.bucket')).toHaveLength(12);
  });

  it('fails fast naming sts:AssumeRole when the external id is wrong', async () => {
    const s = await start();
    const error = await scanAwsAccount(
      target(s, { roleArn: DEMO_ASSUME_ROLE.arn, externalId: 'wrong' }),
      fast,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', missingPermission: 'sts:AssumeRole' });
    expect((error as Error).message).toContain(DEMO_ASSUME_ROLE.arn);
    expect(s.requests).toHaveLength(1);
  });

  it('fails fast on an unknown access key, without the secret anywhere', async () => {
    const s = await start();
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYNOTASECRET';
    const error = await scanAwsAccount(
      target(s, {
        services: ['iam', 'ec2'],
        credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: secret },
      }),
      fast,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect((error as Error).message).toContain('ending in 0000');
    expect(inspect(error, { depth: 8 })).not.toContain(secret);
    expect(s.requests.length).toBeLessThanOrEqual(2);
  });

  it('fails fast with EXPIRED_CREDENTIALS on an expired session, on the JSON protocol too', async () => {
    const account = demoAwsAccount({ asOf: NOW });
    const expired = {
      accessKeyId: 'ASIAEXPIRED000000001',
      secretAccessKey: 'expired-secret-value-0000000000000000',
      sessionToken: 'expired-session-token',
    };
    account.credentials.push({ ...expired, expired: true });
    const s = await start({ account });
    const error = await scanAwsAccount(
      target(s, { services: ['kms'], regions: ['us-east-1'], credentials: expired }),
      fast,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXPIRED_CREDENTIALS' });
    expect(inspect(error, { depth: 8 })).not.toContain(expired.sessionToken);
  });

  it('fails with ENDPOINT_UNREACHABLE when nothing answers', async () => {
    const s = await start();
    const url = s.url;
    await s.close();
    server = undefined;
    const error = await scanAwsAccount(
      {
        accountId: ACCOUNT,
        region: 'us-east-1',
        endpoint: url,
        credentials: { ...DEMO_AWS_CREDENTIALS },
        services: ['iam'],
      },
      fast,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ENDPOINT_UNREACHABLE' });
  });

  it('refuses a malformed target, naming the fields', async () => {
    const error = await scanAwsAccount({
      accountId: '12',
      region: 'nowhere',
      credentials: { accessKeyId: '', secretAccessKey: 'x' },
      services: ['s4' as 's3'],
      roleArn: 'role',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    for (const field of ['accountId', 'region', 'services', 'roleArn', 'credentials.accessKeyId'])
      expect((error as Error).message).toContain(field);
  });

  it('stops at the next call when aborted', async () => {
    const s = await start();
    const controller = new AbortController();
    const promise = scanAwsAccount(target(s), {
      ...fast,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.calls_made >= 30) controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
