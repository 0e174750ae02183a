// EKS and ECS in the AWS scanner through their real SDK v3 clients over HTTP against the fixture server
// (EKS in restJson1, ECS in awsJson1_1): the direct APIs and AWS Config give the same resources, only the
// latest active revision of each task definition family is kept, and a refused call becomes a ScanError
// naming the permission while the scan goes on.
import { describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { DEMO_AWS_ACCOUNT_ID } from './fixtures/s3-fixture-account.ts';
import {
  byType,
  demoTarget,
  directAndConfig,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
  withoutSource,
  scanWithDeniedOperations,
} from './testing.ts';
import { demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

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
    const outcome = await scanWithDeniedOperations(start, 'eks', 'eks:DescribeCluster@eu-west-1');
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
      environment_variable_names: [],
    });
    expect(tasks.find((r) => r.name === 'batch-east:4')?.attributes).toMatchObject({
      privileged_containers: [],
      writable_root_containers: ['worker'],
      root_user_containers: ['worker'],
      unlogged_containers: [],
      environment_variable_names: ['worker/DB_PASSWORD', 'worker/QUEUE_URL'],
    });
    const clusters = byType(direct.resources, 'aws.ecs.cluster');
    expect(clusters.find((r) => r.name === 'prod-east')?.attributes).toEqual({
      container_insights: 'enabled',
      execute_command_logging: 'OVERRIDE',
      execute_command_log_group: '/ecs/exec/prod-east',
      execute_command_s3_bucket: null,
      execute_command_logged: true,
      execute_command_kms_key_id:
        'arn:aws:kms:us-east-1:123456789012:key/0c0ffee0-eks0-4000-8000-east00000000',
    });
    expect(clusters.find((r) => r.name === 'dev-east')?.attributes).toMatchObject({
      container_insights: 'disabled',
      execute_command_logging: 'DEFAULT',
      execute_command_logged: false,
      execute_command_kms_key_id: null,
    });
  });

  it('records a refused DescribeTaskDefinition with its permission and still reads the clusters', async () => {
    const outcome = await scanWithDeniedOperations(start, 'ecs', 'ecs:DescribeTaskDefinition@us-west-2');
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

describe('Systems Manager nodes and documents', () => {
  it('joins each node with its patch and association compliance and reads who documents are shared with', async () => {
    const server = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['ssm'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toEqual([]);
    const nodes = byType(outcome.resources, 'aws.ssm.managed_instance');
    // Four EC2 instances a region (the legacy FTP host has no instance profile) and one hybrid server.
    expect(nodes).toHaveLength(13);
    expect(new Set(server.requests.filter((r) => r.service === 'ssm').map((r) => r.operation))).toEqual(
      new Set([
        'DescribeInstanceInformation',
        'ListResourceComplianceSummaries',
        'ListDocuments',
        'DescribeDocumentPermission',
        'GetDocument',
      ]),
    );
    const east = demoAwsAccount({ asOf: SCAN_NOW }).regions.find((r) => r.name === 'us-east-1');
    const appId = east?.instances?.find((i) => i.name === 'app-east')?.id ?? '';
    expect(appId).toMatch(/^i-/);
    expect(nodes.find((r) => r.name === appId)).toMatchObject({
      id: `arn:aws:ssm:us-east-1:${server.account.accountId}:managed-instance/${appId}`,
      attributes: {
        instance_id: appId,
        resource_type: 'EC2Instance',
        platform_type: 'Linux',
        ping_status: 'Online',
        agent_version: '3.2.582.0',
        agent_is_latest_version: false,
        patch_compliance: 'NON_COMPLIANT',
        patch_non_compliant_count: 3,
        association_compliance: 'NON_COMPLIANT',
      },
    });
    const bastionId = east?.instances?.find((i) => i.name === 'bastion-east')?.id ?? '';
    expect(nodes.find((r) => r.name === bastionId)?.attributes).toMatchObject({
      patch_compliance: null,
      patch_non_compliant_count: null,
      association_compliance: 'COMPLIANT',
    });
    expect(nodes.find((r) => r.name === 'mi-0a1b2c3d4e5f60718')?.attributes).toMatchObject({
      resource_type: 'ManagedInstance',
      platform_type: 'Windows',
    });

    const documents = byType(outcome.resources, 'aws.ssm.document');
    expect(
      documents.filter((d) => d.region === 'us-east-1').map((d) => [d.name, d.attributes.public]),
    ).toEqual([
      ['patch-runbook-east', false],
      ['deploy-app-east', false],
      ['SSM-SessionManagerRunShell', false],
      ['collect-diagnostics', true],
    ]);
    // Session Manager preferences: read from the Session document's content, in each region that saved them.
    const preferences = documents
      .filter((d) => d.name === 'SSM-SessionManagerRunShell')
      .sort((a, b) => b.region.localeCompare(a.region));
    expect(preferences.map((d) => [d.region, d.attributes])).toEqual([
      [
        'us-east-1',
        expect.objectContaining({
          document_type: 'Session',
          session_log_s3_bucket: null,
          session_log_group: '/ssm/sessions',
          session_kms_key_id: 'alias/ssm-sessions',
          session_idle_timeout_minutes: 15,
          session_max_duration_minutes: 120,
        }),
      ],
      [
        'eu-west-1',
        expect.objectContaining({
          session_log_s3_bucket: null,
          session_log_group: null,
          session_kms_key_id: null,
          session_idle_timeout_minutes: 60,
          session_max_duration_minutes: null,
        }),
      ],
    ]);
    // Only Session documents are fetched.
    expect(server.requests.filter((r) => r.operation === 'GetDocument')).toHaveLength(2);
    expect(documents.find((d) => d.name === 'deploy-app-east')?.attributes).toEqual({
      document_name: 'deploy-app-east',
      document_type: 'Command',
      document_format: 'YAML',
      created_date: '2025-05-12T09:00:00.000Z',
      public: false,
      shared_with_accounts: ['444455556666'],
    });
  });

  it('records refused compliance and permission reads, and keeps the nodes and documents without them', async () => {
    const outcome = await scanWithDeniedOperations(
      start,
      'ssm',
      'ssm:ListResourceComplianceSummaries@eu-west-1',
      'ssm:DescribeDocumentPermission@us-west-2',
    );
    // Two compliance listings in eu-west-1, two documents in us-west-2.
    expect(outcome.errors.map((e) => [e.operation, e.missing_permission])).toEqual([
      ...Array(2).fill(['ssm:ListResourceComplianceSummaries', 'ssm:ListResourceComplianceSummaries']),
      ...Array(2).fill(['ssm:DescribeDocumentPermission', 'ssm:DescribeDocumentPermission']),
    ]);
    const west = byType(outcome.resources, 'aws.ssm.managed_instance').filter(
      (r) => r.region === 'eu-west-1',
    );
    expect(west).toHaveLength(4);
    for (const node of west) {
      expect(node.attributes).not.toHaveProperty('patch_compliance');
      expect(node.attributes).not.toHaveProperty('association_compliance');
      expect(node.attributes.ping_status).toBeDefined();
    }
    const oregon = byType(outcome.resources, 'aws.ssm.document').filter((r) => r.region === 'us-west-2');
    expect(oregon).toHaveLength(2);
    for (const d of oregon) expect(d.attributes).not.toHaveProperty('public');
  });

  it('leaves Session Manager preferences out, naming ssm:GetDocument, when the content is refused', async () => {
    const outcome = await scanWithDeniedOperations(start, 'ssm', 'ssm:GetDocument@us-east-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'ssm:GetDocument',
        resource_id: `arn:aws:ssm:us-east-1:${DEMO_AWS_ACCOUNT_ID}:document/SSM-SessionManagerRunShell`,
        missing_permission: 'ssm:GetDocument',
      }),
    ]);
    const preferences = byType(outcome.resources, 'aws.ssm.document').find(
      (d) => d.region === 'us-east-1' && d.name === 'SSM-SessionManagerRunShell',
    );
    expect(preferences?.attributes).toMatchObject({ document_type: 'Session', public: false });
    expect(preferences?.attributes).not.toHaveProperty('session_log_group');
    expect(preferences?.attributes).not.toHaveProperty('session_idle_timeout_minutes');
  });
});

describe('EC2 instances joined with Systems Manager', () => {
  it('leaves ssm_managed out, naming the permission, when the managed nodes cannot be listed', async () => {
    const outcome = await scanWithDeniedOperations(start, 'ec2', 'ssm:DescribeInstanceInformation@us-west-2');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'ssm:DescribeInstanceInformation',
        missing_permission: 'ssm:DescribeInstanceInformation',
      }),
    ]);
    const instances = byType(outcome.resources, 'aws.ec2.instance');
    expect(instances).toHaveLength(15);
    for (const i of instances)
      if (i.region === 'us-west-2') expect(i.attributes).not.toHaveProperty('ssm_managed');
      else expect(i.attributes.ssm_managed).toBe(!i.name.startsWith('legacy-ftp-'));
  });
});
