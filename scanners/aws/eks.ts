/**
 * EKS clusters, per region: ListClusters and one DescribeCluster each (restJson1). The AWS::EKS::Cluster item
 * of AWS Config records the cluster in its CloudFormation form (PascalCase, ResourcesVpcConfig, Logging.
 * ClusterLogging.EnabledTypes, EncryptionConfig, AccessConfig); it is put back into DescribeCluster's shape so
 * both paths hand the same builder the same input.
 */
import { DescribeClusterCommand, EKSClient, ListClustersCommand, type Cluster } from '@aws-sdk/client-eks';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, list, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const DESCRIBE_CONCURRENCY = 4;
const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

function eks(ctx: AwsScanContext, region: string): EKSClient {
  return ctx.client('eks', region, (settings) => new EKSClient(settings));
}

export async function scanEksClusters(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = eks(ctx, region);
  const names = await pages<{ clusters?: string[]; nextToken?: string }, string>(
    ctx,
    'eks:ListClusters',
    (nextToken, abortSignal) =>
      client.send(new ListClustersCommand({ nextToken, maxResults: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.clusters,
    (o) => o.nextToken,
  );
  const read = await mapWithConcurrency(names ?? [], DESCRIBE_CONCURRENCY, async (name) => {
    const described = await ctx.call('eks:DescribeCluster', (abortSignal) =>
      client.send(new DescribeClusterCommand({ name }), { abortSignal }),
    );
    // Without its description nothing but the name is known: the cluster is left out, the error kept.
    if (!described.ok) {
      ctx.recordFailure('eks:DescribeCluster', 'eks:DescribeCluster', name, described);
      return null;
    }
    return eksClusterResource(ctx, region, described.value.cluster ?? { name }, 'eks');
  });
  return read.filter((r): r is Resource => r !== null);
}

/** "1.31" -> 31; null when the version is not 1.x. */
export function kubernetesMinor(version: string | undefined): number | null {
  const m = /^1\.(\d+)/.exec(version ?? '');
  return m ? Number(m[1]) : null;
}

export function eksClusterResource(ctx: AwsScanContext, region: string, c: Cluster, api: string): Resource {
  const vpc = c.resourcesVpcConfig ?? {};
  const publicAccess = vpc.endpointPublicAccess ?? true;
  // AWS answers 0.0.0.0/0 when public access is on and no CIDR was set.
  const cidrs = publicAccess ? (vpc.publicAccessCidrs ?? ['0.0.0.0/0']) : [];
  const enabledTypes = [
    ...new Set(
      (c.logging?.clusterLogging ?? [])
        .filter((l) => l.enabled)
        .flatMap((l) => l.types ?? [])
        .map(String),
    ),
  ].sort();
  const secrets = (c.encryptionConfig ?? []).find((e) => (e.resources ?? []).includes('secrets'));
  const keyArn = secrets?.provider?.keyArn ?? null;
  const arn = c.arn ?? c.name ?? '';
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.eks.cluster',
    name: c.name ?? arn,
    api,
    now: ctx.now(),
    attributes: {
      version: c.version ?? null,
      kubernetes_minor_version: kubernetesMinor(c.version),
      endpoint_public_access: publicAccess,
      endpoint_private_access: vpc.endpointPrivateAccess ?? false,
      public_access_cidrs: cidrs,
      endpoint_open_to_internet: publicAccess && cidrs.some((x) => OPEN_CIDRS.has(x)),
      enabled_log_types: enabledTypes,
      secrets_encrypted: keyArn !== null,
      secrets_kms_key_arn: keyArn,
      authentication_mode: c.accessConfig?.authenticationMode ?? null,
    },
  });
}

/** A cluster's item: the CloudFormation form, back in DescribeCluster's shape. */
export function eksClusterFromItem(item: ConfigItem): Cluster {
  const c = obj(item.configuration);
  const vpc = obj(c.ResourcesVpcConfig);
  const strings = (v: unknown): string[] => list(v).filter((x): x is string => typeof x === 'string');
  const types = list(obj(obj(c.Logging).ClusterLogging).EnabledTypes)
    .map((t) => str(obj(t).Type))
    .filter((t): t is string => t !== undefined);
  const cidrs = strings(vpc.PublicAccessCidrs);
  return {
    name: str(c.Name) ?? item.resourceId,
    arn: str(c.Arn),
    version: str(c.Version),
    resourcesVpcConfig: {
      endpointPublicAccess: bool(vpc.EndpointPublicAccess) ?? true,
      endpointPrivateAccess: bool(vpc.EndpointPrivateAccess) ?? false,
      publicAccessCidrs: cidrs.length > 0 ? cidrs : undefined,
    },
    logging: { clusterLogging: types.length > 0 ? [{ types: types as never, enabled: true }] : [] },
    encryptionConfig: list(c.EncryptionConfig).map((e) => ({
      resources: strings(obj(e).Resources),
      provider: { keyArn: str(obj(obj(e).Provider).KeyArn) },
    })),
    accessConfig: obj(c.AccessConfig).AuthenticationMode
      ? { authenticationMode: str(obj(c.AccessConfig).AuthenticationMode) as never }
      : undefined,
  };
}
