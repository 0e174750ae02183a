/**
 * Amazon OpenSearch Service domains (aws.opensearch.domain), per region: ListDomainNames, DescribeDomains
 * (five names a call, the API's most) and ListTags per domain (restJson1, signing name `es`). AWS Config's
 * AWS::OpenSearch::Domain item records the domain in its CloudFormation form (PascalCase); it is put back
 * into DescribeDomains' DomainStatus shape so both paths hand the same builder the same input. The item's
 * configuration carries no tags in a form the scan selects, so ListTags is asked on both paths.
 */
import {
  DescribeDomainsCommand,
  ListDomainNamesCommand,
  ListTagsCommand,
  OpenSearchClient,
  type DomainStatus,
} from '@aws-sdk/client-opensearch';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, list, num, obj, str, type ConfigItem } from './config-item.ts';
import { policyAccess } from './policy-access.ts';

/** DescribeDomains' largest batch of names. */
const DESCRIBE_BATCH = 5;
const TAGS_CONCURRENCY = 4;
/** LogPublishingOptions keys, as both the API and the Config item spell them. */
const LOG_TYPES = ['AUDIT_LOGS', 'ES_APPLICATION_LOGS', 'INDEX_SLOW_LOGS', 'SEARCH_SLOW_LOGS'] as const;

function openSearch(ctx: AwsScanContext, region: string): OpenSearchClient {
  return ctx.client('opensearch', region, (settings) => new OpenSearchClient(settings));
}

export async function scanOpenSearchDomains(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = openSearch(ctx, region);
  // ListDomainNames answers every domain at once (the API has no paging).
  const listed = await ctx.call('es:ListDomainNames', (abortSignal) =>
    client.send(new ListDomainNamesCommand({}), { abortSignal }),
  );
  if (!listed.ok) {
    ctx.recordFailure('es:ListDomainNames', 'es:ListDomainNames', null, listed);
    return [];
  }
  const names = (listed.value.DomainNames ?? []).flatMap((d) => (d.DomainName ? [d.DomainName] : []));
  const domains: DomainStatus[] = [];
  for (let i = 0; i < names.length; i += DESCRIBE_BATCH) {
    const DomainNames = names.slice(i, i + DESCRIBE_BATCH);
    const described = await ctx.call('es:DescribeDomains', (abortSignal) =>
      client.send(new DescribeDomainsCommand({ DomainNames }), { abortSignal }),
    );
    // Without its description nothing but the name is known: those domains are left out, the error kept.
    if (!described.ok) ctx.recordFailure('es:DescribeDomains', 'es:DescribeDomains', null, described);
    else domains.push(...(described.value.DomainStatusList ?? []));
  }
  return domainResources(ctx, region, domains, 'opensearch');
}

/** The domains as resources, each with its tags (ListTags; left out of a domain whose call failed). */
export function domainResources(
  ctx: AwsScanContext,
  region: string,
  domains: DomainStatus[],
  api: string,
): Promise<Resource[]> {
  const client = openSearch(ctx, region);
  return mapWithConcurrency(domains, TAGS_CONCURRENCY, async (d) => {
    let tags: Record<string, string> | undefined;
    if (d.ARN) {
      const ARN = d.ARN;
      const got = await ctx.call('es:ListTags', (abortSignal) =>
        client.send(new ListTagsCommand({ ARN }), { abortSignal }),
      );
      if (got.ok)
        tags = Object.fromEntries((got.value.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
      else ctx.recordFailure('es:ListTags', 'es:ListTags', ARN, got);
    }
    return openSearchDomainResource(ctx, region, d, tags, api);
  });
}

export function openSearchDomainResource(
  ctx: AwsScanContext,
  region: string,
  d: DomainStatus,
  tags: Record<string, string> | undefined,
  api: string,
): Resource {
  const name = d.DomainName ?? '';
  const atRest = d.EncryptionAtRestOptions?.Enabled ?? false;
  const keyId = atRest ? (d.EncryptionAtRestOptions?.KmsKeyId ?? null) : null;
  const logs = d.LogPublishingOptions ?? {};
  const access = policyAccess(d.AccessPolicies, ctx.accountId);
  const attributes: Record<string, unknown> = {
    domain_name: name,
    engine_version: d.EngineVersion ?? null,
    encryption_at_rest_enabled: atRest,
    kms_key_id: keyId,
    // No key id, or the aws/es alias, is the AWS managed key.
    customer_managed_key: keyId !== null && !/alias\/aws\//.test(keyId),
    node_to_node_encryption_enabled: d.NodeToNodeEncryptionOptions?.Enabled ?? false,
    enforce_https: d.DomainEndpointOptions?.EnforceHTTPS ?? false,
    tls_security_policy: d.DomainEndpointOptions?.TLSSecurityPolicy ?? null,
    in_vpc: (d.VPCOptions?.SubnetIds ?? []).length > 0,
    fine_grained_access_control_enabled: d.AdvancedSecurityOptions?.Enabled ?? false,
    anonymous_auth_enabled: d.AdvancedSecurityOptions?.AnonymousAuthEnabled ?? false,
    enabled_log_types: LOG_TYPES.filter(
      (t) => logs[t]?.Enabled === true && (logs[t]?.CloudWatchLogsLogGroupArn ?? '') !== '',
    ),
    instance_count: d.ClusterConfig?.InstanceCount ?? 1,
    zone_awareness_enabled: d.ClusterConfig?.ZoneAwarenessEnabled ?? false,
    dedicated_master_enabled: d.ClusterConfig?.DedicatedMasterEnabled ?? false,
    auto_software_update_enabled: d.SoftwareUpdateOptions?.AutoSoftwareUpdateEnabled ?? false,
  };
  // No policy grants nobody; a policy that is not JSON leaves the question open (the key absent).
  if (access !== undefined) attributes.access_policy_public = access?.public ?? false;
  if (tags !== undefined) attributes.tags = tags;
  return ctx.accountResource({
    id: d.ARN ?? `arn:aws:es:${region}:${ctx.accountId}:domain/${name}`,
    region,
    type: 'aws.opensearch.domain',
    name,
    api,
    now: ctx.now(),
    attributes,
  });
}

/** A domain's item: the CloudFormation form, back in DescribeDomains' shape. */
export function domainFromItem(item: ConfigItem): DomainStatus {
  const c = obj(item.configuration);
  const at = obj(c.EncryptionAtRestOptions);
  const endpoint = obj(c.DomainEndpointOptions);
  const cluster = obj(c.ClusterConfig);
  const security = obj(c.AdvancedSecurityOptions);
  const logs = obj(c.LogPublishingOptions);
  const subnets = list(obj(c.VPCOptions).SubnetIds).filter((s): s is string => typeof s === 'string');
  // CloudFormation records the access policy as a JSON object, the API as text.
  const policy = c.AccessPolicies;
  return {
    DomainId: str(c.Id) ?? item.resourceId,
    DomainName: str(c.DomainName) ?? item.resourceId ?? '',
    ARN: str(c.Arn) ?? str(c.DomainArn),
    EngineVersion: str(c.EngineVersion),
    ClusterConfig: {
      InstanceCount: num(cluster.InstanceCount),
      ZoneAwarenessEnabled: bool(cluster.ZoneAwarenessEnabled),
      DedicatedMasterEnabled: bool(cluster.DedicatedMasterEnabled),
    },
    EncryptionAtRestOptions: { Enabled: bool(at.Enabled), KmsKeyId: str(at.KmsKeyId) },
    NodeToNodeEncryptionOptions: { Enabled: bool(obj(c.NodeToNodeEncryptionOptions).Enabled) },
    DomainEndpointOptions: {
      EnforceHTTPS: bool(endpoint.EnforceHTTPS),
      TLSSecurityPolicy: str(endpoint.TLSSecurityPolicy) as never,
    },
    VPCOptions: subnets.length > 0 ? { SubnetIds: subnets } : undefined,
    AdvancedSecurityOptions: {
      Enabled: bool(security.Enabled),
      AnonymousAuthEnabled: bool(security.AnonymousAuthEnabled),
    },
    LogPublishingOptions: Object.fromEntries(
      LOG_TYPES.filter((t) => t in logs).map((t) => [
        t,
        {
          Enabled: bool(obj(logs[t]).Enabled),
          CloudWatchLogsLogGroupArn: str(obj(logs[t]).CloudWatchLogsLogGroupArn),
        },
      ]),
    ),
    AccessPolicies:
      typeof policy === 'string'
        ? policy
        : policy && typeof policy === 'object'
          ? JSON.stringify(policy)
          : undefined,
    SoftwareUpdateOptions: {
      AutoSoftwareUpdateEnabled: bool(obj(c.SoftwareUpdateOptions).AutoSoftwareUpdateEnabled),
    },
  };
}
