/**
 * AWS as a scanner provider: what an integration stores, its checks, its connection test (STS
 * GetCallerIdentity, after AssumeRole when a role is configured) and which scanner a config selects (the
 * organization, the account's services, or the legacy S3-only scan).
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { ConnectionOptions, ScannerProvider } from '../provider.ts';
import { ScanFailedError, WHOLE_SCAN, type ScanOptions, type ScanOutcome } from '../types.ts';
import {
  assumeRole,
  awsAccountPart,
  awsAccountParts,
  scanAwsAccount,
  type AwsAccountTarget,
  type AwsServiceName,
} from './account.ts';
import { AwsScanContext } from './aws-context.ts';
import { safeErrorMessage } from './aws-errors.ts';
import type { AwsCredentials } from './credentials.ts';
import { listOrganizationParts, organizationPart, scanAwsOrganization } from './organization.ts';
import { scanS3 } from './s3.ts';
import { S3_OPERATIONS } from './s3-operations.ts';
import { AWS_SETTINGS, validateAwsIntegration } from './validate-integration.ts';

/** What an AWS integration stores besides its credentials. */
export interface AwsIntegrationConfig {
  accountId: string;
  /** Home region: global calls go there. */
  region: string;
  endpoint?: string;
  /**
   * Services to scan (see AWS_SERVICES). When absent only S3 is scanned, as integrations created
   * before the other services existed expect; new integrations should list the services (all of
   * AWS_SERVICES by default).
   */
  services?: AwsServiceName[];
  /** Regions to scan; by default every region enabled for the account. */
  regions?: string[];
  /** A role to assume through STS before scanning, and the external id its trust policy requires. */
  roleArn?: string;
  externalId?: string;
  /**
   * Read the resource types AWS Config records through Config where a region's recorder is on
   * (default); false always uses the direct APIs.
   */
  useConfig?: boolean;
  /** A Config aggregator in the home region to read every region (and member account) it collects. */
  configAggregator?: string;
  /**
   * Scan every active account of the organization this (management) account belongs to, through
   * the named role in each member, assumed with the external id.
   */
  organization?: { memberRoleName: string; externalId?: string };
}

export interface AwsIntegration {
  provider: 'aws';
  config: AwsIntegrationConfig;
  credentials: AwsCredentials;
}

/** GetCallerIdentity (after AssumeRole when a role is configured), through the scanner's own AWS context. */
async function awsIdentity(
  { config, credentials }: Omit<AwsIntegration, 'provider'>,
  { egress }: ConnectionOptions,
): Promise<string> {
  const ctx = new AwsScanContext(config.accountId, credentials, config.endpoint, egress ? { egress } : {});
  try {
    if (config.roleArn) {
      const target = {
        region: config.region,
        roleArn: config.roleArn,
        credentials,
        ...(config.externalId ? { externalId: config.externalId } : {}),
      };
      ctx.useCredentials(await assumeRole(ctx, target));
    }
    const sts = ctx.client('sts', config.region, (settings) => new STSClient(settings));
    const who = await ctx.call('sts:GetCallerIdentity', (abortSignal) =>
      sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
    );
    if (!who.ok) {
      throw new ScanFailedError(
        'PROVIDER_ERROR',
        `GetCallerIdentity failed (${who.code}): ${safeErrorMessage(who.error, ctx.redactedSecrets)}`,
      );
    }
    const account = who.value.Account;
    if (account !== config.accountId) {
      throw new ScanFailedError(
        'INVALID_CONFIG',
        `the credentials belong to AWS account ${account ?? '(unknown)'}, not the configured ${config.accountId}`,
      );
    }
    return who.value.Arn ?? `arn:aws:iam::${config.accountId}`;
  } finally {
    ctx.close();
  }
}

/**
 * An account scan of listed services splits by service and region (awsAccountParts); the legacy S3-only
 * scan is one part; an organization scan splits by account, which only its listing tells (awsListParts).
 */
function awsParts({ config }: Omit<AwsIntegration, 'provider'>): string[] {
  return config.services && !config.organization ? awsAccountParts(config) : [WHOLE_SCAN];
}

/** An organization scan's parts: one per active account, listed with ListAccounts (organization.ts). */
async function awsListParts(
  { config, credentials }: Omit<AwsIntegration, 'provider'>,
  options: ScanOptions,
): Promise<string[] | null> {
  if (!config.organization) return null;
  return listOrganizationParts(accountTarget(config, credentials), config.organization, options);
}

/** An organization scan's member parts, by their shape (the listing named them when the scan was planned). */
function awsAcceptsPart({ config }: Omit<AwsIntegration, 'provider'>, key: string): boolean {
  return Boolean(config.organization) && organizationPart(key) !== null;
}

/** The account scan target the config describes (the organization's scanning account, for an organization). */
function accountTarget(config: AwsIntegrationConfig, credentials: AwsCredentials): AwsAccountTarget {
  return {
    accountId: config.accountId,
    region: config.region,
    ...(config.services ? { services: config.services } : {}),
    ...(config.regions ? { regions: config.regions } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.roleArn ? { roleArn: config.roleArn } : {}),
    ...(config.externalId ? { externalId: config.externalId } : {}),
    ...(config.useConfig === false ? { useConfig: false } : {}),
    ...(config.configAggregator ? { configAggregator: config.configAggregator } : {}),
    credentials,
  };
}

/** Which scanner the config selects: the organization, the listed services, or the legacy S3-only scan. */
function scanAws(
  { config, credentials }: Omit<AwsIntegration, 'provider'>,
  options: ScanOptions,
): Promise<ScanOutcome> {
  const part = options.part && options.part !== WHOLE_SCAN ? options.part : null;
  if (config.organization) {
    const member = part ? organizationPart(part) : null;
    if (part && !member) {
      throw new ScanFailedError('INVALID_CONFIG', `an organization scan has no part ${JSON.stringify(part)}`);
    }
    return scanAwsOrganization(accountTarget(config, credentials), config.organization, {
      ...options,
      ...(member ? { member } : {}),
    });
  }
  if (config.services) {
    return scanAwsAccount(
      { ...accountTarget(config, credentials), ...(part ? { part: awsAccountPart(part) } : {}) },
      options,
    );
  }
  return scanS3(
    {
      accountId: config.accountId,
      region: config.region,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      credentials,
    },
    options,
  );
}

/** The IAM action each call of the scans needs (the S3 calls by their IAM name, the others by their own). */
const AWS_PERMISSIONS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    Object.entries(S3_OPERATIONS).map(([operation, action]) => [`s3:${operation}`, action]),
  ),
  ...Object.fromEntries(
    [
      'sts:AssumeRole',
      'sts:GetCallerIdentity',
      'organizations:ListAccounts',
      'ec2:DescribeRegions',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeVolumes',
      'ec2:DescribeInstances',
      'ec2:DescribeVpcs',
      'ec2:DescribeFlowLogs',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeSnapshots',
      'ec2:DescribeSnapshotAttribute',
      'ec2:GetEbsDefaultKmsKeyId',
      'ec2:GetEbsEncryptionByDefault',
      'iam:GenerateCredentialReport',
      'iam:GetAccessKeyLastUsed',
      'iam:GetAccountAuthorizationDetails',
      'iam:GetAccountPasswordPolicy',
      'iam:GetAccountSummary',
      'iam:GetCredentialReport',
      'iam:ListAccessKeys',
      'iam:ListMFADevices',
      'iam:ListRoles',
      'iam:ListUsers',
      'iam:ListVirtualMFADevices',
      'cloudtrail:DescribeTrails',
      'cloudtrail:GetEventSelectors',
      'cloudtrail:GetTrailStatus',
      'rds:DescribeDBInstances',
      'kms:DescribeKey',
      'kms:GetKeyRotationStatus',
      'kms:ListKeys',
      'guardduty:GetDetector',
      'guardduty:ListDetectors',
      'config:BatchGetResourceConfig',
      'config:DescribeConfigurationAggregators',
      'config:DescribeConfigurationRecorderStatus',
      'config:DescribeConfigurationRecorders',
      'config:ListDiscoveredResources',
      'config:SelectAggregateResourceConfig',
      'config:SelectResourceConfig',
      'sns:ListTopics',
      'sns:GetTopicAttributes',
      'sns:ListSubscriptionsByTopic',
      'sqs:ListQueues',
      'sqs:GetQueueAttributes',
      'elasticfilesystem:DescribeFileSystems',
      'elasticfilesystem:DescribeBackupPolicy',
      'logs:DescribeLogGroups',
      'logs:DescribeMetricFilters',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:DescribeAlarmsForMetric',
      'acm:ListCertificates',
      'acm:DescribeCertificate',
      'wafv2:ListWebACLs',
      'wafv2:GetWebACL',
      'wafv2:GetLoggingConfiguration',
      'wafv2:GetWebACLForResource',
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeListeners',
      'cloudfront:ListDistributions',
      'cloudfront:GetDistributionConfig',
      'dynamodb:ListTables',
      'dynamodb:DescribeTable',
      'dynamodb:DescribeContinuousBackups',
      'lambda:ListFunctions',
      'secretsmanager:ListSecrets',
      'ecr:DescribeRepositories',
      'eks:ListClusters',
      'eks:DescribeCluster',
      'ecs:ListClusters',
      'ecs:DescribeClusters',
      'ecs:ListTaskDefinitions',
      'ecs:DescribeTaskDefinition',
      'elasticache:DescribeReplicationGroups',
      'es:ListDomainNames',
      'es:DescribeDomains',
      'es:ListTags',
      'redshift:DescribeClusters',
      'redshift:DescribeLoggingStatus',
      'securityhub:DescribeHub',
      'securityhub:GetEnabledStandards',
      'securityhub:ListFindingAggregators',
      'securityhub:GetFindingAggregator',
      'access-analyzer:ListAnalyzers',
      'access-analyzer:ListFindings',
      'organizations:DescribeOrganization',
      'organizations:ListPolicies',
      'organizations:ListTargetsForPolicy',
      'organizations:DescribePolicy',
      'organizations:ListParents',
      'organizations:ListPoliciesForTarget',
      'account:GetAlternateContact',
      'backup:ListBackupPlans',
      'backup:GetBackupPlan',
      'backup:ListBackupVaults',
      'backup:GetBackupVaultAccessPolicy',
      'backup:ListRecoveryPointsByBackupVault',
      'backup:DescribeRegionSettings',
      'backup:ListRestoreTestingPlans',
      'backup:GetRestoreTestingPlan',
      'backup:ListRestoreTestingSelections',
      'ssm:DescribeInstanceInformation',
      'ssm:ListResourceComplianceSummaries',
      'ssm:ListDocuments',
      'ssm:DescribeDocumentPermission',
      'ssm:GetDocument',
    ].map((action) => [action, action]),
  ),
  // API Gateway authorises every read with one action on the resource's path.
  'apigateway:GetRestApis': 'apigateway:GET',
  'apigateway:GetStages': 'apigateway:GET',
};

export const awsProvider: ScannerProvider<AwsIntegration> = {
  id: 'aws',
  name: 'AWS',
  keys: {
    config: [
      'accountId',
      'region',
      'endpoint',
      'services',
      'regions',
      'roleArn',
      'externalId',
      'useConfig',
      'configAggregator',
      'organization',
    ],
    credentials: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
  },
  settings: AWS_SETTINGS,
  urlSettings: [{ key: 'endpoint', publicHosts: ['*.amazonaws.com', '*.amazonaws.com.cn', '*.api.aws'] }],
  permissions: AWS_PERMISSIONS,
  validate: validateAwsIntegration,
  identify: awsIdentity,
  parts: awsParts,
  listParts: awsListParts,
  acceptsPart: awsAcceptsPart,
  scan: scanAws,
};
