/**
 * API Gateway REST API stages, per region: GetRestApis, then GetStages of each API. A stage carries its
 * logging, tracing, cache, client certificate and web ACL itself, so one listing per API reads them all.
 * The AWS::ApiGateway::Stage item of AWS Config records the stage in lower camel (as GetStage answers);
 * the API it belongs to is taken from the item's id (`arn:aws:apigateway:<region>::/restapis/<id>/stages/<name>`).
 */
import {
  APIGatewayClient,
  GetRestApisCommand,
  GetStagesCommand,
  type MethodSetting,
  type RestApi,
  type Stage,
} from '@aws-sdk/client-api-gateway';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, obj, str, type ConfigItem } from './config-item.ts';

const READ_CONCURRENCY = 4;

function apigateway(ctx: AwsScanContext, region: string): APIGatewayClient {
  return ctx.client('apigateway', region, (settings) => new APIGatewayClient(settings));
}

export async function scanStages(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = apigateway(ctx, region);
  // API Gateway's reads are all authorised by one IAM action, apigateway:GET, on the resource's path.
  const apis: RestApi[] = [];
  let position: string | undefined;
  do {
    const page = await ctx.call('apigateway:GetRestApis', (abortSignal) =>
      client.send(new GetRestApisCommand({ position, limit: ctx.pageSize(500) }), { abortSignal }),
    );
    if (!page.ok) {
      ctx.recordFailure('apigateway:GetRestApis', 'apigateway:GET', null, page);
      return [];
    }
    apis.push(...(page.value.items ?? []));
    position = page.value.position || undefined;
  } while (position);
  const perApi = await mapWithConcurrency(apis, READ_CONCURRENCY, async (api) => {
    const restApiId = api.id ?? '';
    const stages = await ctx.call('apigateway:GetStages', (abortSignal) =>
      client.send(new GetStagesCommand({ restApiId }), { abortSignal }),
    );
    if (!stages.ok) {
      ctx.recordFailure(
        'apigateway:GetStages',
        'apigateway:GET',
        `arn:aws:apigateway:${region}::/restapis/${restApiId}`,
        stages,
      );
      return [];
    }
    return (stages.value.item ?? []).map((s) => stageResource(ctx, region, restApiId, s, 'apigateway'));
  });
  return perApi.flat();
}

function stageArn(region: string, restApiId: string, stageName: string): string {
  return `arn:aws:apigateway:${region}::/restapis/${restApiId}/stages/${stageName}`;
}

/**
 * Whether the stage's cache is encrypted: every method setting that caches (the stage-wide `*` + `/*`
 * one included) encrypts; null when no method caches.
 */
function cacheEncrypted(settings: Record<string, MethodSetting>): boolean | null {
  const caching = Object.values(settings).filter((m) => m.cachingEnabled);
  if (caching.length === 0) return null;
  return caching.every((m) => m.cacheDataEncrypted === true);
}

export function stageResource(
  ctx: AwsScanContext,
  region: string,
  restApiId: string,
  s: Stage,
  api: string,
): Resource {
  const name = s.stageName ?? '';
  const settings = s.methodSettings ?? {};
  const all = settings['*/*'] ?? {};
  return ctx.accountResource({
    id: stageArn(region, restApiId, name),
    region,
    type: 'aws.apigateway.stage',
    name: `${restApiId}/${name}`,
    api,
    now: ctx.now(),
    attributes: {
      rest_api_id: restApiId,
      stage_name: name,
      access_log_destination_arn: s.accessLogSettings?.destinationArn ?? null,
      execution_logging_level: all.loggingLevel ?? 'OFF',
      data_trace_enabled: all.dataTraceEnabled ?? false,
      tracing_enabled: s.tracingEnabled ?? false,
      cache_cluster_enabled: s.cacheClusterEnabled ?? false,
      cache_data_encrypted: cacheEncrypted(settings),
      client_certificate_id: s.clientCertificateId ?? null,
      web_acl_arn: s.webAclArn ?? null,
    },
  });
}

/** A stage's item and the API it belongs to. */
export function stageFromItem(item: ConfigItem): { restApiId: string; stage: Stage } {
  const c = obj(item.configuration);
  const fromId = /\/restapis\/([^/]+)\/stages\//.exec(item.resourceId ?? '')?.[1];
  const settings = obj(c.methodSettings);
  const logs = obj(c.accessLogSettings);
  return {
    restApiId: str(c.restApiId) ?? fromId ?? '',
    stage: {
      stageName: str(c.stageName),
      deploymentId: str(c.deploymentId),
      clientCertificateId: str(c.clientCertificateId),
      cacheClusterEnabled: bool(c.cacheClusterEnabled),
      tracingEnabled: bool(c.tracingEnabled),
      webAclArn: str(c.webAclArn),
      accessLogSettings: str(logs.destinationArn)
        ? { destinationArn: str(logs.destinationArn), format: str(logs.format) }
        : undefined,
      methodSettings: Object.fromEntries(
        Object.entries(settings).map(([key, v]) => {
          const m = obj(v);
          return [
            key,
            {
              loggingLevel: str(m.loggingLevel),
              dataTraceEnabled: bool(m.dataTraceEnabled),
              cachingEnabled: bool(m.cachingEnabled),
              cacheDataEncrypted: bool(m.cacheDataEncrypted),
              metricsEnabled: bool(m.metricsEnabled),
            },
          ];
        }),
      ),
    },
  };
}
