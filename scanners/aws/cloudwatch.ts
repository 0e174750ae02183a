/**
 * CloudWatch metric alarms (aws.cloudwatch.alarm), per region: DescribeAlarms, or AWS Config's
 * AWS::CloudWatch::Alarm item (DescribeAlarms' MetricAlarm in lower camel). Composite alarms are not read.
 */
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import type { ConfigItemFields as ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

export async function scanAlarms(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('cloudwatch', region, (settings) => new CloudWatchClient(settings));
  const alarms = await pages<{ MetricAlarms?: MetricAlarm[]; NextToken?: string }, MetricAlarm>(
    ctx,
    'cloudwatch:DescribeAlarms',
    (NextToken, abortSignal) =>
      client.send(
        new DescribeAlarmsCommand({ NextToken, MaxRecords: ctx.pageSize(100), AlarmTypes: ['MetricAlarm'] }),
        {
          abortSignal,
        },
      ),
    (o) => o.MetricAlarms,
    (o) => o.NextToken,
  );
  return (alarms ?? []).map((a) => alarmResource(ctx, region, a, 'cloudwatch'));
}

export function alarmFromItem(item: ConfigItem): MetricAlarm {
  const c = (
    item.configuration && typeof item.configuration === 'object' ? item.configuration : {}
  ) as Record<string, unknown>;
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    AlarmName: typeof c.alarmName === 'string' ? c.alarmName : item.resourceId,
    AlarmArn: typeof c.alarmArn === 'string' ? c.alarmArn : undefined,
    ActionsEnabled: c.actionsEnabled === true || c.actionsEnabled === 'true',
    AlarmActions: strings(c.alarmActions),
    MetricName: typeof c.metricName === 'string' ? c.metricName : undefined,
    Namespace: typeof c.namespace === 'string' ? c.namespace : undefined,
  };
}

export function alarmResource(ctx: AwsScanContext, region: string, a: MetricAlarm, api: string): Resource {
  const name = a.AlarmName ?? '';
  return ctx.accountResource({
    id: a.AlarmArn ?? `arn:aws:cloudwatch:${region}:${ctx.accountId}:alarm:${name}`,
    region,
    type: 'aws.cloudwatch.alarm',
    name,
    api,
    now: ctx.now(),
    attributes: {
      alarm_name: name,
      metric_name: a.MetricName ?? null,
      namespace: a.Namespace ?? null,
      actions_enabled: a.ActionsEnabled ?? false,
      alarm_actions: a.AlarmActions ?? [],
    },
  });
}
