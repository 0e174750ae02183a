/**
 * CloudWatch Logs, per region: log groups (aws.logs.log_group, DescribeLogGroups) and their metric filters
 * (aws.logs.metric_filter, DescribeMetricFilters). AWS Config records neither (its resource types have no
 * AWS::Logs::LogGroup), so both are always read directly.
 */
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  DescribeMetricFiltersCommand,
  type LogGroup,
  type MetricFilter,
} from '@aws-sdk/client-cloudwatch-logs';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

function logs(ctx: AwsScanContext, region: string): CloudWatchLogsClient {
  return ctx.client('logs', region, (settings) => new CloudWatchLogsClient(settings));
}

/** A log group's ARN without the `:*` DescribeLogGroups' `arn` ends in. */
export function logGroupArn(region: string, account: string, name: string): string {
  return `arn:aws:logs:${region}:${account}:log-group:${name}`;
}

export async function scanLogGroups(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = logs(ctx, region);
  const groups = await pages<{ logGroups?: LogGroup[]; nextToken?: string }, LogGroup>(
    ctx,
    'logs:DescribeLogGroups',
    (nextToken, abortSignal) =>
      client.send(new DescribeLogGroupsCommand({ nextToken, limit: ctx.pageSize(50) }), { abortSignal }),
    (o) => o.logGroups,
    (o) => o.nextToken,
  );
  return (groups ?? []).map((g) => logGroupResource(ctx, region, g, 'logs'));
}

export function logGroupResource(ctx: AwsScanContext, region: string, g: LogGroup, api: string): Resource {
  const name = g.logGroupName ?? '';
  return ctx.accountResource({
    id: logGroupArn(region, ctx.accountId, name),
    region,
    type: 'aws.logs.log_group',
    name,
    api,
    now: ctx.now(),
    attributes: {
      log_group_name: name,
      retention_in_days: g.retentionInDays ?? null,
      kms_key_id: g.kmsKeyId ?? null,
    },
  });
}

export async function scanMetricFilters(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = logs(ctx, region);
  const filters = await pages<{ metricFilters?: MetricFilter[]; nextToken?: string }, MetricFilter>(
    ctx,
    'logs:DescribeMetricFilters',
    (nextToken, abortSignal) =>
      client.send(new DescribeMetricFiltersCommand({ nextToken, limit: ctx.pageSize(50) }), { abortSignal }),
    (o) => o.metricFilters,
    (o) => o.nextToken,
  );
  return (filters ?? []).map((f) => {
    const group = f.logGroupName ?? '';
    const name = f.filterName ?? '';
    return ctx.accountResource({
      // Metric filters have no ARN: the id is their log group's ARN and their name, which are unique together.
      id: `${logGroupArn(region, ctx.accountId, group)}:metric-filter:${name}`,
      region,
      type: 'aws.logs.metric_filter',
      name,
      api: 'logs',
      now: ctx.now(),
      attributes: {
        filter_name: name,
        log_group_name: group,
        log_group_arn: logGroupArn(region, ctx.accountId, group),
        filter_pattern: f.filterPattern ?? '',
        metric_transformations: (f.metricTransformations ?? []).map((t) => ({
          metric_name: t.metricName ?? '',
          metric_namespace: t.metricNamespace ?? '',
        })),
      },
    });
  });
}
