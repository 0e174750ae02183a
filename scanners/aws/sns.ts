/**
 * SNS topics (aws.sns.topic), per region: ListTopics, then for each topic GetTopicAttributes (encryption key,
 * access policy) and ListSubscriptionsByTopic. AWS Config's AWS::SNS::Topic item records the topic and its key
 * but neither its policy nor its subscriptions, so a topic read through Config still costs those two calls.
 */
import {
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  SNSClient,
  type Subscription,
  type Topic,
} from '@aws-sdk/client-sns';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import type { ConfigItemFields as ConfigItem } from './config-item.ts';
import { policyAccess } from './policy-access.ts';
import { pages } from './regional.ts';

const TOPIC_CONCURRENCY = 4;

function sns(ctx: AwsScanContext, region: string): SNSClient {
  return ctx.client('sns', region, (settings) => new SNSClient(settings));
}

export async function scanSnsTopics(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = sns(ctx, region);
  const topics = await pages<{ Topics?: Topic[]; NextToken?: string }, Topic>(
    ctx,
    'sns:ListTopics',
    (NextToken, abortSignal) => client.send(new ListTopicsCommand({ NextToken }), { abortSignal }),
    (o) => o.Topics,
    (o) => o.NextToken,
  );
  const read = await mapWithConcurrency(topics ?? [], TOPIC_CONCURRENCY, (t) =>
    snsTopicResource(ctx, region, { TopicArn: t.TopicArn ?? '' }, 'sns'),
  );
  return read.filter((r): r is Resource => r !== null);
}

/** The topic attributes a Config item records (its CloudFormation-registry form, PascalCase). */
export function topicAttributesFromItem(item: ConfigItem): Record<string, string> {
  const c = (
    item.configuration && typeof item.configuration === 'object' ? item.configuration : {}
  ) as Record<string, unknown>;
  const out: Record<string, string> = {
    TopicArn: typeof c.TopicArn === 'string' ? c.TopicArn : (item.resourceId ?? ''),
  };
  if (typeof c.KmsMasterKeyId === 'string' && c.KmsMasterKeyId) out.KmsMasterKeyId = c.KmsMasterKeyId;
  return out;
}

/**
 * One topic as a resource. `known` holds the attributes already read (all of GetTopicAttributes on the direct
 * path's second call, or what the Config item recorded); the policy, when not among them, is asked for.
 */
export async function snsTopicResource(
  ctx: AwsScanContext,
  region: string,
  known: Record<string, string>,
  api: string,
): Promise<Resource | null> {
  const client = sns(ctx, region);
  const arn = known.TopicArn ?? '';
  const attributes: Record<string, unknown> = { topic_name: arn.split(':').pop() ?? arn };
  const got = await ctx.call('sns:GetTopicAttributes', (abortSignal) =>
    client.send(new GetTopicAttributesCommand({ TopicArn: arn }), { abortSignal }),
  );
  let all: Record<string, string> | undefined;
  if (got.ok) all = got.value.Attributes ?? {};
  else if (got.code === 'NotFound')
    return null; // deleted between the listing and this call
  else ctx.recordFailure('sns:GetTopicAttributes', 'sns:GetTopicAttributes', arn, got);
  // The key is what Config recorded on the Config path, else what GetTopicAttributes answered.
  if (api !== 'sns') attributes.kms_master_key_id = known.KmsMasterKeyId ?? null;
  else if (all) attributes.kms_master_key_id = all.KmsMasterKeyId || null;
  if (all) {
    const access = policyAccess(all.Policy, ctx.accountId);
    if (access === undefined)
      ctx.recordProblem(
        'sns:GetTopicAttributes',
        arn,
        'MalformedPolicy',
        'the topic policy is not valid JSON',
      );
    else {
      attributes.policy_public = access?.public ?? false;
      attributes.policy_cross_account_ids = access?.crossAccounts ?? [];
    }
  }
  const subscriptions = await pages<{ Subscriptions?: Subscription[]; NextToken?: string }, Subscription>(
    ctx,
    'sns:ListSubscriptionsByTopic',
    (NextToken, abortSignal) =>
      client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken }), { abortSignal }),
    (o) => o.Subscriptions,
    (o) => o.NextToken,
  );
  if (subscriptions) {
    const confirmed = subscriptions.filter((s) => s.SubscriptionArn && s.SubscriptionArn.startsWith('arn:'));
    attributes.subscriptions_confirmed = confirmed.length;
    attributes.subscription_protocols = [
      ...new Set(subscriptions.map((s) => (s.Protocol ?? '').toLowerCase())),
    ]
      .filter(Boolean)
      .sort();
  }
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.sns.topic',
    name: String(attributes.topic_name),
    api,
    now: ctx.now(),
    attributes,
  });
}
