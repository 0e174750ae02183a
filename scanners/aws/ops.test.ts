// SNS topics, SQS queues, EFS file systems, log groups, metric filters and CloudWatch alarms, read through the
// real SDK v3 clients over HTTP from the fixture server (awsQuery, awsJson1_0, restJson1, awsJson1_1), once on
// the direct APIs and once through AWS Config, which must give the same resources.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import { AwsScanContext } from './aws-context.ts';
import { resourcesFromItems, type RegionalConfigType } from './config.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  withConfigRecording,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';
import { policyAccess } from './policy-access.ts';
import { logGroupOf } from './trail-monitoring.ts';
import {
  CONFIG_ITEM_FILES,
  configItemFixture,
  demoTarget,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
} from './testing.ts';

const SERVICES = ['sns', 'sqs', 'efs', 'logs', 'cloudwatch'] as const;
const start = fixtureServersClosedAfterEach();

const target = (s: AwsFixtureServer, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget =>
  demoTarget(s, { services: [...SERVICES], regions: ['us-east-1', 'eu-west-1'], ...extra });

function withoutSource(resources: Resource[]): Record<string, Omit<Resource, 'source'>> {
  const out: Record<string, Omit<Resource, 'source'>> = {};
  for (const { source: _source, ...rest } of resources) out[rest.id] = rest;
  return out;
}

const A = DEMO_AWS_ACCOUNT_ID;
const byId = (resources: Resource[], id: string) => resources.find((r) => r.id === id)?.attributes;

describe('SNS, SQS, EFS, CloudWatch Logs and CloudWatch', () => {
  it('reads each type on the direct APIs', async () => {
    const s = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const { resources, errors } = await scanAwsAccount(target(s, { useConfig: false }), FAST_SCAN);
    expect(errors).toEqual([]);
    const key =
      resources.length > 0 ? byId(resources, `arn:aws:sns:us-east-1:${A}:security-alerts-east`) : {};
    expect(key).toMatchObject({
      topic_name: 'security-alerts-east',
      policy_public: false,
      policy_cross_account_ids: [],
      subscriptions_confirmed: 2,
      subscription_protocols: ['https', 'sqs'],
    });
    expect(byId(resources, `arn:aws:sns:us-east-1:${A}:build-notifications-east`)).toEqual({
      topic_name: 'build-notifications-east',
      kms_master_key_id: null,
      policy_public: true,
      policy_cross_account_ids: [],
      subscriptions_confirmed: 1,
      subscription_protocols: ['http'],
    });
    expect(byId(resources, `arn:aws:sns:eu-west-1:${A}:partner-events-west`)).toMatchObject({
      kms_master_key_id: 'alias/aws/sns',
      policy_public: false,
      policy_cross_account_ids: ['444455556666'],
    });
    expect(byId(resources, `arn:aws:sqs:us-east-1:${A}:alert-intake-east`)).toMatchObject({
      sse_type: 'KMS',
      policy_public: false,
      dead_letter_target_arn: `arn:aws:sqs:us-east-1:${A}:alert-intake-dlq-east`,
    });
    expect(byId(resources, `arn:aws:sqs:us-east-1:${A}:alert-intake-dlq-east`)).toMatchObject({
      sse_type: 'SQS_MANAGED',
      kms_master_key_id: null,
      dead_letter_target_arn: null,
    });
    expect(byId(resources, `arn:aws:sqs:us-east-1:${A}:legacy-jobs-east`)).toMatchObject({
      sse_type: 'NONE',
      policy_public: true,
    });
    const efs = resources.filter((r) => r.type === 'aws.efs.file_system' && r.region === 'us-east-1');
    expect(efs.map((r) => r.attributes)).toEqual([
      expect.objectContaining({
        encrypted: true,
        backup_policy_status: 'ENABLED',
        tags: { Name: 'shared-home-east', 'data-classification': 'internal' },
      }),
      {
        file_system_id: 'fs-009f8e7d6c5b4a3f2e',
        encrypted: false,
        kms_key_id: null,
        tags: { Name: 'scratch-east' },
        backup_policy_status: 'DISABLED',
      },
    ]);
    expect(byId(resources, `arn:aws:logs:us-east-1:${A}:log-group:/app/east/debug`)).toEqual({
      log_group_name: '/app/east/debug',
      retention_in_days: null,
      kms_key_id: null,
    });
    const filters = resources.filter((r) => r.type === 'aws.logs.metric_filter' && r.region === 'us-east-1');
    expect(filters.length).toBe(15);
    expect(
      byId(resources, `arn:aws:logs:us-east-1:${A}:log-group:cloudtrail:metric-filter:root-usage`),
    ).toMatchObject({
      log_group_arn: `arn:aws:logs:us-east-1:${A}:log-group:cloudtrail`,
      metric_transformations: [{ metric_name: 'RootAccountUsage', metric_namespace: 'CISBenchmark' }],
    });
    expect(byId(resources, `arn:aws:cloudwatch:us-east-1:${A}:alarm:http-5xx-east`)).toEqual({
      alarm_name: 'http-5xx-east',
      metric_name: 'Http5xx',
      namespace: 'App',
      actions_enabled: false,
      alarm_actions: [`arn:aws:sns:us-east-1:${A}:build-notifications-east`],
    });
    // Every call went to its own service, signed with its own name (CloudTrail for the monitoring chain).
    expect(new Set(s.requests.map((r) => r.service))).toEqual(
      new Set(['sns', 'sqs', 'elasticfilesystem', 'logs', 'monitoring', 'cloudtrail']),
    );
  });

  it('gives the same resources through AWS Config, reading directly only what Config does not record', async () => {
    const direct = await scanAwsAccount(
      target(await start(demoAwsAccount({ asOf: SCAN_NOW })), { useConfig: false }),
      FAST_SCAN,
    );
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: SCAN_NOW })));
    const viaConfig = await scanAwsAccount(target(s), FAST_SCAN);
    expect(viaConfig.errors).toEqual([]);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    const apis = new Set(viaConfig.resources.filter((r) => r.source?.api === 'config').map((r) => r.type));
    expect(apis).toEqual(
      new Set(['aws.sns.topic', 'aws.sqs.queue', 'aws.efs.file_system', 'aws.cloudwatch.alarm']),
    );
    const operations = new Set(s.requests.map((r) => `${r.service}:${r.operation}`));
    for (const listing of [
      'sns:ListTopics',
      'sqs:ListQueues',
      'elasticfilesystem:DescribeFileSystems',
      'elasticfilesystem:DescribeBackupPolicy',
      'monitoring:DescribeAlarms',
    ])
      expect(operations.has(listing), listing).toBe(false);
    for (const needed of [
      'sns:GetTopicAttributes',
      'sns:ListSubscriptionsByTopic',
      'sqs:GetQueueAttributes',
      'logs:DescribeLogGroups',
      'logs:DescribeMetricFilters',
    ])
      expect(operations.has(needed), needed).toBe(true);
  });

  it('turns a refused call into a scan error naming the permission, and scans on', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations = [
      'sns:GetTopicAttributes',
      'sqs:ListQueues',
      'elasticfilesystem:DescribeBackupPolicy',
      'logs:DescribeMetricFilters',
      'monitoring:DescribeAlarms',
    ];
    const s = await start(account);
    const { resources, errors } = await scanAwsAccount(
      target(s, { useConfig: false, regions: ['us-east-1'] }),
      FAST_SCAN,
    );
    const missing = new Set(errors.map((e) => e.missing_permission));
    expect(missing).toEqual(
      new Set([
        'sns:GetTopicAttributes',
        'sqs:ListQueues',
        'elasticfilesystem:DescribeBackupPolicy',
        'logs:DescribeMetricFilters',
        'cloudwatch:DescribeAlarms',
      ]),
    );
    // What could be read still is: topics without their policy and key, file systems without backup status.
    const topic = byId(resources, `arn:aws:sns:us-east-1:${A}:security-alerts-east`);
    expect(topic).toEqual({
      topic_name: 'security-alerts-east',
      subscriptions_confirmed: 2,
      subscription_protocols: ['https', 'sqs'],
    });
    const fs = resources.find((r) => r.type === 'aws.efs.file_system');
    expect(fs?.attributes).not.toHaveProperty('backup_policy_status');
    expect(fs?.attributes).toHaveProperty('encrypted', true);
    expect(resources.filter((r) => r.type === 'aws.logs.log_group')).toHaveLength(4);
    expect(resources.filter((r) => r.type === 'aws.sqs.queue' || r.type === 'aws.cloudwatch.alarm')).toEqual(
      [],
    );
  });

  it('normalizes our committed Config items', async () => {
    const s = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const ctx = new AwsScanContext(DEMO_AWS_ACCOUNT_ID, { ...DEMO_AWS_CREDENTIALS }, s.url, FAST_SCAN);
    const normalize = async (type: RegionalConfigType) =>
      (
        await resourcesFromItems(
          ctx,
          'eu-west-1',
          type,
          [configItemFixture(CONFIG_ITEM_FILES[type][0])],
          'config',
        )
      )[0];
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    expect(await normalize('AWS::EFS::FileSystem')).toMatchObject({
      id: 'arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-0a1b2c3d4e5f60718',
      attributes: {
        file_system_id: 'fs-0a1b2c3d4e5f60718',
        encrypted: true,
        kms_key_id: key,
        backup_policy_status: 'ENABLED',
      },
    });
    expect(await normalize('AWS::CloudWatch::Alarm')).toMatchObject({
      id: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:ledger-5xx',
      attributes: {
        metric_name: 'Http5xx',
        namespace: 'Ledger',
        actions_enabled: true,
        alarm_actions: ['arn:aws:sns:eu-west-1:123456789012:ledger-alerts'],
      },
    });
    ctx.close();
  });

  it('reads who a resource policy lets in', () => {
    const doc = (statement: Record<string, unknown>) => JSON.stringify({ Statement: [statement] });
    expect(policyAccess(undefined, A)).toBeNull();
    expect(policyAccess('{not json', A)).toBeUndefined();
    expect(policyAccess(doc({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sqs:*' }), A)).toEqual({
      public: true,
      crossAccounts: [],
    });
    expect(
      policyAccess(
        doc({
          Effect: 'Allow',
          Principal: '*',
          Action: 'sns:Publish',
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::b' } },
        }),
        A,
      ),
    ).toEqual({ public: false, crossAccounts: [] });
    // A condition that does not narrow who calls leaves the statement public.
    expect(
      policyAccess(
        doc({
          Effect: 'Allow',
          Principal: '*',
          Action: 'sns:Publish',
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        }),
        A,
      ),
    ).toEqual({ public: true, crossAccounts: [] });
    expect(policyAccess(doc({ Effect: 'Deny', Principal: '*', Action: '*' }), A)).toEqual({
      public: false,
      crossAccounts: [],
    });
    expect(
      policyAccess(
        doc({
          Effect: 'Allow',
          Principal: { AWS: ['111122223333', `arn:aws:iam::${A}:role/x`, 'arn:aws:iam::444455556666:root'] },
        }),
        A,
      ),
    ).toEqual({ public: false, crossAccounts: ['111122223333', '444455556666'] });
  });

  it("joins the trail-to-alert chain of the region that holds the trail's log group", async () => {
    const s = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const { resources, errors } = await scanAwsAccount(
      target(s, { useConfig: false, services: ['cloudwatch'] }),
      FAST_SCAN,
    );
    expect(errors).toEqual([]);
    const chain = (region: string) =>
      resources.find((r) => r.type === 'aws.cloudwatch.trail_monitoring' && r.region === region)?.attributes;
    // eu-west-1's own trail delivers to no log group: nothing to judge there.
    expect(chain('eu-west-1')).toEqual({ trails: [], metric_filters: [], alarms: [] });
    const east = chain('us-east-1') as Record<string, Record<string, unknown>[]>;
    expect(east.trails).toEqual([
      {
        trail_arn: `arn:aws:cloudtrail:us-east-1:${A}:trail/org-audit-trail`,
        is_multi_region: true,
        is_logging: true,
        log_group_name: 'cloudtrail',
      },
    ]);
    expect(east.metric_filters?.map((f) => f.filter_name)).toEqual([
      'unauthorized-api-calls',
      'console-signin-without-mfa',
      'root-usage',
      'iam-policy-changes',
      'cloudtrail-changes',
      'security-group-changes',
      'console-auth-failures',
      'kms-key-disable',
      's3-bucket-policy-changes',
      'config-changes',
      'network-acl-changes',
      'network-gateway-changes',
      'route-table-changes',
      'vpc-changes',
    ]);
    // Only alarms on the filters' metrics, each with its topics' confirmed subscriptions.
    expect(east.alarms).toHaveLength(14);
    expect(east.alarms?.[0]).toEqual({
      alarm_name: 'cis-unauthorized-api-calls',
      metric_name: 'UnauthorizedAPICalls',
      namespace: 'CISBenchmark',
      actions_enabled: true,
      sns_topics: [
        { topic_arn: `arn:aws:sns:us-east-1:${A}:security-alerts-east`, subscriptions_confirmed: 2 },
      ],
    });
    expect(s.requests.filter((r) => r.operation === 'DescribeAlarmsForMetric')).toHaveLength(14);
  });

  it('leaves out the links it could not read, naming the permission', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations = ['monitoring:DescribeAlarmsForMetric', 'sns:ListSubscriptionsByTopic'];
    const s = await start(account);
    const { resources, errors } = await scanAwsAccount(
      target(s, { useConfig: false, services: ['cloudwatch'], regions: ['us-east-1'] }),
      FAST_SCAN,
    );
    expect(errors.map((e) => e.missing_permission)).toEqual(['cloudwatch:DescribeAlarmsForMetric']);
    const chain = resources.find((r) => r.type === 'aws.cloudwatch.trail_monitoring')?.attributes;
    expect(chain).toHaveProperty('metric_filters');
    expect(chain).not.toHaveProperty('alarms');
  });

  it('reads the region and name of a log group ARN', () => {
    expect(logGroupOf('arn:aws:logs:us-east-1:123456789012:log-group:cloudtrail:*')).toEqual({
      region: 'us-east-1',
      name: 'cloudtrail',
    });
    expect(logGroupOf('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/x:y')).toEqual({
      region: 'eu-west-1',
      name: '/aws/x:y',
    });
    expect(logGroupOf('arn:aws:s3:::bucket')).toBeNull();
  });
});
