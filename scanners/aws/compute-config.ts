/**
 * EKS, ECS and Systems Manager in the account scanner: their regional scanners (with the AWS Config type that stands in for
 * the direct listing where a region records it) and their Config items turned into resources by the same
 * builders the direct path uses.
 */
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import type { ConfigItem } from './config-item.ts';
import {
  ecsClusterFromItem,
  ecsClusterResource,
  latestTaskDefinitionItems,
  scanEcsClusters,
  scanEcsTaskDefinitions,
  taskDefinitionFromItem,
  taskDefinitionResource,
} from './ecs.ts';
import { eksClusterFromItem, eksClusterResource, scanEksClusters } from './eks.ts';
import { scanManagedInstances, scanSsmDocuments } from './ssm.ts';

export type ComputeConfigType = 'AWS::EKS::Cluster' | 'AWS::ECS::Cluster' | 'AWS::ECS::TaskDefinition';

interface Scanner {
  scan: (ctx: AwsScanContext, region: string) => Promise<Resource[]>;
  configType?: ComputeConfigType;
}

export const COMPUTE_REGIONAL: Record<'eks' | 'ecs' | 'ssm', Scanner[]> = {
  eks: [{ scan: scanEksClusters, configType: 'AWS::EKS::Cluster' }],
  ecs: [
    { scan: scanEcsClusters, configType: 'AWS::ECS::Cluster' },
    { scan: scanEcsTaskDefinitions, configType: 'AWS::ECS::TaskDefinition' },
  ],
  // Read directly only: Config's SSM items carry less than the direct reads (see ssm.ts).
  ssm: [{ scan: scanManagedInstances }, { scan: scanSsmDocuments }],
};

export function computeResourcesFromItems(
  ctx: AwsScanContext,
  region: string,
  type: ComputeConfigType,
  items: ConfigItem[],
  api: string,
): Resource[] {
  switch (type) {
    case 'AWS::EKS::Cluster':
      return items.map((i) => eksClusterResource(ctx, region, eksClusterFromItem(i), api));
    case 'AWS::ECS::Cluster':
      return items.map((i) => ecsClusterResource(ctx, region, ecsClusterFromItem(i), api));
    case 'AWS::ECS::TaskDefinition':
      return latestTaskDefinitionItems(items).map((i) =>
        taskDefinitionResource(ctx, region, taskDefinitionFromItem(i), api),
      );
  }
}
