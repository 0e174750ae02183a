/**
 * ECS clusters and task definitions, per region (awsJson1_1). Clusters: ListClusters and DescribeClusters
 * (with their settings and configuration). Task definitions: the latest ACTIVE revision of every family,
 * from ListTaskDefinitions (ACTIVE, newest first) and one DescribeTaskDefinition each; older revisions are
 * left out, as nothing new starts from them by default. AWS Config records both types in their
 * CloudFormation form (PascalCase); a deregistered revision's item is marked deleted, so the newest
 * recorded revision of a family is its latest active one. Items are put back into the SDK's shapes so
 * both paths hand the same builders the same input.
 */
import {
  ClusterField,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListTaskDefinitionsCommand,
  type Cluster,
  type ContainerDefinition,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, list, num, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const DESCRIBE_CONCURRENCY = 4;
/** DescribeClusters takes at most 100 clusters a call. */
const DESCRIBE_BATCH = 100;

function ecs(ctx: AwsScanContext, region: string): ECSClient {
  return ctx.client('ecs', region, (settings) => new ECSClient(settings));
}

export async function scanEcsClusters(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ecs(ctx, region);
  const arns = await pages<{ clusterArns?: string[]; nextToken?: string }, string>(
    ctx,
    'ecs:ListClusters',
    (nextToken, abortSignal) =>
      client.send(new ListClustersCommand({ nextToken, maxResults: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.clusterArns,
    (o) => o.nextToken,
  );
  const out: Resource[] = [];
  for (let i = 0; i < (arns ?? []).length; i += DESCRIBE_BATCH) {
    const clusters = (arns ?? []).slice(i, i + DESCRIBE_BATCH);
    const described = await ctx.call('ecs:DescribeClusters', (abortSignal) =>
      client.send(
        new DescribeClustersCommand({
          clusters,
          include: [ClusterField.SETTINGS, ClusterField.CONFIGURATIONS],
        }),
        { abortSignal },
      ),
    );
    if (!described.ok) {
      ctx.recordFailure('ecs:DescribeClusters', 'ecs:DescribeClusters', null, described);
      continue;
    }
    for (const c of described.value.clusters ?? []) out.push(ecsClusterResource(ctx, region, c, 'ecs'));
  }
  return out;
}

export function ecsClusterResource(ctx: AwsScanContext, region: string, c: Cluster, api: string): Resource {
  const arn = c.clusterArn ?? '';
  const insights = (c.settings ?? []).find((s) => s.name === 'containerInsights')?.value ?? 'disabled';
  const exec = c.configuration?.executeCommandConfiguration;
  const logging = exec?.logging ?? 'DEFAULT';
  const cw = exec?.logConfiguration?.cloudWatchLogGroupName ?? null;
  const s3 = exec?.logConfiguration?.s3BucketName ?? null;
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.ecs.cluster',
    name: c.clusterName ?? arn,
    api,
    now: ctx.now(),
    attributes: {
      container_insights: insights,
      execute_command_logging: logging,
      execute_command_log_group: cw,
      execute_command_s3_bucket: s3,
      execute_command_logged: logging === 'OVERRIDE' && (cw !== null || s3 !== null),
      execute_command_kms_key_id: exec?.kmsKeyId ?? null,
    },
  });
}

/** A cluster's item: the CloudFormation form, back in DescribeClusters' shape. */
export function ecsClusterFromItem(item: ConfigItem): Cluster {
  const c = obj(item.configuration);
  const exec = obj(obj(c.Configuration).ExecuteCommandConfiguration);
  const log = obj(exec.LogConfiguration);
  return {
    clusterArn: str(c.Arn) ?? item.resourceId,
    clusterName: str(c.ClusterName),
    settings: list(c.ClusterSettings).map((s) => ({
      name: str(obj(s).Name) as never,
      value: str(obj(s).Value),
    })),
    configuration: {
      executeCommandConfiguration: {
        logging: str(exec.Logging) as never,
        kmsKeyId: str(exec.KmsKeyId),
        logConfiguration: {
          cloudWatchLogGroupName: str(log.CloudWatchLogGroupName),
          s3BucketName: str(log.S3BucketName),
        },
      },
    },
  };
}

/** family:revision of a task definition ARN. */
function familyRevision(arn: string): { family: string; revision: number } {
  const tail = arn.split('/').pop() ?? arn;
  const at = tail.lastIndexOf(':');
  return { family: tail.slice(0, at), revision: Number(tail.slice(at + 1)) };
}

export async function scanEcsTaskDefinitions(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ecs(ctx, region);
  const arns = await pages<{ taskDefinitionArns?: string[]; nextToken?: string }, string>(
    ctx,
    'ecs:ListTaskDefinitions',
    (nextToken, abortSignal) =>
      client.send(
        new ListTaskDefinitionsCommand({
          status: 'ACTIVE',
          sort: 'DESC',
          nextToken,
          maxResults: ctx.pageSize(100),
        }),
        { abortSignal },
      ),
    (o) => o.taskDefinitionArns,
    (o) => o.nextToken,
  );
  const latest = new Map<string, { arn: string; revision: number }>();
  for (const arn of arns ?? []) {
    const { family, revision } = familyRevision(arn);
    if ((latest.get(family)?.revision ?? -1) < revision) latest.set(family, { arn, revision });
  }
  const read = await mapWithConcurrency([...latest.values()], DESCRIBE_CONCURRENCY, async ({ arn }) => {
    const described = await ctx.call('ecs:DescribeTaskDefinition', (abortSignal) =>
      client.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }), { abortSignal }),
    );
    if (!described.ok) {
      ctx.recordFailure('ecs:DescribeTaskDefinition', 'ecs:DescribeTaskDefinition', arn, described);
      return null;
    }
    return taskDefinitionResource(ctx, region, described.value.taskDefinition ?? {}, 'ecs');
  });
  return read.filter((r): r is Resource => r !== null);
}

/** A container runs as root when no user is set (the image's default, usually root) or the user is root/0. */
export function runsAsRoot(user: string | undefined): boolean {
  if (!user) return true;
  const name = user.split(':')[0] ?? '';
  return name === 'root' || name === '0';
}

export function taskDefinitionResource(
  ctx: AwsScanContext,
  region: string,
  t: TaskDefinition,
  api: string,
): Resource {
  const arn = t.taskDefinitionArn ?? '';
  const containers: ContainerDefinition[] = t.containerDefinitions ?? [];
  const names = (pick: (c: ContainerDefinition) => boolean): string[] =>
    containers.filter(pick).map((c) => c.name ?? '');
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.ecs.task_definition',
    name: `${t.family ?? ''}:${t.revision ?? ''}`,
    api,
    now: ctx.now(),
    attributes: {
      family: t.family ?? null,
      revision: t.revision ?? null,
      network_mode: t.networkMode ?? 'bridge',
      requires_compatibilities: [...(t.requiresCompatibilities ?? [])].map(String).sort(),
      container_names: names(() => true),
      privileged_containers: names((c) => c.privileged === true),
      writable_root_containers: names((c) => c.readonlyRootFilesystem !== true),
      root_user_containers: names((c) => runsAsRoot(c.user)),
      unlogged_containers: names((c) => !c.logConfiguration?.logDriver),
      environment_variable_names: containers
        .flatMap((c) => (c.environment ?? []).map((e) => `${c.name ?? ''}/${e.name ?? ''}`))
        .sort(),
    },
  });
}

/** A task definition's item: the CloudFormation form, back in DescribeTaskDefinition's shape. */
export function taskDefinitionFromItem(item: ConfigItem): TaskDefinition {
  const t = obj(item.configuration);
  const arn = str(t.TaskDefinitionArn) ?? item.resourceId ?? '';
  return {
    taskDefinitionArn: arn,
    family: str(t.Family) ?? familyRevision(arn).family,
    revision: num(t.Revision) ?? familyRevision(arn).revision,
    networkMode: str(t.NetworkMode) as never,
    requiresCompatibilities: list(t.RequiresCompatibilities).filter(
      (v): v is string => typeof v === 'string',
    ) as never,
    containerDefinitions: list(t.ContainerDefinitions).map((raw) => {
      const c = obj(raw);
      const log = obj(c.LogConfiguration);
      return {
        name: str(c.Name),
        privileged: bool(c.Privileged),
        readonlyRootFilesystem: bool(c.ReadonlyRootFilesystem),
        user: str(c.User),
        logConfiguration: str(log.LogDriver) ? { logDriver: str(log.LogDriver) as never } : undefined,
        // Names only: the values are dropped here.
        environment: list(c.Environment).map((e) => ({ name: str(obj(e).Name) })),
      };
    }),
  };
}

/** The newest recorded revision of each family (Config keeps deregistered ones only as deleted items). */
export function latestTaskDefinitionItems(items: ConfigItem[]): ConfigItem[] {
  const latest = new Map<string, { item: ConfigItem; revision: number }>();
  for (const item of items) {
    const t = taskDefinitionFromItem(item);
    const family = t.family ?? '';
    const revision = t.revision ?? 0;
    if ((latest.get(family)?.revision ?? -1) < revision) latest.set(family, { item, revision });
  }
  return [...latest.values()].map((v) => v.item);
}
