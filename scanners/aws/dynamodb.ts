/**
 * DynamoDB tables, per region: ListTables, then DescribeTable and DescribeContinuousBackups for each. The
 * AWS::DynamoDB::Table item carries DescribeTable's answer (lower camel) and, as supplementary configuration,
 * DescribeContinuousBackups'; the item is put back into the SDK's shape (TableDescription,
 * ContinuousBackupsDescription) so both paths hand the same answers to one builder.
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { iso, type AwsScanContext } from './aws-context.ts';

const TABLE_CONCURRENCY = 4;

/** The region's tables, read directly. A table whose DescribeTable fails is reported and left out. */
export async function scanDynamoTables(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('dynamodb', region, (settings) => new DynamoDBClient(settings));
  const names: string[] = [];
  let start: string | undefined;
  do {
    const page = await ctx.call('dynamodb:ListTables', (abortSignal) =>
      client.send(new ListTablesCommand({ ExclusiveStartTableName: start, Limit: ctx.pageSize(100) }), {
        abortSignal,
      }),
    );
    if (!page.ok) {
      ctx.recordFailure('dynamodb:ListTables', 'dynamodb:ListTables', null, page);
      return [];
    }
    names.push(...(page.value.TableNames ?? []));
    start = page.value.LastEvaluatedTableName || undefined;
  } while (start);
  const read = await mapWithConcurrency(names, TABLE_CONCURRENCY, async (TableName) => {
    const described = await ctx.call('dynamodb:DescribeTable', (abortSignal) =>
      client.send(new DescribeTableCommand({ TableName }), { abortSignal }),
    );
    if (!described.ok) {
      if (described.code !== 'ResourceNotFoundException')
        ctx.recordFailure('dynamodb:DescribeTable', 'dynamodb:DescribeTable', TableName, described);
      return null;
    }
    const table = described.value.Table ?? { TableName };
    const backups = await ctx.call('dynamodb:DescribeContinuousBackups', (abortSignal) =>
      client.send(new DescribeContinuousBackupsCommand({ TableName }), { abortSignal }),
    );
    if (!backups.ok)
      ctx.recordFailure(
        'dynamodb:DescribeContinuousBackups',
        'dynamodb:DescribeContinuousBackups',
        table.TableArn ?? TableName,
        backups,
      );
    const description = backups.ok ? (backups.value.ContinuousBackupsDescription ?? {}) : undefined;
    return dynamoTableResource(ctx, region, table, description, 'dynamodb');
  });
  return read.filter((r): r is Resource => r !== null);
}

/** The part of @aws-sdk/client-dynamodb's TableDescription the scanner reads. */
export interface TableDescription {
  TableName?: string;
  TableArn?: string;
  TableStatus?: string;
  CreationDateTime?: Date | string;
  BillingModeSummary?: { BillingMode?: string };
  SSEDescription?: { Status?: string; SSEType?: string; KMSMasterKeyArn?: string };
  DeletionProtectionEnabled?: boolean;
}

/** The part of @aws-sdk/client-dynamodb's ContinuousBackupsDescription the scanner reads. */
export interface ContinuousBackupsDescription {
  ContinuousBackupsStatus?: string;
  PointInTimeRecoveryDescription?: { PointInTimeRecoveryStatus?: string };
}

/**
 * One table as a resource. `backups` is undefined when its description could not be read, and the
 * point-in-time recovery attribute is then left out rather than guessed.
 */
export function dynamoTableResource(
  ctx: AwsScanContext,
  region: string,
  table: TableDescription,
  backups: ContinuousBackupsDescription | undefined,
  api: string,
): Resource {
  const name = table.TableName ?? '';
  // SSE status ENABLED means a KMS key in the account; without it DynamoDB's own (AWS owned) key encrypts.
  const kms = table.SSEDescription?.Status === 'ENABLED' || table.SSEDescription?.Status === 'UPDATING';
  const attributes: Record<string, unknown> = {
    table_name: name,
    status: table.TableStatus ?? 'UNKNOWN',
    billing_mode: table.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
    creation_date: iso(table.CreationDateTime),
    sse_type: kms ? 'KMS' : 'AWS_OWNED',
    kms_key_arn: kms ? (table.SSEDescription?.KMSMasterKeyArn ?? null) : null,
    deletion_protection_enabled: table.DeletionProtectionEnabled ?? false,
  };
  if (backups)
    attributes.point_in_time_recovery_enabled =
      backups.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED';
  return ctx.accountResource({
    id: table.TableArn ?? `arn:aws:dynamodb:${region}:${ctx.accountId}:table/${name}`,
    region,
    type: 'aws.dynamodb.table',
    name,
    api,
    now: ctx.now(),
    attributes,
  });
}
