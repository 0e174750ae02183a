// DynamoDB, Lambda, Secrets Manager and ECR through their real SDK v3 clients over HTTP against the fixture
// server (DynamoDB in awsJson1_0, Lambda in restJson1, Secrets Manager and ECR in awsJson1_1): the direct APIs
// and AWS Config must give the same resources, and a refused call becomes a ScanError naming the permission
// while the scan goes on.
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import {
  directAndConfig,
  fixtureServersClosedAfterEach,
  scanWithDeniedOperations,
  withoutSource,
} from './testing.ts';

const start = fixtureServersClosedAfterEach();

const regions = (resources: Resource[]) => resources.map((r) => r.region).sort();

describe('DynamoDB tables', () => {
  it('reads tables directly and through Config alike', async () => {
    const { direct, viaConfig, directServer, configServer } = await directAndConfig(start, ['dynamodb']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(direct.resources).toHaveLength(12);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(direct.resources.map((r) => r.source?.api))).toEqual(new Set(['dynamodb']));
    expect(new Set(viaConfig.resources.map((r) => r.source?.api))).toEqual(new Set(['config']));
    expect(configServer.requests.filter((r) => r.service === 'dynamodb')).toEqual([]);
    expect(
      new Set(directServer.requests.filter((r) => r.service === 'dynamodb').map((r) => r.operation)),
    ).toEqual(new Set(['ListTables', 'DescribeTable', 'DescribeContinuousBackups']));
    const orders = direct.resources.find((r) => r.name === 'orders-east');
    expect(orders?.attributes).toMatchObject({
      billing_mode: 'PROVISIONED',
      sse_type: 'KMS',
      kms_key_arn: expect.stringMatching(/^arn:aws:kms:us-east-1:/),
      point_in_time_recovery_enabled: true,
    });
    expect(direct.resources.find((r) => r.name === 'sessions-east')?.attributes).toMatchObject({
      sse_type: 'AWS_OWNED',
      kms_key_arn: null,
      point_in_time_recovery_enabled: false,
    });
  });

  it('records a refused DescribeContinuousBackups and keeps the tables without guessing recovery', async () => {
    const outcome = await scanWithDeniedOperations(
      start,
      'dynamodb',
      'dynamodb:DescribeContinuousBackups@eu-west-1',
    );
    expect(outcome.errors).toHaveLength(4);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'dynamodb:DescribeContinuousBackups',
      code: 'AccessDeniedException',
      missing_permission: 'dynamodb:DescribeContinuousBackups',
    });
    const west = outcome.resources.filter((r) => r.region === 'eu-west-1');
    expect(west).toHaveLength(4);
    expect(west.every((r) => !('point_in_time_recovery_enabled' in r.attributes))).toBe(true);
    expect(outcome.resources).toHaveLength(12);
  });

  it('records a refused ListTables with its permission and scans the other regions', async () => {
    const outcome = await scanWithDeniedOperations(start, 'dynamodb', 'dynamodb:ListTables@eu-west-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'dynamodb:ListTables',
        missing_permission: 'dynamodb:ListTables',
      }),
    ]);
    expect(regions(outcome.resources)).toEqual([
      ...Array(4).fill('us-east-1'),
      ...Array(4).fill('us-west-2'),
    ]);
  });
});

describe('Lambda functions', () => {
  it('reads functions directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['lambda']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(direct.resources).toHaveLength(15);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(direct.resources.map((r) => r.source?.api))).toEqual(new Set(['lambda']));
    expect(configServer.requests.filter((r) => r.service === 'lambda')).toEqual([]);
    expect(direct.resources.find((r) => r.name === 'report-builder-east')?.attributes).toMatchObject({
      runtime: null,
      package_type: 'Image',
      vpc_subnet_ids: [expect.stringMatching(/^subnet-/), expect.stringMatching(/^subnet-/)],
      dead_letter_target_arn: expect.stringMatching(/^arn:aws:sqs:us-east-1:\d{12}:lambda-failures$/),
    });
    expect(direct.resources.find((r) => r.name === 'api-handler-east')?.attributes).toHaveProperty(
      'dead_letter_target_arn',
      null,
    );
    // Environment variables by name only, on both paths: no value reaches the inventory.
    expect(direct.resources.find((r) => r.name === 'webhook-relay-east')?.attributes).toMatchObject({
      environment_variable_names: ['TARGET_URL', 'WEBHOOK_SIGNING_SECRET'],
    });
    for (const r of [...direct.resources, ...viaConfig.resources])
      expect(JSON.stringify(r)).not.toContain('fixture-not-a-real-secret');
  });

  it('records a refused ListFunctions with its permission and scans the other regions', async () => {
    const outcome = await scanWithDeniedOperations(start, 'lambda', 'lambda:ListFunctions@eu-west-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'lambda:ListFunctions',
        code: 'AccessDeniedException',
        missing_permission: 'lambda:ListFunctions',
      }),
    ]);
    expect(regions(outcome.resources)).toEqual([
      ...Array(5).fill('us-east-1'),
      ...Array(5).fill('us-west-2'),
    ]);
  });
});

describe('Secrets Manager secrets', () => {
  it('reads secrets directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['secretsmanager']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(direct.resources).toHaveLength(12);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(direct.resources.map((r) => r.source?.api))).toEqual(new Set(['secretsmanager']));
    expect(configServer.requests.filter((r) => r.service === 'secretsmanager')).toEqual([]);
    expect(direct.resources.find((r) => r.name === 'legacy/ftp-password-east')?.attributes).toMatchObject({
      rotation_enabled: false,
      rotation_interval_days: null,
    });
  });

  it('records a refused ListSecrets with its permission and scans the other regions', async () => {
    const outcome = await scanWithDeniedOperations(
      start,
      'secretsmanager',
      'secretsmanager:ListSecrets@eu-west-1',
    );
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'secretsmanager:ListSecrets',
        code: 'AccessDeniedException',
        missing_permission: 'secretsmanager:ListSecrets',
      }),
    ]);
    expect(regions(outcome.resources)).toEqual([
      ...Array(4).fill('us-east-1'),
      ...Array(4).fill('us-west-2'),
    ]);
  });
});

describe('ECR repositories', () => {
  it('reads repositories directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['ecr']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(direct.resources).toHaveLength(9);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(direct.resources.map((r) => r.source?.api))).toEqual(new Set(['ecr']));
    expect(configServer.requests.filter((r) => r.service === 'ecr')).toEqual([]);
    expect(direct.resources.find((r) => r.name === 'worker-east')?.attributes).toMatchObject({
      scan_on_push: false,
      image_tag_mutability: 'MUTABLE',
      encryption_type: 'AES256',
      kms_key_arn: null,
    });
    expect(direct.resources.find((r) => r.name === 'api-east')?.attributes).toMatchObject({
      encryption_type: 'KMS',
      kms_key_arn: expect.stringMatching(/^arn:aws:kms:us-east-1:/),
    });
  });

  it('records a refused DescribeRepositories with its permission and scans the other regions', async () => {
    const outcome = await scanWithDeniedOperations(start, 'ecr', 'ecr:DescribeRepositories@eu-west-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'ecr:DescribeRepositories',
        code: 'AccessDeniedException',
        missing_permission: 'ecr:DescribeRepositories',
      }),
    ]);
    expect(regions(outcome.resources)).toEqual([
      ...Array(3).fill('us-east-1'),
      ...Array(3).fill('us-west-2'),
    ]);
  });
});
