/** What the AWS scanner tests share: a fixed clock, no rate limit, and a target at the demo account. */
import { readFileSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import {
  scanAwsAccount,
  type AwsAccountScanOptions,
  type AwsAccountTarget,
  type AwsServiceName,
} from './account.ts';
import type { ConfigItem } from './config-item.ts';
import {
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFault,
  type AwsFixtureAccount,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';
import { DEMO_AWS_ACCOUNT_ID, DEMO_AWS_CREDENTIALS } from './fixtures/s3-fixture-account.ts';

export const SCAN_NOW = new Date('2026-05-04T12:00:00.000Z');
export const FAST_SCAN: AwsAccountScanOptions = { now: () => SCAN_NOW, callsPerSecond: 10_000 };

/** The demo account at a fixture server, home region us-east-1, with the demo keys. */
export function demoTarget(server: { url: string }, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget {
  return {
    accountId: DEMO_AWS_ACCOUNT_ID,
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { ...DEMO_AWS_CREDENTIALS },
    ...extra,
  };
}

/** Our own AWS Config configuration items in the shape Config records them, one file per example (fixtures/config-items/). */
export const CONFIG_ITEM_FILES = {
  'AWS::EC2::SecurityGroup': ['security-group.json'],
  'AWS::EC2::Volume': ['volume.json'],
  'AWS::EC2::Instance': ['ec2-instance.json'],
  'AWS::EC2::VPC': ['vpc.json'],
  'AWS::EC2::NetworkAcl': ['network-acl.json'],
  'AWS::RDS::DBInstance': ['db-instance.json'],
  'AWS::KMS::Key': ['kms-key.json'],
  'AWS::CloudTrail::Trail': ['cloudtrail-trail.json'],
  'AWS::S3::Bucket': ['s3-bucket.json', 's3-bucket-unsettled.json'],
  'AWS::DynamoDB::Table': ['dynamodb-table.json'],
  'AWS::Lambda::Function': ['lambda-function.json'],
  'AWS::SecretsManager::Secret': ['secretsmanager-secret.json'],
  'AWS::ECR::Repository': ['ecr-repository.json'],
  'AWS::SNS::Topic': ['sns-topic.json'],
  'AWS::SQS::Queue': ['sqs-queue.json'],
  'AWS::EFS::FileSystem': ['efs-file-system.json'],
  'AWS::CloudWatch::Alarm': ['cloudwatch-alarm.json'],
  'AWS::ACM::Certificate': ['acm-certificate.json'],
  'AWS::WAFv2::WebACL': ['wafv2-web-acl.json'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['elbv2-load-balancer.json'],
  'AWS::ApiGateway::Stage': ['apigateway-stage.json'],
  'AWS::CloudFront::Distribution': ['cloudfront-distribution.json', 'cloudfront-distribution-hardened.json'],
  'AWS::ElasticLoadBalancingV2::Listener': ['elbv2-listener.json', 'elbv2-listener-redirect.json'],
  'AWS::EKS::Cluster': ['eks-cluster.json'],
  'AWS::ECS::Cluster': ['ecs-cluster.json'],
  'AWS::ECS::TaskDefinition': ['ecs-task-definition.json'],
  'AWS::Backup::BackupPlan': ['backup-plan.json'],
  'AWS::Backup::BackupVault': ['backup-vault.json'],
  'AWS::OpenSearch::Domain': ['opensearch-domain.json'],
  'AWS::Redshift::Cluster': ['redshift-cluster.json'],
} as const;

/** A committed configuration item (see CONFIG_ITEM_FILES). */
export function configItemFixture(file: string): ConfigItem & Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`./fixtures/config-items/${file}`, import.meta.url), 'utf8'),
  ) as ConfigItem & Record<string, unknown>;
}

/** Resources by `type id`, without `source`: what must be equal whether read directly or through Config. */
export function withoutSource(resources: Resource[]): Record<string, Omit<Resource, 'source'>> {
  const out: Record<string, Omit<Resource, 'source'>> = {};
  for (const { source: _source, ...rest } of resources) out[`${rest.type} ${rest.id}`] = rest;
  return out;
}

export const byType = (resources: Resource[], type: string): Resource[] =>
  resources.filter((r) => r.type === type);

/**
 * The demo account's `services` scanned twice: directly (Config off), and from a copy whose regions record
 * every type through Config. `start` starts a fixture server the calling suite closes.
 */
export async function directAndConfig(
  start: (account: AwsFixtureAccount) => Promise<AwsFixtureServer>,
  services: AwsServiceName[],
) {
  const directServer = await start(demoAwsAccount({ asOf: SCAN_NOW }));
  const direct = await scanAwsAccount(demoTarget(directServer, { services, useConfig: false }), FAST_SCAN);
  const configServer = await start(withConfigRecording(demoAwsAccount({ asOf: SCAN_NOW })));
  const viaConfig = await scanAwsAccount(demoTarget(configServer, { services }), FAST_SCAN);
  return { direct, viaConfig, directServer, configServer };
}

/** Starts a fixture server for `account` (with optional faults); the caller's suite closes it. */
export type StartFixtureServer = (
  account: AwsFixtureAccount,
  faults?: AwsFault[],
) => Promise<AwsFixtureServer>;

/**
 * A `start` for one test file: every server it starts is closed after the test that started it. Call it at
 * the top level of the file, so the `afterEach` belongs to that file even when workers share modules.
 */
export function fixtureServersClosedAfterEach(): StartFixtureServer {
  const servers: AwsFixtureServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  return async (account, faults = []) => {
    const server = await startAwsFixtureServer({ account, faults });
    servers.push(server);
    return server;
  };
}

/**
 * One service of the demo account scanned directly, with the `denied` operations refused
 * (`service:Operation`, or `service:Operation@region` for one region only).
 */
export async function scanWithDeniedOperations(
  start: StartFixtureServer,
  service: AwsServiceName,
  ...denied: string[]
) {
  const account = demoAwsAccount({ asOf: SCAN_NOW });
  account.deniedOperations.push(...denied);
  return scanAwsAccount(
    demoTarget(await start(account), { services: [service], useConfig: false }),
    FAST_SCAN,
  );
}
