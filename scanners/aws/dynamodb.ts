/**
 * DynamoDB tables. The DynamoDB SDK client is not among the scanner's dependencies yet, so tables are read
 * through AWS Config only: the AWS::DynamoDB::Table item carries DescribeTable's answer (lower camel) and,
 * as supplementary configuration, DescribeContinuousBackups'. The item is first put back into the SDK's
 * shape (TableDescription, ContinuousBackupsDescription), so the direct path, once the client is added,
 * hands DescribeTable and DescribeContinuousBackups answers to the same builder.
 */
import type { Resource } from '../../schemas/index.ts';
import { iso, type AwsScanContext } from './aws-context.ts';

/** The part of @aws-sdk/client-dynamodb's TableDescription the scanner reads. */
export interface TableDescription {
  TableName?: string;
  TableArn?: string;
  TableStatus?: string;
  CreationDateTime?: Date | string;
  BillingModeSummary?: { BillingMode?: string };
  SSEDescription?: { Status?: string; SSEType?: string; KMSMasterKeyArn?: string };
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
