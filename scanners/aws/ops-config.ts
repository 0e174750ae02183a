/**
 * SNS, SQS, EFS, CloudWatch Logs and CloudWatch in the account scanner: each service's regional scanners
 * (with the AWS Config type that stands in for the direct listing where a region records it), and their
 * Config items turned into resources by the same builders the direct path uses. Config has no type for
 * CloudWatch Logs log groups or metric filters, so those are always read directly.
 */
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { alarmFromItem, alarmResource, scanAlarms } from './cloudwatch.ts';
import type { ConfigItemFields as ConfigItem } from './config-item.ts';
import { efsFileSystemResource, fileSystemFromItem, scanEfsFileSystems } from './efs.ts';
import { scanLogGroups, scanMetricFilters } from './logs.ts';
import { scanSnsTopics, snsTopicResource, topicAttributesFromItem } from './sns.ts';
import { scanSqsQueues, sqsQueueFromItem } from './sqs.ts';
import { scanTrailMonitoring } from './trail-monitoring.ts';

export type OpsConfigType =
  'AWS::SNS::Topic' | 'AWS::SQS::Queue' | 'AWS::EFS::FileSystem' | 'AWS::CloudWatch::Alarm';

interface Scanner {
  scan: (ctx: AwsScanContext, region: string) => Promise<Resource[]>;
  configType?: OpsConfigType;
}

export const OPS_REGIONAL: Record<'sns' | 'sqs' | 'efs' | 'logs' | 'cloudwatch', Scanner[]> = {
  sns: [{ scan: scanSnsTopics, configType: 'AWS::SNS::Topic' }],
  sqs: [{ scan: scanSqsQueues, configType: 'AWS::SQS::Queue' }],
  efs: [{ scan: scanEfsFileSystems, configType: 'AWS::EFS::FileSystem' }],
  // AWS Config records neither log groups nor metric filters (neither is among its resource types).
  logs: [{ scan: scanLogGroups }, { scan: scanMetricFilters }],
  // The trail-to-alert chain of the region, joined for the CIS monitoring rules (trail-monitoring.ts).
  cloudwatch: [{ scan: scanAlarms, configType: 'AWS::CloudWatch::Alarm' }, { scan: scanTrailMonitoring }],
};

export async function opsResourcesFromItems(
  ctx: AwsScanContext,
  region: string,
  type: OpsConfigType,
  items: ConfigItem[],
  api: string,
): Promise<Resource[]> {
  switch (type) {
    case 'AWS::SNS::Topic': {
      const out: Resource[] = [];
      for (const i of items) {
        const r = await snsTopicResource(ctx, region, topicAttributesFromItem(i), api);
        if (r) out.push(r);
      }
      return out;
    }
    case 'AWS::SQS::Queue': {
      const out: Resource[] = [];
      for (const i of items) {
        const r = await sqsQueueFromItem(ctx, region, i, api);
        if (r) out.push(r);
      }
      return out;
    }
    case 'AWS::EFS::FileSystem':
      return items.map((i) => {
        const { fs, backup } = fileSystemFromItem(i);
        return efsFileSystemResource(ctx, region, fs, backup, api);
      });
    case 'AWS::CloudWatch::Alarm':
      return items.map((i) => alarmResource(ctx, region, alarmFromItem(i), api));
  }
}
