// EKS and ECS in the AWS scanner through their real SDK v3 clients over HTTP against the fixture server
// (EKS in restJson1, ECS in awsJson1_1): the direct APIs and AWS Config give the same resources, only the
// latest active revision of each task definition family is kept, and a refused call becomes a ScanError
// naming the permission while the scan goes on.
import { afterEach, describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { FAST_SCAN, SCAN_NOW, byType, demoTarget, directAndConfig, withoutSource } from './testing.ts';
import {
  demoAwsAccount,
  startAwsFixtureServer,
  type AwsFixtureAccount,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const servers: AwsFixtureServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(account: AwsFixtureAccount): Promise<AwsFixtureServer> {
  const server = await startAwsFixtureServer({ account });
  servers.push(server);
  return server;
}

describe('EKS clusters', () => {
  it('reads endpoint access, logging, secrets encryption and version directly and through Config alike', async () => {
    const { direct, viaConfig, directServer, configServer } = await directAndConfig(start, ['eks']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    const clusters = byType(direct.resources, 'aws.eks.cluster');
    expect(clusters).toHaveLength(9);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(viaConfig.resources.map((r) => r.source?.api))).toEqual(new Set(['config']));
    expect(configServer.requests.filter((r) => r.service === 'eks')).toEqual([]);
    expect(new Set(directServer.requests.filter((r) => r.service === 'eks').map((r) => r.operation))).toEqual(
      new Set(['ListClusters', 'DescribeCluster']),
    );
    const sandbox = clusters.find((r) => r.name === 'sandbox-east');
    expect(sandbox?.attributes).toEqual({
      version: '1.29',
      kubernetes_minor_version: 29,
      endpoint_public_access: true,
      endpoint_private_access: false,
      public_access_cidrs: ['0.0.0.0/0'],
      endpoint_open_to_internet: true,
      enabled_log_types: [],
      secrets_encrypted: false,
      secrets_kms_key_arn: null,
      authentication_mode: 'CONFIG_MAP',
    });
    expect(clusters.find((r) => r.name === 'partner-west')?.attributes).toMatchObject({
      public_access_cidrs: ['203.0.113.0/24'],
      endpoint_open_to_internet: false,
      enabled_log_types: ['api', 'authenticator'],
      secrets_encrypted: true,
    });
    expect(clusters.find((r) => r.name === 'platform-east')?.attributes).toMatchObject({
      endpoint_public_access: false,
      public_access_cidrs: [],
      endpoint_open_to_internet: false,
      enabled_log_types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'],
    });
  });

  it('records a refused DescribeCluster with its permission and keeps scanning', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('eks:DescribeCluster@eu-west-1');
    const outcome = await scanAwsAccount(
      demoTarget(await start(account), { services: ['eks'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toHaveLength(3);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'eks:DescribeCluster',
      code: 'AccessDeniedException',
      missing_permission: 'eks:DescribeCluster',
    });
    expect(
      byType(outcome.resources, 'aws.eks.cluster')
        .map((r) => r.region)
        .sort(),
    ).toEqual([...Array(3).fill('us-east-1'), ...Array(3).fill('us-west-2')]);
  });
});

describe('ECS clusters and task definitions', () => {
  it('keeps the latest active revision per family, directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['ecs']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(byType(direct.resources, 'aws.ecs.cluster')).toHaveLength(6);
    const tasks = byType(direct.resources, 'aws.ecs.task_definition');
    expect(
      tasks
        .filter((r) => r.region === 'us-east-1')
        .map((r) => r.name)
        .sort(),
    ).toEqual(['batch-east:4', 'node-agent-east:1', 'web-east:3']);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(configServer.requests.filter((r) => r.service === 'ecs')).toEqual([]);
    expect(tasks.find((r) => r.name === 'node-agent-east:1')?.attributes).toEqual({
      family: 'node-agent-east',
      revision: 1,
      network_mode: 'host',
      requires_compatibilities: ['EC2'],
      container_names: ['agent'],
      privileged_containers: ['agent'],
      writable_root_containers: ['agent'],
      root_user_containers: ['agent'],
      unlogged_containers: ['agent'],
    });
    expect(tasks.find((r) => r.name === 'batch-east:4')?.attributes).toMatchObject({
      privileged_containers: [],
      writable_root_containers: ['worker'],
      root_user_containers: ['worker'],
      unlogged_containers: [],
    });
    const clusters = byType(direct.resources, 'aws.ecs.cluster');
    expect(clusters.find((r) => r.name === 'prod-east')?.attributes).toEqual({
      container_insights: 'enabled',
      execute_command_logging: 'OVERRIDE',
      execute_command_log_group: '/ecs/exec/prod-east',
      execute_command_s3_bucket: null,
      execute_command_logged: true,
      execute_command_kms_key_id: null,
    });
    expect(clusters.find((r) => r.name === 'dev-east')?.attributes).toMatchObject({
      container_insights: 'disabled',
      execute_command_logging: 'DEFAULT',
      execute_command_logged: false,
    });
  });

  it('records a refused DescribeTaskDefinition with its permission and still reads the clusters', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('ecs:DescribeTaskDefinition@us-west-2');
    const outcome = await scanAwsAccount(
      demoTarget(await start(account), { services: ['ecs'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toHaveLength(3);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'ecs:DescribeTaskDefinition',
      code: 'AccessDeniedException',
      missing_permission: 'ecs:DescribeTaskDefinition',
    });
    expect(byType(outcome.resources, 'aws.ecs.cluster')).toHaveLength(6);
    expect(
      byType(outcome.resources, 'aws.ecs.task_definition').filter((r) => r.region === 'us-west-2'),
    ).toEqual([]);
  });
});
