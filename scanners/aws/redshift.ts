/**
 * Redshift provisioned clusters, per region: DescribeClusters (encryption, public access, enhanced VPC
 * routing, tags) and one DescribeLoggingStatus per cluster (audit logging). A refused DescribeLoggingStatus
 * leaves the cluster in with its logging unknown (the key absent) and the error recorded. AWS Config's
 * AWS::Redshift::Cluster item is DescribeClusters' answer in lower camel, with DescribeLoggingStatus' as its
 * LoggingStatus supplementary configuration; both are put back into the SDK's shapes for the same builder
 * (an item without LoggingStatus still costs the DescribeLoggingStatus call).
 */
import {
  DescribeClustersCommand,
  DescribeLoggingStatusCommand,
  RedshiftClient,
  type Cluster,
  type LoggingStatus,
} from '@aws-sdk/client-redshift';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, list, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const LOGGING_CONCURRENCY = 4;

function redshift(ctx: AwsScanContext, region: string): RedshiftClient {
  return ctx.client('redshift', region, (settings) => new RedshiftClient(settings));
}

export async function scanRedshiftClusters(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = redshift(ctx, region);
  const clusters = await pages<{ Clusters?: Cluster[]; Marker?: string }, Cluster>(
    ctx,
    'redshift:DescribeClusters',
    (Marker, abortSignal) =>
      client.send(new DescribeClustersCommand({ Marker, MaxRecords: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.Clusters,
    (o) => o.Marker,
  );
  return redshiftResources(
    ctx,
    region,
    (clusters ?? []).map((cluster) => ({ cluster, logging: undefined })),
    'redshift',
  );
}

/** The clusters as resources; a cluster whose logging status is not given has it read (DescribeLoggingStatus). */
export function redshiftResources(
  ctx: AwsScanContext,
  region: string,
  clusters: { cluster: Cluster; logging: LoggingStatus | undefined }[],
  api: string,
): Promise<Resource[]> {
  const client = redshift(ctx, region);
  return mapWithConcurrency(clusters, LOGGING_CONCURRENCY, async ({ cluster: c, logging: known }) => {
    const ClusterIdentifier = c.ClusterIdentifier ?? '';
    const arn = `arn:aws:redshift:${region}:${ctx.accountId}:cluster:${ClusterIdentifier}`;
    let logging = known;
    if (!logging) {
      const got = await ctx.call('redshift:DescribeLoggingStatus', (abortSignal) =>
        client.send(new DescribeLoggingStatusCommand({ ClusterIdentifier }), { abortSignal }),
      );
      if (got.ok) logging = got.value;
      else ctx.recordFailure('redshift:DescribeLoggingStatus', 'redshift:DescribeLoggingStatus', arn, got);
    }
    const encrypted = c.Encrypted ?? false;
    return ctx.accountResource({
      id: arn,
      region,
      type: 'aws.redshift.cluster',
      name: ClusterIdentifier,
      api,
      now: ctx.now(),
      attributes: {
        cluster_identifier: ClusterIdentifier,
        node_type: c.NodeType ?? '',
        status: c.ClusterStatus ?? '',
        encrypted,
        kms_key_id: encrypted ? (c.KmsKeyId ?? null) : null,
        publicly_accessible: c.PubliclyAccessible ?? false,
        enhanced_vpc_routing: c.EnhancedVpcRouting ?? false,
        tags: Object.fromEntries((c.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        ...(logging
          ? {
              audit_logging: {
                enabled: logging.LoggingEnabled ?? false,
                destination: logging.LoggingEnabled ? (logging.LogDestinationType ?? 's3') : null,
                log_exports: logging.LogExports ?? [],
              },
            }
          : {}),
      },
    });
  });
}

/** A cluster's item (DescribeClusters in lower camel) and its LoggingStatus supplementary configuration. */
export function redshiftClusterFromItem(item: ConfigItem): {
  cluster: Cluster;
  logging: LoggingStatus | undefined;
} {
  const c = obj(item.configuration);
  const supplementary = obj(item.supplementaryConfiguration);
  const status = 'LoggingStatus' in supplementary ? obj(supplementary.LoggingStatus) : undefined;
  return {
    cluster: {
      ClusterIdentifier: str(c.clusterIdentifier) ?? item.resourceId,
      NodeType: str(c.nodeType),
      ClusterStatus: str(c.clusterStatus),
      Encrypted: bool(c.encrypted),
      KmsKeyId: str(c.kmsKeyId),
      PubliclyAccessible: bool(c.publiclyAccessible),
      EnhancedVpcRouting: bool(c.enhancedVpcRouting),
      Tags: list(c.tags).map((t) => ({ Key: str(obj(t).key), Value: str(obj(t).value) })),
    },
    logging: status && {
      LoggingEnabled: bool(status.loggingEnabled),
      BucketName: str(status.bucketName),
      LogDestinationType: str(status.logDestinationType) as LoggingStatus['LogDestinationType'],
      LogExports: list(status.logExports).filter((x): x is string => typeof x === 'string'),
    },
  };
}
