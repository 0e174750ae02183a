/**
 * EFS file systems (aws.efs.file_system), per region: DescribeFileSystems, then DescribeBackupPolicy for each.
 * AWS Config's AWS::EFS::FileSystem item records both the encryption and the backup policy, so the Config path
 * makes no call.
 */
import {
  DescribeBackupPolicyCommand,
  DescribeFileSystemsCommand,
  EFSClient,
  type FileSystemDescription,
} from '@aws-sdk/client-efs';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { list, obj, str, type ConfigItemFields as ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const FS_CONCURRENCY = 4;

export async function scanEfsFileSystems(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('efs', region, (settings) => new EFSClient(settings));
  const systems = await pages<
    { FileSystems?: FileSystemDescription[]; NextMarker?: string },
    FileSystemDescription
  >(
    ctx,
    'elasticfilesystem:DescribeFileSystems',
    (Marker, abortSignal) =>
      client.send(new DescribeFileSystemsCommand({ Marker, MaxItems: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.FileSystems,
    (o) => o.NextMarker,
  );
  return mapWithConcurrency(systems ?? [], FS_CONCURRENCY, async (fs) => {
    const FileSystemId = fs.FileSystemId ?? '';
    const got = await ctx.call('elasticfilesystem:DescribeBackupPolicy', (abortSignal) =>
      client.send(new DescribeBackupPolicyCommand({ FileSystemId }), { abortSignal }),
    );
    let backup: string | undefined;
    if (got.ok) backup = got.value.BackupPolicy?.Status ?? 'DISABLED';
    // A file system that never had automatic backups set has no backup policy at all.
    else if (got.code === 'PolicyNotFound') backup = 'DISABLED';
    else
      ctx.recordFailure(
        'elasticfilesystem:DescribeBackupPolicy',
        'elasticfilesystem:DescribeBackupPolicy',
        fs.FileSystemArn ?? FileSystemId,
        got,
      );
    return efsFileSystemResource(ctx, region, fs, backup, 'efs');
  });
}

/** The file system and its backup status from its item (CloudFormation-registry form, PascalCase). */
export function fileSystemFromItem(item: ConfigItem): {
  fs: FileSystemDescription;
  backup: string | undefined;
} {
  const c = (
    item.configuration && typeof item.configuration === 'object' ? item.configuration : {}
  ) as Record<string, unknown>;
  const policy = (c.BackupPolicy && typeof c.BackupPolicy === 'object' ? c.BackupPolicy : {}) as Record<
    string,
    unknown
  >;
  return {
    fs: {
      FileSystemId: typeof c.FileSystemId === 'string' ? c.FileSystemId : item.resourceId,
      FileSystemArn: typeof c.Arn === 'string' ? c.Arn : undefined,
      Encrypted: c.Encrypted === true || c.Encrypted === 'true',
      KmsKeyId: typeof c.KmsKeyId === 'string' ? c.KmsKeyId : undefined,
      // CloudFormation's form names the tags FileSystemTags ({Key, Value} like the API's Tags).
      Tags: list(c.FileSystemTags).map((t) => ({ Key: str(obj(t).Key), Value: str(obj(t).Value) })),
    } as FileSystemDescription,
    backup: typeof policy.Status === 'string' ? policy.Status : 'DISABLED',
  };
}

export function efsFileSystemResource(
  ctx: AwsScanContext,
  region: string,
  fs: FileSystemDescription,
  backup: string | undefined,
  api: string,
): Resource {
  const id = fs.FileSystemId ?? '';
  const attributes: Record<string, unknown> = {
    file_system_id: id,
    encrypted: fs.Encrypted ?? false,
    kms_key_id: fs.Encrypted ? (fs.KmsKeyId ?? null) : null,
    tags: Object.fromEntries((fs.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
  if (backup !== undefined) attributes.backup_policy_status = backup;
  return ctx.accountResource({
    id: fs.FileSystemArn ?? `arn:aws:elasticfilesystem:${region}:${ctx.accountId}:file-system/${id}`,
    region,
    type: 'aws.efs.file_system',
    name: id,
    api,
    now: ctx.now(),
    attributes,
  });
}
