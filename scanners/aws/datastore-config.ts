/**
 * OpenSearch, ElastiCache and Redshift in the account scanner: each service's regional scanner with the AWS
 * Config type that stands in for its direct listing where a region records it, and those Config items turned
 * into resources by the builders the direct path uses. AWS Config records no ElastiCache type, so replication
 * groups are always read directly.
 */
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import type { ConfigItem } from './config-item.ts';
import { scanReplicationGroups } from './elasticache.ts';
import { domainFromItem, domainResources, scanOpenSearchDomains } from './opensearch.ts';
import { redshiftClusterFromItem, redshiftResources, scanRedshiftClusters } from './redshift.ts';

export type DataStoreConfigType = 'AWS::OpenSearch::Domain' | 'AWS::Redshift::Cluster';

interface Scanner {
  scan: (ctx: AwsScanContext, region: string) => Promise<Resource[]>;
  configType?: DataStoreConfigType;
}

export const DATA_STORE_REGIONAL: Record<'elasticache' | 'opensearch' | 'redshift', Scanner[]> = {
  elasticache: [{ scan: scanReplicationGroups }],
  opensearch: [{ scan: scanOpenSearchDomains, configType: 'AWS::OpenSearch::Domain' }],
  redshift: [{ scan: scanRedshiftClusters, configType: 'AWS::Redshift::Cluster' }],
};

export async function dataStoreResourcesFromItems(
  ctx: AwsScanContext,
  region: string,
  type: DataStoreConfigType,
  items: ConfigItem[],
  api: string,
): Promise<Resource[]> {
  switch (type) {
    case 'AWS::OpenSearch::Domain':
      return domainResources(ctx, region, items.map(domainFromItem), api);
    case 'AWS::Redshift::Cluster':
      return redshiftResources(ctx, region, items.map(redshiftClusterFromItem), api);
  }
}
