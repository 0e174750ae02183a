/**
 * The AWS Config path of the account scanner. Where a region's Config recorder is on (or an
 * aggregator is named on the integration), the resource types Config records are read in bulk —
 * SelectResourceConfig / SelectAggregateResourceConfig, 100 configuration items a call — instead of
 * one Describe/List call per page and one per resource (ListDiscoveredResources + BatchGetResourceConfig, 100
 * a call each, where the credentials may not run queries). Each configuration item is turned into the
 * SDK shape the direct path reads and handed to the same builder, so both paths produce the same
 * normalized resource (only `source.api` differs: `config` or `config-aggregator`).
 *
 * What Config does not carry still costs direct calls: a trail's logging status and event selectors,
 * a KMS key's rotation period (enabled keys only), and of an S3 bucket whatever its item does not settle
 * (s3-config.ts), a VPC's flow logs (one DescribeFlowLogs listing per region), a web ACL's logging
 * configuration and an application load balancer's web ACL (wafv2:GetLoggingConfiguration,
 * GetWebACLForResource). IAM, EC2 account settings and GuardDuty always come from the direct APIs, and DynamoDB
 * tables, Lambda functions, Secrets Manager secrets and ECR repositories only from Config (dynamodb.ts; see docs/integrations.md for the per-type table).
 */
import {
  BatchGetResourceConfigCommand,
  ConfigServiceClient,
  DescribeConfigurationAggregatorsCommand,
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  ListDiscoveredResourcesCommand,
  SelectAggregateResourceConfigCommand,
  SelectResourceConfigCommand,
  type RecordingGroup,
  type ResourceKey,
} from '@aws-sdk/client-config-service';
import type { DBInstance } from '@aws-sdk/client-rds';
import type {
  Instance,
  IpPermission,
  NetworkAcl,
  SecurityGroup,
  Tag,
  Volume,
  Vpc,
} from '@aws-sdk/client-ec2';
import type { KeyMetadata } from '@aws-sdk/client-kms';
import type { Trail } from '@aws-sdk/client-cloudtrail';
import type { Resource } from '../../schemas/index.ts';
import { ACCESS_DENIED_CODES, type AwsScanContext } from './aws-context.ts';
import { dynamoTableResource, type ContinuousBackupsDescription, type TableDescription } from './dynamodb.ts';
import { lambdaFunctionResource, type FunctionConfiguration } from './lambda.ts';
import { secretResource, type SecretDescription } from './secretsmanager.ts';
import { ecrRepositoryResource, type Repository } from './ecr.ts';
import { opsResourcesFromItems } from './ops-config.ts';
import { computeResourcesFromItems } from './compute-config.ts';
import { dataStoreResourcesFromItems } from './datastore-config.ts';
import { certificateFromItem, certificateResource } from './acm.ts';
import {
  backupPlanFromItem,
  backupPlanResource,
  backupVaultFromItem,
  backupVaultResources,
} from './backup.ts';
import { webAclFromItem, webAclResource } from './wafv2.ts';
import { stageFromItem, stageResource } from './apigateway.ts';
import { distributionFromItem, distributionResource } from './cloudfront.ts';
import { listenerFromItem, listenerResource, loadBalancerFromItem, loadBalancerResource } from './elbv2.ts';
import { instanceResources, networkAclResource, vpcResources } from './ec2-network.ts';
import {
  dbInstanceResource,
  kmsKeyResource,
  securityGroupResource,
  trailResource,
  volumeResource,
} from './regional.ts';
import { bool, date, list, num, obj, str, type ConfigItem } from './config-item.ts';

export type { ConfigItem };

/** The Config resource types read through Config, and the service each belongs to. */
export const CONFIG_TYPES = {
  'AWS::EC2::SecurityGroup': 'ec2',
  'AWS::EC2::Volume': 'ec2',
  'AWS::EC2::Instance': 'ec2',
  'AWS::EC2::VPC': 'ec2',
  'AWS::EC2::NetworkAcl': 'ec2',
  'AWS::RDS::DBInstance': 'rds',
  'AWS::KMS::Key': 'kms',
  'AWS::CloudTrail::Trail': 'cloudtrail',
  'AWS::S3::Bucket': 's3',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::Lambda::Function': 'lambda',
  'AWS::SecretsManager::Secret': 'secretsmanager',
  'AWS::ECR::Repository': 'ecr',
  'AWS::SNS::Topic': 'sns',
  'AWS::SQS::Queue': 'sqs',
  'AWS::EFS::FileSystem': 'efs',
  'AWS::CloudWatch::Alarm': 'cloudwatch',
  'AWS::ACM::Certificate': 'acm',
  'AWS::WAFv2::WebACL': 'wafv2',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'elbv2',
  'AWS::ElasticLoadBalancingV2::Listener': 'elbv2',
  'AWS::ApiGateway::Stage': 'apigateway',
  'AWS::CloudFront::Distribution': 'cloudfront',
  'AWS::EKS::Cluster': 'eks',
  'AWS::ECS::Cluster': 'ecs',
  'AWS::ECS::TaskDefinition': 'ecs',
  'AWS::Backup::BackupPlan': 'backup',
  'AWS::Backup::BackupVault': 'backup',
  'AWS::OpenSearch::Domain': 'opensearch',
  'AWS::Redshift::Cluster': 'redshift',
} as const;
export type ConfigType = keyof typeof CONFIG_TYPES;
/** The types a regional scanner stands down for; buckets go to the S3 scanner instead (s3-config.ts). */
export type RegionalConfigType = Exclude<ConfigType, 'AWS::S3::Bucket'>;

/** Config's largest page for the Select APIs. */
const SELECT_PAGE = 100;
const FIELDS =
  'resourceId, resourceType, awsRegion, accountId, configurationItemStatus, configuration, supplementaryConfiguration';
/** Items of resources that no longer exist: Config keeps them for history, the scan leaves them out. */
const DELETED = new Set(['ResourceDeleted', 'ResourceDeletedNotRecorded']);

/** Items of one account grouped by region, then by type; a type present (even empty) was read through Config. */
export type ConfigInventory = Map<string, Map<ConfigType, ConfigItem[]>>;

export function client(ctx: AwsScanContext, region: string): ConfigServiceClient {
  return ctx.client('config', region, (settings) => new ConfigServiceClient(settings));
}

/**
 * The wanted types the region's recorder is recording now. Empty when there is no recorder, it is
 * stopped, or Config may not be asked (the direct path then covers the region, and no error is
 * recorded: not using Config is a supported setup, not a fault).
 */
export async function recordedTypes(
  ctx: AwsScanContext,
  region: string,
  wanted: readonly ConfigType[],
): Promise<ConfigType[]> {
  const status = await ctx.call('config:DescribeConfigurationRecorderStatus', (abortSignal) =>
    client(ctx, region).send(new DescribeConfigurationRecorderStatusCommand({}), { abortSignal }),
  );
  if (!status.ok) return [];
  const on = new Set(
    (status.value.ConfigurationRecordersStatus ?? []).filter((s) => s.recording).map((s) => s.name),
  );
  if (on.size === 0) return [];
  const recorders = await ctx.call('config:DescribeConfigurationRecorders', (abortSignal) =>
    client(ctx, region).send(new DescribeConfigurationRecordersCommand({}), { abortSignal }),
  );
  if (!recorders.ok) return [];
  const covered = new Set<ConfigType>();
  for (const r of recorders.value.ConfigurationRecorders ?? []) {
    if (!on.has(r.name)) continue;
    for (const t of wanted) if (records(r.recordingGroup, t)) covered.add(t);
  }
  return wanted.filter((t) => covered.has(t));
}

/** Whether a recording group records `type` (all supported types, an inclusion list, or an exclusion list). */
export function records(group: RecordingGroup | undefined, type: string): boolean {
  if (!group) return true; // a recorder without a group records every supported type
  const strategy = group.recordingStrategy?.useOnly;
  if (strategy === 'EXCLUSION_BY_RESOURCE_TYPES')
    return !(group.exclusionByResourceTypes?.resourceTypes ?? []).includes(type as never);
  if (strategy === 'INCLUSION_BY_RESOURCE_TYPES' || group.allSupported === false)
    return (group.resourceTypes ?? []).includes(type as never);
  return true;
}

/** The Config expression for the types (and one account, when reading an aggregator). */
export function selectExpression(types: readonly string[], accountId?: string): string {
  const list = types.map((t) => `'${t}'`).join(', ');
  return `SELECT ${FIELDS} WHERE resourceType IN (${list})${accountId ? ` AND accountId = '${accountId}'` : ''}`;
}

/** Every page of a Select query, or the error code of the page that failed. */
async function selectAll(
  ctx: AwsScanContext,
  operation: string,
  send: (
    token: string | undefined,
    abortSignal: AbortSignal | undefined,
  ) => Promise<{
    Results?: string[];
    NextToken?: string;
  }>,
): Promise<ConfigItem[] | { failed: string }> {
  const items: ConfigItem[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.call(operation, (abortSignal) => send(token, abortSignal));
    if (!page.ok) return { failed: page.code };
    for (const text of page.value.Results ?? []) {
      try {
        const item = JSON.parse(text) as ConfigItem;
        if (!DELETED.has(item.configurationItemStatus ?? '')) items.push(item);
      } catch {
        ctx.recordProblem(operation, null, 'MalformedConfigItem', 'a configuration item is not valid JSON');
      }
    }
    token = page.value.NextToken || undefined;
  } while (token);
  return items;
}

/**
 * The recorded types of one region through SelectResourceConfig, or, where that is refused (a policy that
 * grants Config's List and BatchGet reads but not advanced queries), through ListDiscoveredResources and
 * BatchGetResourceConfig. Null when Config cannot be used there: the caller reads the region directly.
 */
export async function selectRegion(
  ctx: AwsScanContext,
  region: string,
  types: readonly ConfigType[],
): Promise<Map<ConfigType, ConfigItem[]> | null> {
  if (types.length === 0) return null;
  const Expression = selectExpression(types);
  const selected = await selectAll(ctx, 'config:SelectResourceConfig', (NextToken, abortSignal) =>
    client(ctx, region).send(
      new SelectResourceConfigCommand({ Expression, Limit: ctx.pageSize(SELECT_PAGE), NextToken }),
      { abortSignal },
    ),
  );
  if (Array.isArray(selected)) return byType(selected, types);
  if (!ACCESS_DENIED_CODES.has(selected.failed)) return null;
  const listed = await listAndBatchGet(ctx, region, types);
  return listed ? byType(listed, types) : null;
}

/** Config's largest page of ListDiscoveredResources, and most keys in one BatchGetResourceConfig. */
const LIST_PAGE = 100;
const BATCH_KEYS = 100;
/** Rounds of asking again for the keys a BatchGetResourceConfig left unprocessed. */
const BATCH_ROUNDS = 3;

/**
 * The current items of the types in one region: their ids by ListDiscoveredResources (deleted resources
 * left out), then the items by BatchGetResourceConfig, 100 a call. Null when a call fails or keys stay
 * unprocessed, so that nothing is half read through Config.
 */
async function listAndBatchGet(
  ctx: AwsScanContext,
  region: string,
  types: readonly ConfigType[],
): Promise<ConfigItem[] | null> {
  const keys: ResourceKey[] = [];
  for (const resourceType of types) {
    let nextToken: string | undefined;
    do {
      const page = await ctx.call('config:ListDiscoveredResources', (abortSignal) =>
        client(ctx, region).send(
          new ListDiscoveredResourcesCommand({ resourceType, limit: ctx.pageSize(LIST_PAGE), nextToken }),
          { abortSignal },
        ),
      );
      if (!page.ok) return null;
      for (const found of page.value.resourceIdentifiers ?? [])
        if (found.resourceId && !found.resourceDeletionTime)
          keys.push({ resourceType, resourceId: found.resourceId });
      nextToken = page.value.nextToken || undefined;
    } while (nextToken);
  }
  const items: ConfigItem[] = [];
  for (let start = 0; start < keys.length; start += BATCH_KEYS) {
    let pending = keys.slice(start, start + BATCH_KEYS);
    for (let round = 0; pending.length > 0 && round < BATCH_ROUNDS; round++) {
      const resourceKeys = pending;
      const got = await ctx.call('config:BatchGetResourceConfig', (abortSignal) =>
        client(ctx, region).send(new BatchGetResourceConfigCommand({ resourceKeys }), { abortSignal }),
      );
      if (!got.ok) return null;
      for (const item of got.value.baseConfigurationItems ?? [])
        if (!DELETED.has(item.configurationItemStatus ?? '')) items.push(item);
      pending = got.value.unprocessedResourceKeys ?? [];
    }
    if (pending.length > 0) return null;
  }
  return items;
}

/**
 * Reads an aggregator once for every account and region it collects (`accountId` narrows it to one
 * account). Regions the aggregator does not collect are absent from the result, so they go direct.
 * The aggregator is trusted for what it collects: the recorders there must record the types read.
 * Null when the aggregator cannot be read: the caller falls back to each region's own Config.
 */
export async function selectAggregator(
  ctx: AwsScanContext,
  homeRegion: string,
  aggregator: string,
  types: readonly ConfigType[],
  regions: readonly string[] | null,
  accountId?: string,
): Promise<Map<string, ConfigInventory> | null> {
  const described = await ctx.call('config:DescribeConfigurationAggregators', (abortSignal) =>
    client(ctx, homeRegion).send(
      new DescribeConfigurationAggregatorsCommand({ ConfigurationAggregatorNames: [aggregator] }),
      { abortSignal },
    ),
  );
  if (!described.ok) {
    ctx.recordFailure(
      'config:DescribeConfigurationAggregators',
      'config:DescribeConfigurationAggregators',
      aggregator,
      described,
    );
    return null;
  }
  const found = described.value.ConfigurationAggregators?.[0];
  const sources = [
    ...(found?.AccountAggregationSources ?? []),
    ...(found?.OrganizationAggregationSource ? [found.OrganizationAggregationSource] : []),
  ];
  const isCollected = (r: string): boolean =>
    sources.some((s) => s.AllAwsRegions || (s.AwsRegions ?? []).includes(r));
  // Without the region list (an organization's members differ) only regions named by a source are known.
  const collected = (regions ?? sources.flatMap((s) => s.AwsRegions ?? [])).filter(isCollected);
  const Expression = selectExpression(types, accountId);
  const items = await selectAll(ctx, 'config:SelectAggregateResourceConfig', (NextToken, abortSignal) =>
    client(ctx, homeRegion).send(
      new SelectAggregateResourceConfigCommand({
        ConfigurationAggregatorName: aggregator,
        Expression,
        Limit: ctx.pageSize(SELECT_PAGE),
        NextToken,
      }),
      { abortSignal },
    ),
  );
  if (!Array.isArray(items)) {
    ctx.recordProblem(
      'config:SelectAggregateResourceConfig',
      aggregator,
      'AggregatorUnreadable',
      `the Config aggregator ${aggregator} could not be read; each region was scanned on its own`,
    );
    return null;
  }
  const accounts = new Map<string, ConfigInventory>();
  for (const item of items) {
    const account = item.accountId ?? '';
    const region = item.awsRegion ?? '';
    if (!isCollected(region)) continue;
    let inventory = accounts.get(account);
    if (!inventory) accounts.set(account, (inventory = new Map()));
    let perRegion = inventory.get(region);
    if (!perRegion) inventory.set(region, (perRegion = emptyTypes(types)));
    perRegion.get(item.resourceType as ConfigType)?.push(item);
  }
  // A collected region with nothing recorded is still answered by the aggregator: nothing to read directly.
  for (const inventory of accounts.values())
    for (const r of collected) if (!inventory.has(r)) inventory.set(r, emptyTypes(types));
  if (accountId && !accounts.has(accountId)) {
    const inventory: ConfigInventory = new Map();
    for (const r of collected) inventory.set(r, emptyTypes(types));
    accounts.set(accountId, inventory);
  }
  return accounts;
}

function emptyTypes(types: readonly ConfigType[]): Map<ConfigType, ConfigItem[]> {
  return new Map(types.map((t) => [t, [] as ConfigItem[]]));
}

function byType(items: ConfigItem[], types: readonly ConfigType[]): Map<ConfigType, ConfigItem[]> {
  const grouped = emptyTypes(types);
  for (const item of items) grouped.get(item.resourceType as ConfigType)?.push(item);
  return grouped;
}

// ---------------- configuration items -> resources ----------------

function permissionFrom(p: unknown): IpPermission {
  const q = obj(p);
  // ipv4Ranges holds objects; older items only have ipRanges as plain CIDR strings.
  const v4 =
    list(q.ipv4Ranges).length > 0
      ? list(q.ipv4Ranges).map((r) => str(obj(r).cidrIp))
      : list(q.ipRanges).map(str);
  return {
    IpProtocol: str(q.ipProtocol),
    FromPort: num(q.fromPort),
    ToPort: num(q.toPort),
    IpRanges: v4.filter((c): c is string => !!c).map((CidrIp) => ({ CidrIp })),
    Ipv6Ranges: list(q.ipv6Ranges).map((r) => ({ CidrIpv6: str(obj(r).cidrIpv6) })),
    PrefixListIds: list(q.prefixListIds).map((r) => ({
      PrefixListId: typeof r === 'string' ? r : str(obj(r).prefixListId),
    })),
    UserIdGroupPairs: list(q.userIdGroupPairs).map((r) => ({ GroupId: str(obj(r).groupId) })),
  };
}

export function securityGroupFromItem(item: ConfigItem): SecurityGroup {
  const c = obj(item.configuration);
  return {
    GroupId: str(c.groupId) ?? item.resourceId,
    GroupName: str(c.groupName),
    Description: str(c.description),
    VpcId: str(c.vpcId),
    IpPermissions: list(c.ipPermissions).map(permissionFrom),
    IpPermissionsEgress: list(c.ipPermissionsEgress).map(permissionFrom),
  };
}

export function volumeFromItem(item: ConfigItem): Volume {
  const c = obj(item.configuration);
  return {
    VolumeId: str(c.volumeId) ?? item.resourceId,
    Encrypted: bool(c.encrypted),
    KmsKeyId: str(c.kmsKeyId),
    Size: num(c.size),
    VolumeType: str(c.volumeType) as Volume['VolumeType'],
    State: str(c.state) as Volume['State'],
    AvailabilityZone: str(c.availabilityZone),
    Attachments: list(c.attachments).map((a) => ({ InstanceId: str(obj(a).instanceId) })),
    CreateTime: date(c.createTime) as unknown as Date,
  };
}

/** Tags as Config records them on EC2 items (lower camel key and value). */
function tagsFrom(v: unknown): Tag[] {
  return list(v).map((t) => ({ Key: str(obj(t).key), Value: str(obj(t).value) }));
}

export function instanceFromItem(item: ConfigItem): Instance {
  const c = obj(item.configuration);
  const metadata = obj(c.metadataOptions);
  const profile = obj(c.iamInstanceProfile);
  return {
    InstanceId: str(c.instanceId) ?? item.resourceId,
    InstanceType: str(c.instanceType) as Instance['InstanceType'],
    State: { Name: str(obj(c.state).name) as NonNullable<Instance['State']>['Name'] },
    ImageId: str(c.imageId),
    VpcId: str(c.vpcId),
    SubnetId: str(c.subnetId),
    PublicIpAddress: str(c.publicIpAddress),
    IamInstanceProfile: str(profile.arn) ? { Arn: str(profile.arn) } : undefined,
    MetadataOptions:
      Object.keys(metadata).length > 0
        ? {
            HttpEndpoint: str(metadata.httpEndpoint) as 'enabled' | 'disabled' | undefined,
            HttpTokens: str(metadata.httpTokens) as 'required' | 'optional' | undefined,
            HttpPutResponseHopLimit: num(metadata.httpPutResponseHopLimit),
          }
        : undefined,
    Monitoring: { State: str(obj(c.monitoring).state) as NonNullable<Instance['Monitoring']>['State'] },
    SecurityGroups: list(c.securityGroups).map((g) => ({ GroupId: str(obj(g).groupId) })),
    LaunchTime: date(c.launchTime) as unknown as Date,
    Tags: tagsFrom(c.tags),
  };
}

export function vpcFromItem(item: ConfigItem): Vpc {
  const c = obj(item.configuration);
  return {
    VpcId: str(c.vpcId) ?? item.resourceId,
    CidrBlock: str(c.cidrBlock),
    IsDefault: bool(c.isDefault),
    State: str(c.state) as Vpc['State'],
    Tags: tagsFrom(c.tags),
  };
}

export function networkAclFromItem(item: ConfigItem): NetworkAcl {
  const c = obj(item.configuration);
  return {
    NetworkAclId: str(c.networkAclId) ?? item.resourceId,
    VpcId: str(c.vpcId),
    IsDefault: bool(c.isDefault),
    Associations: list(c.associations).map((a) => ({ SubnetId: str(obj(a).subnetId) })),
    Entries: list(c.entries).map((e) => {
      const q = obj(e);
      const ports = obj(q.portRange);
      return {
        RuleNumber: num(q.ruleNumber),
        Egress: bool(q.egress),
        RuleAction: str(q.ruleAction) as 'allow' | 'deny' | undefined,
        Protocol: str(q.protocol),
        CidrBlock: str(q.cidrBlock),
        Ipv6CidrBlock: str(q.ipv6CidrBlock),
        PortRange: Object.keys(ports).length > 0 ? { From: num(ports.from), To: num(ports.to) } : undefined,
      };
    }),
    Tags: tagsFrom(c.tags),
  };
}

export function dbInstanceFromItem(item: ConfigItem): DBInstance {
  const c = obj(item.configuration);
  return {
    DBInstanceIdentifier: str(c.dBInstanceIdentifier),
    DBInstanceArn: str(c.dBInstanceArn),
    Engine: str(c.engine),
    EngineVersion: str(c.engineVersion),
    DBInstanceClass: str(c.dBInstanceClass),
    DBInstanceStatus: str(c.dBInstanceStatus),
    StorageEncrypted: bool(c.storageEncrypted),
    KmsKeyId: str(c.kmsKeyId),
    PubliclyAccessible: bool(c.publiclyAccessible),
    BackupRetentionPeriod: num(c.backupRetentionPeriod),
    MultiAZ: bool(c.multiAZ),
    DeletionProtection: bool(c.deletionProtection),
    MonitoringInterval: num(c.monitoringInterval),
    AutoMinorVersionUpgrade: bool(c.autoMinorVersionUpgrade),
    CopyTagsToSnapshot: bool(c.copyTagsToSnapshot),
    ...(c.endpoint === undefined ? {} : { Endpoint: { Port: num(obj(c.endpoint).port) } }),
    IAMDatabaseAuthenticationEnabled: bool(c.iAMDatabaseAuthenticationEnabled),
    EnabledCloudwatchLogsExports: list(c.enabledCloudwatchLogsExports).map(String),
    MasterUsername: str(c.masterUsername),
  };
}

export function keyMetadataFromItem(item: ConfigItem): KeyMetadata {
  const c = obj(item.configuration);
  return {
    KeyId: str(c.keyId) ?? item.resourceId,
    Arn: str(c.arn),
    Description: str(c.description),
    KeyManager: str(c.keyManager) as KeyMetadata['KeyManager'],
    KeyState: str(c.keyState) as KeyMetadata['KeyState'],
    Enabled: bool(c.enabled),
    KeySpec: (str(c.keySpec) ?? str(c.customerMasterKeySpec)) as KeyMetadata['KeySpec'],
    KeyUsage: str(c.keyUsage) as KeyMetadata['KeyUsage'],
    Origin: str(c.origin) as KeyMetadata['Origin'],
    MultiRegion: bool(c.multiRegion),
    CreationDate: date(c.creationDate) as unknown as Date,
  };
}

export function trailFromItem(item: ConfigItem): Trail {
  const c = obj(item.configuration);
  return {
    Name: str(c.name) ?? item.resourceId,
    TrailARN: str(c.trailARN),
    HomeRegion: str(c.homeRegion),
    IsMultiRegionTrail: bool(c.isMultiRegionTrail),
    IsOrganizationTrail: bool(c.isOrganizationTrail),
    IncludeGlobalServiceEvents: bool(c.includeGlobalServiceEvents),
    LogFileValidationEnabled: bool(c.logFileValidationEnabled),
    KmsKeyId: str(c.kmsKeyId),
    S3BucketName: str(c.s3BucketName),
    CloudWatchLogsLogGroupArn: str(c.cloudWatchLogsLogGroupArn),
  };
}

export function tableFromItem(item: ConfigItem): TableDescription {
  const c = obj(item.configuration);
  // Config spells the SDK's SSEDescription `ssedescription`, with `ssetype` and `kmsmasterKeyArn` inside
  // (AWS's Config resource schema for AWS::DynamoDB::Table).
  const sse = obj(c.ssedescription);
  return {
    TableName: str(c.tableName) ?? item.resourceId,
    TableArn: str(c.tableArn),
    TableStatus: str(c.tableStatus),
    CreationDateTime: date(c.creationDateTime),
    BillingModeSummary: { BillingMode: str(obj(c.billingModeSummary).billingMode) },
    SSEDescription:
      Object.keys(sse).length > 0
        ? { Status: str(sse.status), SSEType: str(sse.ssetype), KMSMasterKeyArn: str(sse.kmsmasterKeyArn) }
        : undefined,
    DeletionProtectionEnabled: bool(c.deletionProtectionEnabled),
  };
}

export function functionFromItem(item: ConfigItem): FunctionConfiguration {
  const c = obj(item.configuration);
  const vpc = obj(c.vpcConfig);
  // Config spells the SDK's KMSKeyArn `kmskeyArn` (AWS's Config resource schema for AWS::Lambda::Function).
  return {
    FunctionName: str(c.functionName) ?? item.resourceId,
    FunctionArn: str(c.functionArn),
    Runtime: str(c.runtime),
    PackageType: str(c.packageType),
    Role: str(c.role),
    VpcConfig: {
      SubnetIds: list(vpc.subnetIds).filter((v): v is string => typeof v === 'string'),
      SecurityGroupIds: list(vpc.securityGroupIds).filter((v): v is string => typeof v === 'string'),
    },
    TracingConfig: { Mode: str(obj(c.tracingConfig).mode) },
    DeadLetterConfig: { TargetArn: str(obj(c.deadLetterConfig).targetArn) },
    KMSKeyArn: str(c.kmskeyArn),
    LastModified: date(c.lastModified),
    Environment: { Variables: obj(obj(c.environment).variables) as Record<string, string> },
  };
}

/** A secret's item, recorded with PascalCase keys (its CloudFormation-registry form). */
export function secretFromItem(item: ConfigItem): SecretDescription {
  const c = obj(item.configuration);
  const rules = obj(c.RotationRules);
  return {
    ARN: str(c.ARN),
    Name: str(c.Name) ?? item.resourceId,
    KmsKeyId: str(c.KMSKeyId),
    RotationEnabled: bool(c.RotationEnabled),
    RotationLambdaARN: str(c.RotationLambdaARN),
    RotationRules: {
      AutomaticallyAfterDays: num(rules.AutomaticallyAfterDays),
      ScheduleExpression: str(rules.RotationScheduleExpression),
    },
  };
}

/** A repository's item, recorded with PascalCase keys (its CloudFormation-registry form). */
export function repositoryFromItem(item: ConfigItem): Repository {
  const c = obj(item.configuration);
  return {
    repositoryArn: str(c.Arn),
    repositoryName: str(c.RepositoryName) ?? item.resourceId,
    imageTagMutability: str(c.ImageTagMutability),
    imageScanningConfiguration: { scanOnPush: bool(obj(c.ImageScanningConfiguration).ScanOnPush) },
    encryptionConfiguration: {
      encryptionType: str(obj(c.EncryptionConfiguration).EncryptionType),
      kmsKey: str(obj(c.EncryptionConfiguration).KmsKey),
    },
  };
}

/** The table's continuous backups from the item's supplementary configuration; undefined when not recorded. */
export function continuousBackupsFromItem(item: ConfigItem): ContinuousBackupsDescription | undefined {
  const supplementary = obj(item.supplementaryConfiguration);
  if (!('ContinuousBackupsDescription' in supplementary)) return undefined;
  const backups = obj(supplementary.ContinuousBackupsDescription);
  return {
    ContinuousBackupsStatus: str(backups.continuousBackupsStatus),
    PointInTimeRecoveryDescription: {
      PointInTimeRecoveryStatus: str(obj(backups.pointInTimeRecoveryDescription).pointInTimeRecoveryStatus),
    },
  };
}

/** The resources of one type from its configuration items, built exactly as the direct path builds them. */
export async function resourcesFromItems(
  ctx: AwsScanContext,
  region: string,
  type: RegionalConfigType,
  items: ConfigItem[],
  api: string,
): Promise<Resource[]> {
  switch (type) {
    case 'AWS::EC2::SecurityGroup':
      return items.map((i) => securityGroupResource(ctx, region, securityGroupFromItem(i), api));
    case 'AWS::EC2::Volume':
      return items.map((i) => volumeResource(ctx, region, volumeFromItem(i), api));
    case 'AWS::EC2::Instance':
      return instanceResources(ctx, region, items.map(instanceFromItem), api);
    case 'AWS::EC2::VPC':
      return vpcResources(ctx, region, items.map(vpcFromItem), api);
    case 'AWS::EC2::NetworkAcl':
      return items.map((i) => networkAclResource(ctx, region, networkAclFromItem(i), api));
    case 'AWS::RDS::DBInstance':
      return items.map((i) => dbInstanceResource(ctx, region, dbInstanceFromItem(i), api));
    case 'AWS::Lambda::Function':
      return items.map((i) => lambdaFunctionResource(ctx, region, functionFromItem(i), api));
    case 'AWS::SecretsManager::Secret':
      return items.map((i) => secretResource(ctx, region, secretFromItem(i), api));
    case 'AWS::ECR::Repository':
      return items.map((i) => ecrRepositoryResource(ctx, region, repositoryFromItem(i), api));
    case 'AWS::ACM::Certificate':
      return items.map((i) => certificateResource(ctx, region, certificateFromItem(i), api));
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
      const out: Resource[] = [];
      for (const i of items) {
        const { lb, attributes } = loadBalancerFromItem(i);
        out.push(await loadBalancerResource(ctx, region, lb, attributes, api));
      }
      return out;
    }
    case 'AWS::CloudFront::Distribution':
      return items.map((i) => {
        const d = distributionFromItem(i);
        return distributionResource(ctx, d.id, d.arn, d.domainName, d.config, api);
      });
    case 'AWS::ApiGateway::Stage':
      return items.map((i) => {
        const { restApiId, stage } = stageFromItem(i);
        return stageResource(ctx, region, restApiId, stage, api);
      });
    case 'AWS::ElasticLoadBalancingV2::Listener':
      return items.map((i) => listenerResource(ctx, region, listenerFromItem(i), api));
    case 'AWS::WAFv2::WebACL': {
      const out: Resource[] = [];
      for (const i of items) {
        const { acl, scope } = webAclFromItem(i);
        out.push(await webAclResource(ctx, region, acl, scope, api));
      }
      return out;
    }
    case 'AWS::DynamoDB::Table':
      return items.map((i) =>
        dynamoTableResource(ctx, region, tableFromItem(i), continuousBackupsFromItem(i), api),
      );
    case 'AWS::SNS::Topic':
    case 'AWS::SQS::Queue':
    case 'AWS::EFS::FileSystem':
    case 'AWS::CloudWatch::Alarm':
      return opsResourcesFromItems(ctx, region, type, items, api);
    case 'AWS::EKS::Cluster':
    case 'AWS::ECS::Cluster':
    case 'AWS::ECS::TaskDefinition':
      return computeResourcesFromItems(ctx, region, type, items, api);
    case 'AWS::Backup::BackupPlan':
      return items.map((i) => backupPlanResource(ctx, region, backupPlanFromItem(i), api));
    case 'AWS::Backup::BackupVault':
      return backupVaultResources(ctx, region, items.map(backupVaultFromItem), api);
    case 'AWS::OpenSearch::Domain':
    case 'AWS::Redshift::Cluster':
      return dataStoreResourcesFromItems(ctx, region, type, items, api);
    case 'AWS::KMS::Key': {
      const out: Resource[] = [];
      for (const i of items) {
        const m = keyMetadataFromItem(i);
        const rotation = bool(obj(i.supplementaryConfiguration).KeyRotationStatus);
        out.push(await kmsKeyResource(ctx, region, m, m.Arn ?? m.KeyId ?? '', api, rotation));
      }
      return out;
    }
    case 'AWS::CloudTrail::Trail': {
      const out: Resource[] = [];
      // A multi-region trail is reported once, in its home region, as on the direct path.
      for (const i of items) {
        const trail = trailFromItem(i);
        if ((trail.HomeRegion ?? region) === region) out.push(await trailResource(ctx, region, trail, api));
      }
      return out;
    }
  }
}
