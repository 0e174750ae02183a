/**
 * SQS queues (aws.sqs.queue), per region: ListQueues, then GetQueueAttributes (All) for each. AWS Config's
 * AWS::SQS::Queue item records the queue's encryption but not its access policy or redrive policy, so a queue
 * read through Config costs one GetQueueAttributes call for those two.
 */
import {
  GetQueueAttributesCommand,
  ListQueuesCommand,
  SQSClient,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import type { ConfigItemFields as ConfigItem } from './config-item.ts';
import { policyAccess } from './policy-access.ts';
import { pages } from './regional.ts';

const QUEUE_CONCURRENCY = 4;

function sqs(ctx: AwsScanContext, region: string): SQSClient {
  return ctx.client('sqs', region, (settings) => new SQSClient(settings));
}

async function queueAttributes(
  ctx: AwsScanContext,
  region: string,
  QueueUrl: string,
  AttributeNames: QueueAttributeName[],
): Promise<Record<string, string> | null | undefined> {
  const got = await ctx.call('sqs:GetQueueAttributes', (abortSignal) =>
    sqs(ctx, region).send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames }), { abortSignal }),
  );
  if (got.ok) return got.value.Attributes ?? {};
  if (got.code === 'AWS.SimpleQueueService.NonExistentQueue' || got.code === 'QueueDoesNotExist') return null;
  ctx.recordFailure('sqs:GetQueueAttributes', 'sqs:GetQueueAttributes', QueueUrl, got);
  return undefined;
}

export async function scanSqsQueues(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = sqs(ctx, region);
  const urls = await pages<{ QueueUrls?: string[]; NextToken?: string }, string>(
    ctx,
    'sqs:ListQueues',
    (NextToken, abortSignal) =>
      client.send(new ListQueuesCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), { abortSignal }),
    (o) => o.QueueUrls,
    (o) => o.NextToken,
  );
  const read = await mapWithConcurrency(urls ?? [], QUEUE_CONCURRENCY, async (url) => {
    const attributes = await queueAttributes(ctx, region, url, ['All']);
    // null: deleted meanwhile; undefined: unreadable, and without its ARN the queue is reported by its URL.
    if (attributes === null) return null;
    return sqsQueueResource(ctx, region, url, attributes, 'sqs');
  });
  return read.filter((r): r is Resource => r !== null);
}

/** A queue's item: the queue URL and GetQueueAttributes' names and string values, as Config records them. */
export function queueFromItem(item: ConfigItem): { url: string; attributes: Record<string, string> } {
  const c = (
    item.configuration && typeof item.configuration === 'object' ? item.configuration : {}
  ) as Record<string, unknown>;
  const attributes: Record<string, string> = {};
  for (const key of ['QueueArn', 'KmsMasterKeyId', 'SqsManagedSseEnabled'])
    if (c[key] !== undefined && c[key] !== null && c[key] !== '') attributes[key] = String(c[key]);
  return { url: typeof c.QueueUrl === 'string' ? c.QueueUrl : (item.resourceId ?? ''), attributes };
}

/** A queue from its item: the access and redrive policies Config does not record are read directly. */
export async function sqsQueueFromItem(
  ctx: AwsScanContext,
  region: string,
  item: ConfigItem,
  api: string,
): Promise<Resource | null> {
  const { url, attributes } = queueFromItem(item);
  const rest = await queueAttributes(ctx, region, url, ['Policy', 'RedrivePolicy']);
  if (rest === null) return null;
  return sqsQueueResource(
    ctx,
    region,
    url,
    rest === undefined ? undefined : { ...attributes, ...rest },
    api,
    attributes,
  );
}

/**
 * One queue as a resource from its attributes (undefined: GetQueueAttributes failed; `partial` then holds what
 * Config recorded, so encryption is still known).
 */
export function sqsQueueResource(
  ctx: AwsScanContext,
  region: string,
  url: string,
  attributes: Record<string, string> | undefined,
  api: string,
  partial?: Record<string, string>,
): Resource {
  const name = url.split('/').pop() ?? url;
  const a = attributes ?? partial;
  const out: Record<string, unknown> = { queue_name: name, queue_url: url };
  if (a && (a.KmsMasterKeyId !== undefined || a.SqsManagedSseEnabled !== undefined || attributes)) {
    const kms = a.KmsMasterKeyId || null;
    out.kms_master_key_id = kms;
    out.sse_type = kms ? 'KMS' : a.SqsManagedSseEnabled === 'true' ? 'SQS_MANAGED' : 'NONE';
  }
  if (attributes) {
    const access = policyAccess(attributes.Policy, ctx.accountId);
    if (access === undefined)
      ctx.recordProblem(
        'sqs:GetQueueAttributes',
        url,
        'MalformedPolicy',
        'the queue policy is not valid JSON',
      );
    else {
      out.policy_public = access?.public ?? false;
      out.policy_cross_account_ids = access?.crossAccounts ?? [];
    }
    let target: string | null | undefined = null;
    if (attributes.RedrivePolicy) {
      try {
        const redrive = JSON.parse(attributes.RedrivePolicy) as { deadLetterTargetArn?: unknown };
        target = typeof redrive.deadLetterTargetArn === 'string' ? redrive.deadLetterTargetArn : null;
      } catch {
        target = undefined;
        ctx.recordProblem(
          'sqs:GetQueueAttributes',
          url,
          'MalformedPolicy',
          'the redrive policy is not valid JSON',
        );
      }
    }
    if (target !== undefined) out.dead_letter_target_arn = target;
  }
  return ctx.accountResource({
    id: a?.QueueArn ?? `arn:aws:sqs:${region}:${ctx.accountId}:${name}`,
    region,
    type: 'aws.sqs.queue',
    name,
    api,
    now: ctx.now(),
    attributes: out,
  });
}
