/**
 * EBS snapshots the account owns, scanned once per enabled region: DescribeSnapshots (owner self) and, per
 * completed snapshot, DescribeSnapshotAttribute for who may create volumes from it. AWS Config does not record
 * EBS snapshots, so they are always read directly.
 */
import {
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { iso, type AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** Snapshots whose permissions are read at the same time within a region. */
const SNAPSHOT_CONCURRENCY = 4;

export async function scanSnapshots(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('ec2', region, (settings) => new EC2Client(settings));
  const snapshots = await pages<{ Snapshots?: Snapshot[]; NextToken?: string }, Snapshot>(
    ctx,
    'ec2:DescribeSnapshots',
    (NextToken, abortSignal) =>
      client.send(
        new DescribeSnapshotsCommand({ OwnerIds: ['self'], NextToken, MaxResults: ctx.pageSize(1000) }),
        { abortSignal },
      ),
    (o) => o.Snapshots,
    (o) => o.NextToken,
  );
  return mapWithConcurrency(snapshots ?? [], SNAPSHOT_CONCURRENCY, async (snapshot) => {
    const SnapshotId = snapshot.SnapshotId ?? '';
    const arn = `arn:aws:ec2:${region}:${ctx.accountId}:snapshot/${SnapshotId}`;
    const attributes: Record<string, unknown> = {
      snapshot_id: SnapshotId,
      volume_id: snapshot.VolumeId ?? null,
      state: snapshot.State ?? 'unknown',
      encrypted: snapshot.Encrypted ?? false,
      kms_key_id: snapshot.Encrypted ? (snapshot.KmsKeyId ?? null) : null,
      volume_size_gib: snapshot.VolumeSize ?? 0,
      start_time: iso(snapshot.StartTime),
    };
    const permissions = await ctx.call('ec2:DescribeSnapshotAttribute', (abortSignal) =>
      client.send(new DescribeSnapshotAttributeCommand({ SnapshotId, Attribute: 'createVolumePermission' }), {
        abortSignal,
      }),
    );
    if (permissions.ok) {
      const granted = permissions.value.CreateVolumePermissions ?? [];
      attributes.public = granted.some((p) => p.Group === 'all');
      attributes.shared_with_accounts = granted.flatMap((p) => (p.UserId ? [p.UserId] : []));
    } else
      ctx.recordFailure('ec2:DescribeSnapshotAttribute', 'ec2:DescribeSnapshotAttribute', arn, permissions);
    return ctx.accountResource({
      id: arn,
      region,
      type: 'aws.ec2.snapshot',
      name: snapshot.Tags?.find((t) => t.Key === 'Name')?.Value || SnapshotId,
      api: 'ec2',
      now: ctx.now(),
      attributes,
    });
  });
}
