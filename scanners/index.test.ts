// scanIntegration dispatches on the provider: AWS through the real scanner and fixture server.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from './aws/fixtures/s3-fixture-server.ts';
import { startAwsFixtureServer, type AwsFixtureServer } from './aws/fixtures/aws-fixture-server.ts';
import {
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_WORKLOAD_ACCOUNT,
  demoAwsOrganization,
} from './aws/fixtures/aws-fixture-organization.ts';
import {
  DEMO_GITHUB_TOKEN,
  demoGithubData,
  startGithubFixtureServer,
  type GithubFixtureServer,
} from './github/fixtures/github-fixture-server.ts';
import {
  DEMO_OKTA_TOKEN,
  demoOktaOrg,
  startOktaFixtureServer,
  type OktaFixtureServer,
} from './okta/fixtures/okta-fixture-server.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  startAzureFixtureServer,
  type AzureFixtureServer,
} from './azure/fixtures/azure-fixture-server.ts';
import { AWS_SERVICES, ScanFailedError, scanIntegration, type ScannableIntegration } from './index.ts';
import { OKTA_SCOPES } from './okta/okta.ts';
import { testRsaKey } from './test-keys.ts';

let server:
  | S3FixtureServer
  | AwsFixtureServer
  | GithubFixtureServer
  | OktaFixtureServer
  | AzureFixtureServer
  | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/**
 * Scans for these tests, which are about dispatch and what each provider's scan finds, not pacing (the scan
 * context and rate limiter tests cover that): unpaced instead of at each provider's polite default rate.
 */
const scanUnpaced = (integration: ScannableIntegration) =>
  scanIntegration(integration, { callsPerSecond: 10_000 });

describe('scanIntegration', () => {
  it('scans an AWS integration with its config and credentials', async () => {
    server = await startS3FixtureServer();
    const outcome = await scanUnpaced({
      provider: 'aws',
      config: { accountId: '123456789012', region: 'eu-west-1', endpoint: server.url },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(outcome.resources).toHaveLength(12);
    expect(outcome.resources.every((r) => r.type === 'aws.s3.bucket' && r.account === '123456789012')).toBe(
      true,
    );
    expect(server.requests[0]).toMatchObject({ operation: 'ListBuckets', signingRegion: 'eu-west-1' });
  });

  it('scans every listed AWS service, through an assumed role, when the config lists services', async () => {
    const aws = await startAwsFixtureServer();
    server = aws;
    const outcome = await scanUnpaced({
      provider: 'aws',
      config: {
        accountId: '123456789012',
        region: 'us-east-1',
        endpoint: aws.url,
        services: [...AWS_SERVICES],
        regions: ['us-east-1'],
        roleArn: 'arn:aws:iam::123456789012:role/ComplyWiseAudit',
        externalId: 'complywise-demo-external-id',
      },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    const types = new Set(outcome.resources.map((r) => r.type));
    expect(types).toEqual(
      new Set([
        'aws.s3.bucket',
        'aws.iam.account',
        'aws.iam.user',
        'aws.iam.role',
        'aws.cloudtrail.trail',
        'aws.ec2.account',
        'aws.ec2.security_group',
        'aws.ec2.volume',
        'aws.ec2.instance',
        'aws.ec2.vpc',
        'aws.ec2.network_acl',
        'aws.ec2.snapshot',
        'aws.config.recorder',
        'aws.rds.db_instance',
        'aws.kms.key',
        'aws.guardduty.detector',
        'aws.acm.certificate',
        'aws.wafv2.web_acl',
        'aws.elbv2.load_balancer',
        'aws.elbv2.listener',
        'aws.apigateway.stage',
        'aws.cloudfront.distribution',
        'aws.sns.topic',
        'aws.sqs.queue',
        'aws.efs.file_system',
        'aws.eks.cluster',
        'aws.ecs.cluster',
        'aws.ecs.task_definition',
        'aws.ssm.managed_instance',
        'aws.ssm.document',
        'aws.logs.log_group',
        'aws.logs.metric_filter',
        'aws.cloudwatch.alarm',
        'aws.cloudwatch.trail_monitoring',
        // Read directly when Config is off (the sandbox has no recorder here).
        'aws.dynamodb.table',
        'aws.lambda.function',
        'aws.secretsmanager.secret',
        'aws.ecr.repository',
        'aws.elasticache.replication_group',
        'aws.opensearch.domain',
        'aws.redshift.cluster',
        'aws.securityhub.hub',
        'aws.accessanalyzer.region',
        'aws.organizations.account',
        'aws.account.contacts',
        'aws.backup.plan',
        'aws.backup.vault',
        'aws.backup.region_settings',
      ]),
    );
    expect(aws.requests[0]).toMatchObject({ operation: 'AssumeRole' });
  });

  it('scans every account of an organization when the config names the member role', async () => {
    const org = demoAwsOrganization();
    const aws = await startAwsFixtureServer({ account: org.management, members: org.members });
    server = aws;
    const outcome = await scanUnpaced({
      provider: 'aws',
      config: {
        accountId: '123456789012',
        region: 'us-east-1',
        endpoint: aws.url,
        services: ['iam'],
        useConfig: false,
        organization: {
          memberRoleName: DEMO_ORG_MEMBER_ROLE.name,
          externalId: DEMO_ORG_MEMBER_ROLE.externalId,
        },
      },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(new Set(outcome.resources.map((r) => r.account))).toEqual(
      new Set(['123456789012', '210987654321', DEMO_ORG_WORKLOAD_ACCOUNT]),
    );
    expect(outcome.errors.map((e) => e.code)).toEqual(['AccessDenied']);
    expect(aws.requests[0]).toMatchObject({ operation: 'ListAccounts' });
  });

  it('scans a GitHub integration with its organizations and token', async () => {
    const github = await startGithubFixtureServer();
    server = github;
    const outcome = await scanUnpaced({
      provider: 'github',
      config: { organizations: ['acme-labs'], baseUrl: github.url },
      credentials: { token: DEMO_GITHUB_TOKEN },
    });
    expect(outcome.resources.map((r) => r.type).filter((t) => t === 'github.repository')).toHaveLength(12);
    expect(new Set(outcome.resources.map((r) => r.type))).toEqual(
      new Set([
        'github.organization',
        'github.repository',
        'github.webhook',
        'github.deploy_key',
        'github.app_installation',
      ]),
    );
    expect(outcome.resources[0]).toMatchObject({
      id: 'github:org/acme-labs',
      provider: 'github',
      account: 'acme-labs',
    });
  });

  it('scans an Okta integration with its org URL and token', async () => {
    const oktaServer = await startOktaFixtureServer();
    server = oktaServer;
    const outcome = await scanUnpaced({
      provider: 'okta',
      config: { orgUrl: oktaServer.url },
      credentials: { token: DEMO_OKTA_TOKEN },
    });
    expect(outcome.resources.filter((r) => r.type === 'okta.user')).toHaveLength(60);
    expect(outcome.resources.filter((r) => r.type === 'okta.policy')).toHaveLength(8);
    expect(new Set(outcome.resources.map((r) => r.type))).toEqual(
      new Set([
        'okta.user',
        'okta.policy',
        'okta.authenticator',
        'okta.network_zone',
        'okta.api_token',
        'okta.application',
      ]),
    );
  });

  it('signs in as a GitHub App or an Okta service app when the credentials hold a private key', async () => {
    const { privateKey: privatePem, publicKeyPem: publicPem } = testRsaKey();

    const githubData = demoGithubData();
    githubData.app = { appId: 77, publicKeyPem: publicPem, installations: [{ id: 5, account: 'acme-labs' }] };
    const github = await startGithubFixtureServer({ data: githubData });
    server = github;
    const viaApp = await scanUnpaced({
      provider: 'github',
      config: { organizations: ['acme-labs'], baseUrl: github.url },
      credentials: { appId: 77, installationId: 5, privateKey: privatePem },
    });
    expect(viaApp.resources.some((r) => r.type === 'github.organization')).toBe(true);
    expect(github.requests[0]?.path).toBe('/app/installations/5/access_tokens');
    await github.close();

    const org = demoOktaOrg();
    org.serviceApps = [
      {
        clientId: '0oaIndexTest00001',
        publicKeyPem: publicPem,
        scopes: [...OKTA_SCOPES],
      },
    ];
    const oktaServer = await startOktaFixtureServer({ org });
    server = oktaServer;
    const viaServiceApp = await scanUnpaced({
      provider: 'okta',
      config: { orgUrl: oktaServer.url },
      credentials: { clientId: '0oaIndexTest00001', privateKey: privatePem },
    });
    expect(viaServiceApp.resources.filter((r) => r.type === 'okta.user')).toHaveLength(60);
    expect(oktaServer.requests[0]?.path).toBe('/oauth2/v1/token');
  });

  it('scans an Azure integration with its subscriptions and service principal', async () => {
    const azure = await startAzureFixtureServer();
    server = azure;
    const outcome = await scanUnpaced({
      provider: 'azure',
      config: {
        tenantId: DEMO_AZURE_TENANT_ID,
        subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
        endpoint: azure.url,
      },
      credentials: { ...DEMO_AZURE_CLIENT },
    });
    expect(outcome.resources).toHaveLength(149);
    expect(
      outcome.resources.every((r) => r.provider === 'azure' && r.account === DEMO_AZURE_SUBSCRIPTION_ID),
    ).toBe(true);
  });

  it('refuses a provider without a scanner, naming it', async () => {
    const integration = {
      provider: 'gitlab',
      config: {},
      credentials: {},
    } as unknown as ScannableIntegration;
    const error = await scanIntegration(integration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_PROVIDER' });
    expect((error as Error).message).toContain('"gitlab"');
  });

  it('refuses an AWS integration without credentials', async () => {
    const integration = { provider: 'aws', config: { accountId: '123456789012', region: 'us-east-1' } };
    await expect(scanIntegration(integration as unknown as ScannableIntegration)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
