/**
 * The regional AWS services, scanned once per enabled region: EC2 (account settings, security groups,
 * volumes), RDS instances, KMS keys, GuardDuty detectors and CloudTrail trails (each trail once, in
 * its home region). Each function lists every page and turns a failed call into a ScanError.
 */
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type EventSelector,
  type AdvancedEventSelector,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import {
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  EC2Client,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  type IpPermission,
  type SecurityGroup,
  type Volume,
} from '@aws-sdk/client-ec2';
import { GetDetectorCommand, GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import {
  DescribeKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeysCommand,
  type KeyListEntry,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { iso, type AwsScanContext } from './aws-context.ts';

/** Keys read at the same time within a region. */
const KEY_CONCURRENCY = 4;

/**
 * Every page of a token-paginated listing; null when a page fails, its failure recorded (by `onFailure` when
 * given, else as a ScanError naming the operation).
 */
export async function pages<Output, Item>(
  ctx: AwsScanContext,
  operation: string,
  send: (token: string | undefined, abortSignal: AbortSignal | undefined) => Promise<Output>,
  items: (output: Output) => Item[] | undefined,
  nextToken: (output: Output) => string | undefined,
  onFailure?: (failure: { error: unknown; code: string }) => void,
): Promise<Item[] | null> {
  const all: Item[] = [];
  let token: string | undefined;
  do {
    const page = await ctx.call(operation, (abortSignal) => send(token, abortSignal));
    if (!page.ok) {
      if (onFailure) onFailure(page);
      else ctx.recordFailure(operation, operation, null, page);
      return null;
    }
    all.push(...(items(page.value) ?? []));
    token = nextToken(page.value) || undefined;
  } while (token);
  return all;
}

// ---------------- EC2 ----------------

function ec2(ctx: AwsScanContext, region: string): EC2Client {
  return ctx.client('ec2', region, (settings) => new EC2Client(settings));
}

/** The region's EC2 account settings as one `aws.ec2.account` resource. */
export async function scanEc2Account(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const attributes: Record<string, unknown> = {};
  const byDefault = await ctx.call('ec2:GetEbsEncryptionByDefault', (abortSignal) =>
    client.send(new GetEbsEncryptionByDefaultCommand({}), { abortSignal }),
  );
  if (byDefault.ok) attributes.ebs_encryption_by_default = byDefault.value.EbsEncryptionByDefault ?? false;
  else ctx.recordFailure('ec2:GetEbsEncryptionByDefault', 'ec2:GetEbsEncryptionByDefault', null, byDefault);
  const key = await ctx.call('ec2:GetEbsDefaultKmsKeyId', (abortSignal) =>
    client.send(new GetEbsDefaultKmsKeyIdCommand({}), { abortSignal }),
  );
  if (key.ok) {
    const id = key.value.KmsKeyId;
    attributes.ebs_default_kms_key_id = id && id !== 'alias/aws/ebs' ? id : null;
  } else ctx.recordFailure('ec2:GetEbsDefaultKmsKeyId', 'ec2:GetEbsDefaultKmsKeyId', null, key);
  return [
    ctx.accountResource({
      id: `arn:aws:ec2:${region}:${ctx.accountId}:account-settings`,
      region,
      type: 'aws.ec2.account',
      name: `EC2 settings ${region}`,
      api: 'ec2',
      now: ctx.now(),
      attributes,
    }),
  ];
}

export async function scanSecurityGroups(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const groups = await pages<{ SecurityGroups?: SecurityGroup[]; NextToken?: string }, SecurityGroup>(
    ctx,
    'ec2:DescribeSecurityGroups',
    (NextToken, abortSignal) =>
      client.send(new DescribeSecurityGroupsCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.SecurityGroups,
    (o) => o.NextToken,
  );
  return (groups ?? []).map((g) => securityGroupResource(ctx, region, g, 'ec2'));
}

/** One security group as a resource; the Config path hands in its configuration item in the same shape. */
export function securityGroupResource(
  ctx: AwsScanContext,
  region: string,
  g: SecurityGroup,
  api: string,
): Resource {
  return ctx.accountResource({
    id: `arn:aws:ec2:${region}:${ctx.accountId}:security-group/${g.GroupId ?? ''}`,
    region,
    type: 'aws.ec2.security_group',
    name: g.GroupName ?? g.GroupId ?? '',
    api,
    now: ctx.now(),
    attributes: {
      group_id: g.GroupId ?? '',
      description: g.Description ?? '',
      vpc_id: g.VpcId ?? null,
      is_default: g.GroupName === 'default',
      ingress_rules: (g.IpPermissions ?? []).map(ruleFrom),
      egress_rules: (g.IpPermissionsEgress ?? []).map(ruleFrom),
    },
  });
}

/** One permission; protocol -1 (all) is spelled `all` and spans every port, so rules need no special case. */
export function ruleFrom(p: IpPermission): Record<string, unknown> {
  const all = p.IpProtocol === '-1';
  return {
    protocol: all ? 'all' : (p.IpProtocol ?? 'all'),
    from_port: all ? 0 : (p.FromPort ?? 0),
    to_port: all ? 65535 : (p.ToPort ?? 65535),
    ipv4_cidrs: (p.IpRanges ?? []).map((r) => r.CidrIp ?? '').filter(Boolean),
    ipv6_cidrs: (p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6 ?? '').filter(Boolean),
    prefix_list_ids: (p.PrefixListIds ?? []).map((r) => r.PrefixListId ?? '').filter(Boolean),
    security_group_ids: (p.UserIdGroupPairs ?? []).map((r) => r.GroupId ?? '').filter(Boolean),
  };
}

export async function scanVolumes(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const volumes = await pages<{ Volumes?: Volume[]; NextToken?: string }, Volume>(
    ctx,
    'ec2:DescribeVolumes',
    (NextToken, abortSignal) =>
      client.send(new DescribeVolumesCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), { abortSignal }),
    (o) => o.Volumes,
    (o) => o.NextToken,
  );
  return (volumes ?? []).map((v) => volumeResource(ctx, region, v, 'ec2'));
}

export function volumeResource(ctx: AwsScanContext, region: string, v: Volume, api: string): Resource {
  return ctx.accountResource({
    id: `arn:aws:ec2:${region}:${ctx.accountId}:volume/${v.VolumeId ?? ''}`,
    region,
    type: 'aws.ec2.volume',
    name: v.VolumeId ?? '',
    api,
    now: ctx.now(),
    attributes: {
      volume_id: v.VolumeId ?? '',
      encrypted: v.Encrypted ?? false,
      kms_key_id: v.Encrypted ? (v.KmsKeyId ?? null) : null,
      size_gib: v.Size ?? 0,
      volume_type: v.VolumeType ?? 'standard',
      state: v.State ?? 'unknown',
      availability_zone: v.AvailabilityZone ?? '',
      attached_instance_ids: (v.Attachments ?? []).map((a) => a.InstanceId ?? '').filter(Boolean),
      create_time: iso(v.CreateTime) ?? new Date(0).toISOString(),
    },
  });
}

// ---------------- RDS ----------------

export async function scanDbInstances(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('rds', region, (settings) => new RDSClient(settings));
  const instances = await pages<{ DBInstances?: DBInstance[]; Marker?: string }, DBInstance>(
    ctx,
    'rds:DescribeDBInstances',
    (Marker, abortSignal) =>
      client.send(new DescribeDBInstancesCommand({ Marker, MaxRecords: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.DBInstances,
    (o) => o.Marker,
  );
  return (instances ?? []).map((db) => dbInstanceResource(ctx, region, db, 'rds'));
}

export function dbInstanceResource(
  ctx: AwsScanContext,
  region: string,
  db: DBInstance,
  api: string,
): Resource {
  const name = db.DBInstanceIdentifier ?? '';
  return ctx.accountResource({
    id: db.DBInstanceArn ?? `arn:aws:rds:${region}:${ctx.accountId}:db:${name}`,
    region,
    type: 'aws.rds.db_instance',
    name,
    api,
    now: ctx.now(),
    attributes: {
      db_instance_identifier: name,
      engine: db.Engine ?? '',
      engine_version: db.EngineVersion ?? '',
      instance_class: db.DBInstanceClass ?? '',
      status: db.DBInstanceStatus ?? '',
      storage_encrypted: db.StorageEncrypted ?? false,
      kms_key_id: db.StorageEncrypted ? (db.KmsKeyId ?? null) : null,
      publicly_accessible: db.PubliclyAccessible ?? false,
      backup_retention_period: db.BackupRetentionPeriod ?? 0,
      multi_az: db.MultiAZ ?? false,
      deletion_protection: db.DeletionProtection ?? false,
      // 0 (or not given): Enhanced Monitoring is off.
      monitoring_interval_seconds: db.MonitoringInterval ?? 0,
      auto_minor_version_upgrade: db.AutoMinorVersionUpgrade ?? false,
      copy_tags_to_snapshot: db.CopyTagsToSnapshot ?? false,
      port: db.Endpoint?.Port ?? null,
      iam_database_authentication_enabled: db.IAMDatabaseAuthenticationEnabled ?? false,
      enabled_cloudwatch_logs_exports: db.EnabledCloudwatchLogsExports ?? [],
      ...(db.MasterUsername === undefined ? {} : { master_username: db.MasterUsername }),
    },
  });
}

// ---------------- KMS ----------------

export async function scanKmsKeys(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('kms', region, (settings) => new KMSClient(settings));
  const keys = await pages<{ Keys?: KeyListEntry[]; NextMarker?: string; Truncated?: boolean }, KeyListEntry>(
    ctx,
    'kms:ListKeys',
    (Marker, abortSignal) =>
      client.send(new ListKeysCommand({ Marker, Limit: ctx.pageSize(1000) }), { abortSignal }),
    (o) => o.Keys,
    (o) => (o.Truncated ? o.NextMarker : undefined),
  );
  const read = await mapWithConcurrency(
    keys ?? [],
    KEY_CONCURRENCY,
    async (entry): Promise<Resource | null> => {
      const KeyId = entry.KeyArn ?? entry.KeyId ?? '';
      const described = await ctx.call('kms:DescribeKey', (abortSignal) =>
        client.send(new DescribeKeyCommand({ KeyId }), { abortSignal }),
      );
      // Without DescribeKey nothing but the id is known, not even which attributes would apply: skip the key.
      if (!described.ok) {
        ctx.recordFailure('kms:DescribeKey', 'kms:DescribeKey', KeyId, described);
        return null;
      }
      const m: KeyMetadata = described.value.KeyMetadata ?? { KeyId: entry.KeyId ?? '' };
      return kmsKeyResource(ctx, region, m, KeyId, 'kms', undefined);
    },
  );
  return read.filter((r): r is Resource => r !== null);
}

/**
 * One key as a resource. `rotationEnabled` is what AWS Config recorded (KeyRotationStatus) when the key
 * came from Config; the rotation period is never recorded there, so an enabled customer managed key still
 * costs one GetKeyRotationStatus call, and a disabled one none. An AWS managed key costs none on either
 * path: AWS rotates every one of them yearly, and that can be neither turned off nor changed.
 */
/** The fixed rotation period of AWS managed keys (KMS developer guide, "Rotating AWS KMS keys"). */
const AWS_MANAGED_ROTATION_DAYS = 365;

export async function kmsKeyResource(
  ctx: AwsScanContext,
  region: string,
  m: KeyMetadata,
  KeyId: string,
  api: string,
  rotationEnabled: boolean | undefined,
): Promise<Resource> {
  const attributes: Record<string, unknown> = {
    key_id: m.KeyId ?? KeyId,
    description: m.Description ?? '',
    key_manager: m.KeyManager === 'AWS' ? 'AWS' : 'CUSTOMER',
    key_state: m.KeyState ?? 'Unknown',
    enabled: m.Enabled ?? false,
    key_spec: m.KeySpec ?? 'SYMMETRIC_DEFAULT',
    key_usage: m.KeyUsage ?? 'ENCRYPT_DECRYPT',
    origin: m.Origin ?? 'AWS_KMS',
    multi_region: m.MultiRegion ?? false,
    creation_date: iso(m.CreationDate) ?? new Date(0).toISOString(),
  };
  // Only symmetric encryption keys with KMS-generated material can rotate automatically.
  const rotatable = m.KeySpec === 'SYMMETRIC_DEFAULT' && m.Origin === 'AWS_KMS';
  if (!rotatable) {
    attributes.rotation_enabled = null;
    attributes.rotation_period_days = null;
  } else if (rotationEnabled === false) {
    attributes.rotation_enabled = false;
    attributes.rotation_period_days = null;
  } else if (m.KeyManager === 'AWS') {
    attributes.rotation_enabled = true;
    attributes.rotation_period_days = AWS_MANAGED_ROTATION_DAYS;
  } else {
    const client = ctx.client('kms', region, (settings) => new KMSClient(settings));
    const rotation = await ctx.call('kms:GetKeyRotationStatus', (abortSignal) =>
      client.send(new GetKeyRotationStatusCommand({ KeyId }), { abortSignal }),
    );
    if (rotation.ok) {
      attributes.rotation_enabled = rotation.value.KeyRotationEnabled ?? false;
      attributes.rotation_period_days = rotation.value.KeyRotationEnabled
        ? (rotation.value.RotationPeriodInDays ?? 365)
        : null;
    } else if (rotation.code === 'UnsupportedOperationException') {
      attributes.rotation_enabled = null;
      attributes.rotation_period_days = null;
    } else ctx.recordFailure('kms:GetKeyRotationStatus', 'kms:GetKeyRotationStatus', KeyId, rotation);
  }
  return ctx.accountResource({
    id: m.Arn ?? KeyId,
    region,
    type: 'aws.kms.key',
    name: m.KeyId ?? KeyId,
    api,
    now: ctx.now(),
    attributes,
  });
}

// ---------------- GuardDuty ----------------

export async function scanGuardDuty(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('guardduty', region, (settings) => new GuardDutyClient(settings));
  const ids = await pages<{ DetectorIds?: string[]; NextToken?: string }, string>(
    ctx,
    'guardduty:ListDetectors',
    (NextToken, abortSignal) => client.send(new ListDetectorsCommand({ NextToken }), { abortSignal }),
    (o) => o.DetectorIds,
    (o) => o.NextToken,
  );
  if (!ids) return [];
  const arn = (id: string): string => `arn:aws:guardduty:${region}:${ctx.accountId}:detector/${id}`;
  if (ids.length === 0) {
    return [
      ctx.accountResource({
        id: arn('none'),
        region,
        type: 'aws.guardduty.detector',
        name: `GuardDuty ${region} (no detector)`,
        api: 'guardduty',
        now: ctx.now(),
        attributes: { detector_id: null, enabled: false, finding_publishing_frequency: null, features: [] },
      }),
    ];
  }
  const resources: Resource[] = [];
  for (const DetectorId of ids) {
    const got = await ctx.call('guardduty:GetDetector', (abortSignal) =>
      client.send(new GetDetectorCommand({ DetectorId }), { abortSignal }),
    );
    const attributes: Record<string, unknown> = { detector_id: DetectorId };
    if (got.ok) {
      attributes.enabled = got.value.Status === 'ENABLED';
      attributes.finding_publishing_frequency = got.value.FindingPublishingFrequency ?? null;
      attributes.features = (got.value.Features ?? []).map((f) => ({
        name: f.Name ?? '',
        enabled: f.Status === 'ENABLED',
      }));
    } else ctx.recordFailure('guardduty:GetDetector', 'guardduty:GetDetector', arn(DetectorId), got);
    resources.push(
      ctx.accountResource({
        id: arn(DetectorId),
        region,
        type: 'aws.guardduty.detector',
        name: DetectorId,
        api: 'guardduty',
        now: ctx.now(),
        attributes,
      }),
    );
  }
  return resources;
}

// ---------------- CloudTrail ----------------

/** Trails whose home region is `region` (a multi-region trail is listed everywhere but reported once). */
export async function scanTrails(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('cloudtrail', region, (settings) => new CloudTrailClient(settings));
  const listed = await ctx.call('cloudtrail:DescribeTrails', (abortSignal) =>
    client.send(new DescribeTrailsCommand({ includeShadowTrails: false }), { abortSignal }),
  );
  if (!listed.ok) {
    ctx.recordFailure('cloudtrail:DescribeTrails', 'cloudtrail:DescribeTrails', null, listed);
    return [];
  }
  const trails = (listed.value.trailList ?? []).filter((t) => (t.HomeRegion ?? region) === region);
  const resources: Resource[] = [];
  for (const trail of trails) resources.push(await trailResource(ctx, region, trail, 'cloudtrail'));
  return resources;
}

/**
 * One trail as a resource. Its logging status and event selectors are not part of a trail's
 * description (nor of its AWS Config item), so both paths read them with two calls.
 */
export async function trailResource(
  ctx: AwsScanContext,
  region: string,
  trail: Trail,
  api: string,
): Promise<Resource> {
  const client = ctx.client('cloudtrail', region, (settings) => new CloudTrailClient(settings));
  const arn = trail.TrailARN ?? `arn:aws:cloudtrail:${region}:${ctx.accountId}:trail/${trail.Name ?? ''}`;
  const attributes: Record<string, unknown> = {
    home_region: trail.HomeRegion ?? region,
    is_multi_region_trail: trail.IsMultiRegionTrail ?? false,
    is_organization_trail: trail.IsOrganizationTrail ?? false,
    include_global_service_events: trail.IncludeGlobalServiceEvents ?? false,
    log_file_validation_enabled: trail.LogFileValidationEnabled ?? false,
    kms_key_id: trail.KmsKeyId ?? null,
    s3_bucket_name: trail.S3BucketName ?? null,
    cloudwatch_logs_log_group_arn: trail.CloudWatchLogsLogGroupArn ?? null,
  };
  const status = await ctx.call('cloudtrail:GetTrailStatus', (abortSignal) =>
    client.send(new GetTrailStatusCommand({ Name: arn }), { abortSignal }),
  );
  if (status.ok) {
    attributes.is_logging = status.value.IsLogging ?? false;
    attributes.latest_delivery_time = iso(status.value.LatestDeliveryTime);
  } else ctx.recordFailure('cloudtrail:GetTrailStatus', 'cloudtrail:GetTrailStatus', arn, status);
  const selectors = await ctx.call('cloudtrail:GetEventSelectors', (abortSignal) =>
    client.send(new GetEventSelectorsCommand({ TrailName: arn }), { abortSignal }),
  );
  if (selectors.ok) {
    attributes.management_events = managementEvents(
      selectors.value.EventSelectors,
      selectors.value.AdvancedEventSelectors,
    );
  } else ctx.recordFailure('cloudtrail:GetEventSelectors', 'cloudtrail:GetEventSelectors', arn, selectors);
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.cloudtrail.trail',
    name: trail.Name ?? arn,
    api,
    now: ctx.now(),
    attributes,
  });
}

/** Which management events the selectors record: All, ReadOnly, WriteOnly, or null for none. */
export function managementEvents(
  basic: EventSelector[] | undefined,
  advanced: AdvancedEventSelector[] | undefined,
): 'All' | 'ReadOnly' | 'WriteOnly' | null {
  let read = false;
  let write = false;
  for (const s of basic ?? []) {
    if (s.IncludeManagementEvents === false) continue;
    const type = s.ReadWriteType ?? 'All';
    if (type === 'All' || type === 'ReadOnly') read = true;
    if (type === 'All' || type === 'WriteOnly') write = true;
  }
  for (const s of advanced ?? []) {
    const fields = s.FieldSelectors ?? [];
    if (!fields.some((f) => f.Field === 'eventCategory' && f.Equals?.includes('Management'))) continue;
    const readOnly = fields.find((f) => f.Field === 'readOnly');
    if (!readOnly) {
      read = true;
      write = true;
    } else if (readOnly.Equals?.includes('true')) read = true;
    else write = true;
  }
  if (read && write) return 'All';
  if (read) return 'ReadOnly';
  if (write) return 'WriteOnly';
  return null;
}
