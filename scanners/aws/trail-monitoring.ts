/**
 * The CloudTrail monitoring chain of one region (aws.cloudwatch.trail_monitoring): the trails that deliver
 * their events to a CloudWatch Logs log group in this region, the metric filters on those log groups, the
 * alarms on the filters' metrics and the subscriptions of the SNS topics those alarms notify. The rule engine
 * evaluates one resource type at a time and cannot join trails, filters, alarms and topics itself, so the
 * scanner collects the chain into one resource per region and the CIS monitoring rules (Rego) judge it.
 *
 * Every link lives in the log group's region (metric filters publish there, alarms and their SNS actions
 * must be in the metric's region), so one region's calls see a whole chain. The calls are narrow:
 * DescribeTrails, GetTrailStatus per delivering trail, DescribeMetricFilters per log group,
 * DescribeAlarmsForMetric per filter metric and ListSubscriptionsByTopic per notified topic.
 */
import { CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { CloudWatchClient, DescribeAlarmsForMetricCommand } from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeMetricFiltersCommand,
  type MetricFilter,
} from '@aws-sdk/client-cloudwatch-logs';
import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from '@aws-sdk/client-sns';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** The region and name of a log group ARN (`arn:aws:logs:<region>:<account>:log-group:<name>[:*]`). */
export function logGroupOf(arn: string): { region: string; name: string } | null {
  const m = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):\d{12}:log-group:(.+?)(:\*)?$/.exec(arn);
  return m ? { region: m[1] ?? '', name: m[2] ?? '' } : null;
}

export async function scanTrailMonitoring(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const id = `arn:aws:cloudwatch:${region}:${ctx.accountId}:trail-monitoring`;
  const resource = (attributes: Record<string, unknown>): Resource[] => [
    ctx.accountResource({
      id,
      region,
      type: 'aws.cloudwatch.trail_monitoring',
      name: `CloudTrail monitoring ${region}`,
      api: 'cloudwatch',
      now: ctx.now(),
      attributes,
    }),
  ];
  const trailClient = ctx.client('cloudtrail', region, (s) => new CloudTrailClient(s));
  const listed = await ctx.call('cloudtrail:DescribeTrails', (abortSignal) =>
    trailClient.send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal }),
  );
  if (!listed.ok) {
    ctx.recordFailure('cloudtrail:DescribeTrails', 'cloudtrail:DescribeTrails', id, listed);
    return resource({});
  }
  const trails: Record<string, unknown>[] = [];
  for (const t of listed.value.trailList ?? []) {
    const group = t.CloudWatchLogsLogGroupArn ? logGroupOf(t.CloudWatchLogsLogGroupArn) : null;
    if (!group || group.region !== region) continue;
    const arn = t.TrailARN ?? t.Name ?? '';
    const trail: Record<string, unknown> = {
      trail_arn: arn,
      is_multi_region: t.IsMultiRegionTrail ?? false,
      log_group_name: group.name,
    };
    // A shadow trail's status is asked of its home region, as CloudTrail requires.
    const home = t.HomeRegion ?? region;
    const statusClient = ctx.client('cloudtrail', home, (s) => new CloudTrailClient(s));
    const status = await ctx.call('cloudtrail:GetTrailStatus', (abortSignal) =>
      statusClient.send(new GetTrailStatusCommand({ Name: arn }), { abortSignal }),
    );
    if (status.ok) trail.is_logging = status.value.IsLogging ?? false;
    else ctx.recordFailure('cloudtrail:GetTrailStatus', 'cloudtrail:GetTrailStatus', arn, status);
    trails.push(trail);
  }
  const attributes: Record<string, unknown> = { trails };
  if (trails.length === 0) {
    attributes.metric_filters = [];
    attributes.alarms = [];
    return resource(attributes);
  }
  const logs = ctx.client('logs', region, (s) => new CloudWatchLogsClient(s));
  const filters: Record<string, unknown>[] = [];
  let filtersRead = true;
  for (const logGroupName of [...new Set(trails.map((t) => String(t.log_group_name)))]) {
    const found = await pages<{ metricFilters?: MetricFilter[]; nextToken?: string }, MetricFilter>(
      ctx,
      'logs:DescribeMetricFilters',
      (nextToken, abortSignal) =>
        logs.send(new DescribeMetricFiltersCommand({ logGroupName, nextToken }), { abortSignal }),
      (o) => o.metricFilters,
      (o) => o.nextToken,
    );
    if (!found) filtersRead = false;
    for (const f of found ?? [])
      filters.push({
        log_group_name: logGroupName,
        filter_name: f.filterName ?? '',
        filter_pattern: f.filterPattern ?? '',
        metrics: (f.metricTransformations ?? []).map((m) => ({
          metric_name: m.metricName ?? '',
          metric_namespace: m.metricNamespace ?? '',
        })),
      });
  }
  if (!filtersRead) return resource(attributes);
  attributes.metric_filters = filters;
  const cloudwatch = ctx.client('cloudwatch', region, (s) => new CloudWatchClient(s));
  const sns = ctx.client('sns', region, (s) => new SNSClient(s));
  const confirmed = new Map<string, number | null>();
  const alarms: Record<string, unknown>[] = [];
  const metrics = new Map<string, { MetricName: string; Namespace: string }>();
  for (const f of filters)
    for (const m of f.metrics as { metric_name: string; metric_namespace: string }[])
      metrics.set(`${m.metric_namespace}/${m.metric_name}`, {
        MetricName: m.metric_name,
        Namespace: m.metric_namespace,
      });
  for (const metric of metrics.values()) {
    const got = await ctx.call('cloudwatch:DescribeAlarmsForMetric', (abortSignal) =>
      cloudwatch.send(new DescribeAlarmsForMetricCommand(metric), { abortSignal }),
    );
    if (!got.ok) {
      ctx.recordFailure('cloudwatch:DescribeAlarmsForMetric', 'cloudwatch:DescribeAlarmsForMetric', id, got);
      return resource(attributes);
    }
    for (const a of got.value.MetricAlarms ?? []) {
      const topics: Record<string, unknown>[] = [];
      for (const action of a.AlarmActions ?? []) {
        if (!/^arn:aws[a-z-]*:sns:/.test(action)) continue;
        if (!confirmed.has(action)) {
          const subscriptions = await pages<
            { Subscriptions?: Subscription[]; NextToken?: string },
            Subscription
          >(
            ctx,
            'sns:ListSubscriptionsByTopic',
            (NextToken, abortSignal) =>
              sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: action, NextToken }), { abortSignal }),
            (o) => o.Subscriptions,
            (o) => o.NextToken,
          );
          confirmed.set(
            action,
            subscriptions
              ? subscriptions.filter((s) => (s.SubscriptionArn ?? '').startsWith('arn:')).length
              : null,
          );
        }
        const count = confirmed.get(action);
        // An unreadable topic is listed without its count: the rules cannot decide on it.
        topics.push(
          count === null || count === undefined
            ? { topic_arn: action }
            : { topic_arn: action, subscriptions_confirmed: count },
        );
      }
      alarms.push({
        alarm_name: a.AlarmName ?? '',
        metric_name: a.MetricName ?? '',
        namespace: a.Namespace ?? '',
        actions_enabled: a.ActionsEnabled ?? false,
        sns_topics: topics,
      });
    }
  }
  attributes.alarms = alarms;
  return resource(attributes);
}
