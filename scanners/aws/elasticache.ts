/**
 * ElastiCache replication groups (Redis OSS and Valkey), per region: DescribeReplicationGroups answers every
 * setting the rules read (encryption at rest and in transit, AUTH token, RBAC user groups, automatic
 * failover, snapshot retention) in one paged call. Always read directly: AWS Config records
 * no ElastiCache resource type (none is among the Config API's ResourceType values).
 */
import {
  DescribeReplicationGroupsCommand,
  ElastiCacheClient,
  type ReplicationGroup,
} from '@aws-sdk/client-elasticache';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

export async function scanReplicationGroups(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('elasticache', region, (settings) => new ElastiCacheClient(settings));
  const groups = await pages<{ ReplicationGroups?: ReplicationGroup[]; Marker?: string }, ReplicationGroup>(
    ctx,
    'elasticache:DescribeReplicationGroups',
    (Marker, abortSignal) =>
      client.send(new DescribeReplicationGroupsCommand({ Marker, MaxRecords: ctx.pageSize(100) }), {
        abortSignal,
      }),
    (o) => o.ReplicationGroups,
    (o) => o.Marker,
  );
  return (groups ?? []).map((g) => replicationGroupResource(ctx, region, g, 'elasticache'));
}

export function replicationGroupResource(
  ctx: AwsScanContext,
  region: string,
  g: ReplicationGroup,
  api: string,
): Resource {
  const name = g.ReplicationGroupId ?? '';
  const transit = g.TransitEncryptionEnabled ?? false;
  return ctx.accountResource({
    id: g.ARN ?? `arn:aws:elasticache:${region}:${ctx.accountId}:replicationgroup:${name}`,
    region,
    type: 'aws.elasticache.replication_group',
    name,
    api,
    now: ctx.now(),
    attributes: {
      replication_group_id: name,
      description: g.Description ?? '',
      engine: g.Engine ?? 'redis',
      status: g.Status ?? '',
      cluster_enabled: g.ClusterEnabled ?? false,
      at_rest_encryption_enabled: g.AtRestEncryptionEnabled ?? false,
      kms_key_id: g.AtRestEncryptionEnabled ? (g.KmsKeyId ?? null) : null,
      transit_encryption_enabled: transit,
      // A group with TLS on but no mode reported predates modes: it only accepts TLS (required).
      transit_encryption_mode: transit ? (g.TransitEncryptionMode ?? 'required') : null,
      auth_token_enabled: g.AuthTokenEnabled ?? false,
      user_group_ids: g.UserGroupIds ?? [],
      automatic_failover: g.AutomaticFailover ?? 'disabled',
      multi_az: g.MultiAZ ?? 'disabled',
      snapshot_retention_limit: g.SnapshotRetentionLimit ?? 0,
      auto_minor_version_upgrade: g.AutoMinorVersionUpgrade ?? false,
    },
  });
}
