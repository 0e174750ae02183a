/**
 * Redshift provisioned clusters, per region: DescribeClusters (encryption, public access, enhanced VPC
 * routing) and one DescribeLoggingStatus per cluster (audit logging). A refused DescribeLoggingStatus leaves
 * the cluster in with its logging unknown (the key absent) and the error recorded. Read directly only: the
 * scanner does not take them from AWS Config yet.
 */
import {
  DescribeClustersCommand,
  DescribeLoggingStatusCommand,
  RedshiftClient,
  type Cluster,
} from '@aws-sdk/client-redshift';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

const LOGGING_CONCURRENCY = 4;

export async function scanRedshiftClusters(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('redshift', region, (settings) => new RedshiftClient(settings));
  const clusters = await pages<{ Clusters?: Cluster[]; Marker?: string }, Cluster>(
    ctx,
    'redshift:DescribeClusters',
    (Marker, abortSignal) =>
      client.send(new DescribeClustersCommand({ Marker, MaxRecords: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.Clusters,
    (o) => o.Marker,
  );
  return mapWithConcurrency(clusters ?? [], LOGGING_CONCURRENCY, async (c) => {
    const ClusterIdentifier = c.ClusterIdentifier ?? '';
    const arn = `arn:aws:redshift:${region}:${ctx.accountId}:cluster:${ClusterIdentifier}`;
    const logging = await ctx.call('redshift:DescribeLoggingStatus', (abortSignal) =>
      client.send(new DescribeLoggingStatusCommand({ ClusterIdentifier }), { abortSignal }),
    );
    if (!logging.ok)
      ctx.recordFailure('redshift:DescribeLoggingStatus', 'redshift:DescribeLoggingStatus', arn, logging);
    const encrypted = c.Encrypted ?? false;
    return ctx.accountResource({
      id: arn,
      region,
      type: 'aws.redshift.cluster',
      name: ClusterIdentifier,
      api: 'redshift',
      now: ctx.now(),
      attributes: {
        cluster_identifier: ClusterIdentifier,
        node_type: c.NodeType ?? '',
        status: c.ClusterStatus ?? '',
        encrypted,
        kms_key_id: encrypted ? (c.KmsKeyId ?? null) : null,
        publicly_accessible: c.PubliclyAccessible ?? false,
        enhanced_vpc_routing: c.EnhancedVpcRouting ?? false,
        ...(logging.ok
          ? {
              audit_logging: {
                enabled: logging.value.LoggingEnabled ?? false,
                destination: logging.value.LoggingEnabled ? (logging.value.LogDestinationType ?? 's3') : null,
                log_exports: logging.value.LogExports ?? [],
              },
            }
          : {}),
      },
    });
  });
}
