/**
 * Scans one AWS account across services and every enabled region: S3, IAM, CloudTrail, EC2, RDS, KMS,
 * GuardDuty, Security Hub, IAM Access Analyzer, AWS Config recorders, ACM, WAFv2, Elastic Load Balancing v2, API Gateway, CloudFront (global, with
 * us-east-1), DynamoDB, Lambda, Secrets Manager and ECR, the organization membership and alternate contacts, optionally through a role assumed with STS (with an external id, as cross-account
 * audit roles require). A refused or failed call becomes a ScanError and the scan goes on; refused or
 * expired credentials, an unreachable endpoint, or a role that cannot be assumed end it.
 */
import { DescribeRegionsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { ScanFailedError, type ScanOutcome } from '../types.ts';
import { AwsScanContext, type AwsContextOptions } from './aws-context.ts';
import { describeAccessKey, safeErrorMessage } from './aws-errors.ts';
import {
  CONFIG_TYPES,
  recordedTypes,
  resourcesFromItems,
  selectAggregator,
  selectRegion,
  type ConfigInventory,
  type ConfigItem,
  type ConfigType,
  type RegionalConfigType,
} from './config.ts';
import { bucketNameOf } from './s3-config.ts';
import { scanIam } from './iam.ts';
import { scanInstances, scanNetworkAcls, scanVpcs } from './ec2-network.ts';
import { scanConfigRecorders } from './config-recorder.ts';
import { scanSnapshots } from './ebs-snapshots.ts';
import {
  scanDbInstances,
  scanEc2Account,
  scanGuardDuty,
  scanKmsKeys,
  scanSecurityGroups,
  scanTrails,
  scanVolumes,
} from './regional.ts';
import type { AwsCredentials } from './credentials.ts';
import { scanBuckets } from './s3.ts';
import { OPS_REGIONAL } from './ops-config.ts';
import { COMPUTE_REGIONAL } from './compute-config.ts';
import { DATA_STORE_REGIONAL } from './datastore-config.ts';
import { scanCertificates } from './acm.ts';
import { scanBackupPlans, scanBackupRegionSettings, scanBackupVaults } from './backup.ts';
import { scanWebAcls } from './wafv2.ts';
import { scanStages } from './apigateway.ts';
import { scanDistributions } from './cloudfront.ts';
import { scanListeners, scanLoadBalancers } from './elbv2.ts';
import { scanDynamoTables } from './dynamodb.ts';
import { scanLambdaFunctions } from './lambda.ts';
import { scanSecrets } from './secretsmanager.ts';
import { scanEcrRepositories } from './ecr.ts';
import { scanAccessAnalyzer, scanSecurityHub } from './security-services.ts';
import { scanAlternateContacts, scanOrganizationMembership } from './account-governance.ts';
import type { MemberScpsRead } from './organization-policies.ts';

/** The services an AWS integration can scan; `services` in its config picks among them. */
export const AWS_SERVICES = [
  's3',
  'iam',
  'cloudtrail',
  'ec2',
  'rds',
  'kms',
  'guardduty',
  'dynamodb',
  'lambda',
  'secretsmanager',
  'ecr',
  'acm',
  'wafv2',
  'elbv2',
  'apigateway',
  'cloudfront',
  'config',
  'sns',
  'sqs',
  'efs',
  'logs',
  'cloudwatch',
  'eks',
  'ecs',
  'elasticache',
  'opensearch',
  'redshift',
  'securityhub',
  'accessanalyzer',
  'organizations',
  'account',
  'backup',
  'ssm',
] as const;
export type AwsServiceName = (typeof AWS_SERVICES)[number];
/**
 * Services read only through AWS Config: an account without Config gets a scan error per region for them.
 * None today (every service has its direct read); the list stays for services added Config-first.
 */
export const AWS_CONFIG_ONLY_SERVICES: readonly AwsServiceName[] = [];

export interface AwsAccountTarget {
  accountId: string;
  /** Home region: where global calls (IAM, STS, DescribeRegions, ListBuckets) are sent. */
  region: string;
  /** Regions to scan; by default every region enabled for the account (ec2:DescribeRegions). */
  regions?: string[];
  /** Services to scan; by default all of AWS_SERVICES. */
  services?: readonly AwsServiceName[];
  endpoint?: string;
  credentials: AwsCredentials;
  /** A role to assume before scanning (cross-account audit role). */
  roleArn?: string;
  /** The external id the role's trust policy requires. */
  externalId?: string;
  /**
   * Read the types AWS Config records through Config where a region's recorder is on (default true);
   * false always uses the direct APIs.
   */
  useConfig?: boolean;
  /** A Config aggregator (in the home region) to read every collected region from at once. */
  configAggregator?: string;
  /**
   * Config items already read for this account (an organization scan reads its aggregator once for
   * every member); regions present here are not asked again.
   */
  configInventory?: ConfigInventory;
  /**
   * The service control policies in force on this member account, read through the management account by
   * an organization scan (null: that read failed); absent, the account lists the organization's policies itself.
   */
  memberScps?: MemberScpsRead;
  /** Scan only this part (see awsAccountParts): one service, in one region or all of them. */
  part?: AwsAccountPart;
}

/** One part of an account scan: a service, in one region or (absent) every region it scans. */
export interface AwsAccountPart {
  service: AwsServiceName;
  region?: string;
}

export interface AwsAccountScanOptions extends AwsContextOptions {
  /** Service-and-region tasks run at the same time (the per-integration concurrency cap). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 4;
/** Each regional scanner, and the Config type that can stand in for it where Config records that type. */
interface RegionalScanner {
  scan: (ctx: AwsScanContext, region: string) => Promise<Resource[]>;
  configType?: RegionalConfigType;
}
const REGIONAL: Partial<Record<AwsServiceName, RegionalScanner[]>> = {
  ec2: [
    { scan: scanEc2Account },
    { scan: scanSecurityGroups, configType: 'AWS::EC2::SecurityGroup' },
    { scan: scanVolumes, configType: 'AWS::EC2::Volume' },
    { scan: scanInstances, configType: 'AWS::EC2::Instance' },
    { scan: scanVpcs, configType: 'AWS::EC2::VPC' },
    { scan: scanNetworkAcls, configType: 'AWS::EC2::NetworkAcl' },
    { scan: scanSnapshots },
  ],
  rds: [{ scan: scanDbInstances, configType: 'AWS::RDS::DBInstance' }],
  kms: [{ scan: scanKmsKeys, configType: 'AWS::KMS::Key' }],
  guardduty: [{ scan: scanGuardDuty }],
  config: [{ scan: scanConfigRecorders }],
  cloudtrail: [{ scan: scanTrails, configType: 'AWS::CloudTrail::Trail' }],
  dynamodb: [{ scan: scanDynamoTables, configType: 'AWS::DynamoDB::Table' }],
  lambda: [{ scan: scanLambdaFunctions, configType: 'AWS::Lambda::Function' }],
  secretsmanager: [{ scan: scanSecrets, configType: 'AWS::SecretsManager::Secret' }],
  ecr: [{ scan: scanEcrRepositories, configType: 'AWS::ECR::Repository' }],
  ...OPS_REGIONAL,
  ...COMPUTE_REGIONAL,
  acm: [{ scan: scanCertificates, configType: 'AWS::ACM::Certificate' }],
  backup: [
    { scan: scanBackupPlans, configType: 'AWS::Backup::BackupPlan' },
    { scan: scanBackupVaults, configType: 'AWS::Backup::BackupVault' },
    { scan: scanBackupRegionSettings },
  ],
  securityhub: [{ scan: scanSecurityHub }],
  accessanalyzer: [{ scan: scanAccessAnalyzer }],
  ...DATA_STORE_REGIONAL,
  wafv2: [{ scan: scanWebAcls, configType: 'AWS::WAFv2::WebACL' }],
  apigateway: [{ scan: scanStages, configType: 'AWS::ApiGateway::Stage' }],
  // Global: read with us-east-1 only (see cloudfront.ts).
  cloudfront: [{ scan: scanDistributions, configType: 'AWS::CloudFront::Distribution' }],
  elbv2: [
    { scan: scanLoadBalancers, configType: 'AWS::ElasticLoadBalancingV2::LoadBalancer' },
    { scan: scanListeners, configType: 'AWS::ElasticLoadBalancingV2::Listener' },
  ],
};

/** Account-wide services besides S3 and IAM, read once per account whatever the regions. */
const GLOBAL: Partial<
  Record<AwsServiceName, (ctx: AwsScanContext, target: AwsAccountTarget) => Promise<Resource[]>>
> = {
  organizations: scanOrganizationMembership,
  account: scanAlternateContacts,
};

/**
 * The parts an account scan splits into, as `service` or `service@region` keys: one per global service (S3,
 * IAM, Organizations, Account), and for each regional service one per configured region, or one for all regions when the regions
 * are not configured (each such part lists the enabled regions itself). Together they collect what the
 * whole scan collects: a part reads Config and calls the direct APIs for its own service's types only,
 * and decides between the two exactly as the whole scan does.
 */
export function awsAccountParts(target: Pick<AwsAccountTarget, 'services' | 'regions'>): string[] {
  const services = [...new Set(target.services ?? AWS_SERVICES)];
  const regions = target.regions ?? [];
  return services.flatMap((service) =>
    REGIONAL[service] && regions.length > 0 ? regions.map((r) => `${service}@${r}`) : [service],
  );
}

/** The part a key of awsAccountParts names. */
export function awsAccountPart(key: string): AwsAccountPart {
  const [service, region] = key.split('@') as [AwsServiceName, string | undefined];
  return region ? { service, region } : { service };
}

/** Scans the account; rejects with ScanFailedError only when the scan cannot proceed at all. */
export async function scanAwsAccount(
  target: AwsAccountTarget,
  options: AwsAccountScanOptions = {},
): Promise<ScanOutcome> {
  assertValidAccountTarget(target);
  const configured = new Set(target.services ?? AWS_SERVICES);
  const { part } = target;
  const services = part ? new Set([part.service]) : configured;
  const ctx = new AwsScanContext(target.accountId, { ...target.credentials }, target.endpoint, options);
  try {
    if (target.roleArn) {
      ctx.setPhase('assuming_role');
      ctx.useCredentials(await assumeRole(ctx, target));
    }
    const resources: Resource[] = [];
    const regionalServices = [...services].flatMap((s) => REGIONAL[s] ?? []);
    const wanted: ConfigType[] = regionalServices.flatMap((s) => (s.configType ? [s.configType] : []));
    // Buckets are recorded by the recorder of their own region, so S3 reads the regions' Config first.
    if (services.has('s3')) wanted.push('AWS::S3::Bucket');
    // An S3-only scan takes the Config path only when asked (useConfig: true): by default it must not need
    // region listing or Config permissions it did not need before.
    // Decided on every configured service, so that an S3 part reads Config exactly when the whole scan does.
    const needsRegions =
      [...configured].some((s) => REGIONAL[s]) || (target.useConfig === true && configured.has('s3'));
    const regions = !needsRegions
      ? []
      : part?.region
        ? [part.region]
        : regionalServices.length > 0 || services.has('s3')
          ? await enabledRegions(ctx, target)
          : [];
    const inventory = await readConfig(ctx, target, wanted, regions, options);
    if (services.has('s3')) {
      ctx.setPhase('scanning_s3');
      resources.push(...(await scanS3Safely(ctx, target, bucketItems(inventory))));
    }
    if (services.has('iam')) {
      ctx.setPhase('scanning_iam');
      resources.push(...(await scanIam(ctx)));
    }
    for (const [service, scan] of Object.entries(GLOBAL)) {
      if (!services.has(service as AwsServiceName)) continue;
      ctx.setPhase(`scanning_${service}`);
      resources.push(...(await scan(ctx, target)));
    }
    if (regionalServices.length > 0) {
      ctx.setPhase('scanning_regions');
      const tasks = regions.flatMap((region) =>
        regionalServices.map(({ scan, configType }) => {
          const items = configType ? inventory.get(region)?.get(configType) : undefined;
          return items && configType
            ? () => resourcesFromItems(ctx, region, configType, items, 'config')
            : () => scan(ctx, region);
        }),
      );
      const found = await mapWithConcurrency(tasks, options.concurrency ?? DEFAULT_CONCURRENCY, (task) =>
        task(),
      );
      resources.push(...found.flat());
    }
    ctx.setPhase('done');
    return { resources, errors: [...ctx.errors], progress: ctx.snapshot() };
  } finally {
    ctx.close();
  }
}

/**
 * The Config items standing in for direct calls, per region: from the integration's aggregator when
 * one is named, else from each region whose recorder is on (only the types it records).
 */
async function readConfig(
  ctx: AwsScanContext,
  target: AwsAccountTarget,
  wanted: ConfigType[],
  regions: string[],
  options: AwsAccountScanOptions,
): Promise<ConfigInventory> {
  const inventory: ConfigInventory = new Map(target.configInventory ?? []);
  if (target.useConfig === false || wanted.length === 0) return inventory;
  ctx.setPhase('reading_config');
  if (target.configAggregator && !target.configInventory) {
    const aggregated = await selectAggregator(
      ctx,
      target.region,
      target.configAggregator,
      wanted,
      regions,
      target.accountId,
    );
    for (const [region, items] of aggregated?.get(target.accountId) ?? []) inventory.set(region, items);
  }
  const remaining = regions.filter((r) => !inventory.has(r));
  await mapWithConcurrency(remaining, options.concurrency ?? DEFAULT_CONCURRENCY, async (region) => {
    const items = await selectRegion(ctx, region, await recordedTypes(ctx, region, wanted));
    if (items) inventory.set(region, items);
  });
  return inventory;
}

/** The Config types of the services an integration scans. */
export function configTypesOf(services: readonly AwsServiceName[]): ConfigType[] {
  return (Object.keys(CONFIG_TYPES) as ConfigType[]).filter((t) =>
    services.includes(CONFIG_TYPES[t] as AwsServiceName),
  );
}

/** The bucket items of every region whose Config was read for AWS::S3::Bucket, by bucket name. */
function bucketItems(inventory: ConfigInventory): Map<string, ConfigItem> {
  const byName = new Map<string, ConfigItem>();
  for (const perRegion of inventory.values())
    for (const item of perRegion.get('AWS::S3::Bucket') ?? []) {
      const name = bucketNameOf(item);
      if (name) byName.set(name, item);
    }
  return byName;
}

/** S3 through the account's own context; a refused ListBuckets there only loses S3, not the whole account scan. */
async function scanS3Safely(
  ctx: AwsScanContext,
  target: AwsAccountTarget,
  configItems: ReadonlyMap<string, ConfigItem>,
): Promise<Resource[]> {
  try {
    return await scanBuckets(ctx, target.region, { configItems });
  } catch (error) {
    if (
      error instanceof ScanFailedError &&
      (error.code === 'PERMISSION_DENIED' || error.code === 'PROVIDER_ERROR')
    ) {
      ctx.recordError({
        operation: 's3:ListBuckets',
        resource_id: null,
        code: error.code === 'PERMISSION_DENIED' ? 'AccessDenied' : 'ProviderError',
        message: error.message,
        missing_permission: error.missingPermission,
      });
      return [];
    }
    throw error;
  }
}

/** AssumeRole with the external id; a refusal ends the scan, naming the role and what to check. */
export async function assumeRole(
  ctx: AwsScanContext,
  target: Pick<AwsAccountTarget, 'region' | 'roleArn' | 'externalId' | 'credentials'>,
): Promise<AwsCredentials> {
  const client = ctx.client('sts', target.region, (settings) => new STSClient(settings));
  const result = await ctx.call('sts:AssumeRole', (abortSignal) =>
    client.send(
      new AssumeRoleCommand({
        RoleArn: target.roleArn,
        RoleSessionName: 'complywise-scan',
        ...(target.externalId ? { ExternalId: target.externalId } : {}),
        DurationSeconds: 3600,
      }),
      { abortSignal },
    ),
  );
  if (!result.ok) {
    const detail = safeErrorMessage(result.error, ctx.redactedSecrets);
    if (result.code === 'AccessDenied') {
      throw new ScanFailedError(
        'PERMISSION_DENIED',
        `the ${describeAccessKey(target.credentials.accessKeyId)} may not assume ${target.roleArn ?? ''}: allow sts:AssumeRole for it and check that the role's trust policy names this principal and external id (AWS answered ${detail})`,
        { cause: result.error, missingPermission: 'sts:AssumeRole' },
      );
    }
    throw new ScanFailedError('PROVIDER_ERROR', `AssumeRole failed (${result.code}): ${detail}`, {
      cause: result.error,
    });
  }
  const c = result.value.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) {
    throw new ScanFailedError('PROVIDER_ERROR', 'AssumeRole answered without credentials');
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
  };
}

/** The configured regions, else the account's enabled ones; the home region alone when that call is refused. */
async function enabledRegions(ctx: AwsScanContext, target: AwsAccountTarget): Promise<string[]> {
  if (target.regions && target.regions.length > 0) return [...target.regions];
  ctx.setPhase('listing_regions');
  const client = ctx.client('ec2', target.region, (settings) => new EC2Client(settings));
  const listed = await ctx.call('ec2:DescribeRegions', (abortSignal) =>
    client.send(new DescribeRegionsCommand({ AllRegions: false }), { abortSignal }),
  );
  if (!listed.ok) {
    ctx.recordFailure('ec2:DescribeRegions', 'ec2:DescribeRegions', null, listed);
    return [target.region];
  }
  const names = (listed.value.Regions ?? []).map((r) => r.RegionName ?? '').filter(Boolean);
  return names.length > 0 ? names.sort() : [target.region];
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function assertValidAccountTarget(target: AwsAccountTarget): void {
  const problems: string[] = [];
  if (!/^\d{12}$/.test(target?.accountId ?? '')) problems.push('accountId must be 12 digits');
  if (!REGION.test(target?.region ?? ''))
    problems.push('region must be an AWS region code such as eu-west-1');
  for (const r of target?.regions ?? [])
    if (!REGION.test(r)) problems.push(`regions: ${JSON.stringify(r)} is not an AWS region code`);
  for (const s of target?.services ?? []) {
    if (!(AWS_SERVICES as readonly string[]).includes(s))
      problems.push(`services: ${JSON.stringify(s)} is not one of ${AWS_SERVICES.join(', ')}`);
  }
  if (target?.roleArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(target.roleArn)) {
    problems.push('roleArn must be an IAM role ARN');
  }
  if (!target?.credentials?.accessKeyId) problems.push('credentials.accessKeyId is required');
  if (!target?.credentials?.secretAccessKey) problems.push('credentials.secretAccessKey is required');
  if (problems.length > 0)
    throw new ScanFailedError('INVALID_CONFIG', `invalid AWS scan target: ${problems.join('; ')}`);
}
