/**
 * CloudFront distributions. CloudFront is global: its API answers in us-east-1, and AWS Config records
 * AWS::CloudFront::Distribution items only in us-east-1, so the distributions are read with that region
 * (ListDistributions, then GetDistributionConfig each, for the logging settings the listing lacks) and
 * reported with region `global`; in every other region this scanner reads nothing. A scan whose regions
 * leave out us-east-1 therefore reads no distributions.
 *
 * Config's item records the distribution with its DistributionConfig in lower camel (first letter only:
 * `viewerCertificate.aCMCertificateArn`, `customOriginConfig.hTTPSPort`); it is put back into the SDK shape
 * for the same builder.
 */
import {
  CloudFrontClient,
  GetDistributionConfigCommand,
  ListDistributionsCommand,
  type CacheBehavior,
  type DistributionConfig,
  type DistributionSummary,
  type Origin,
} from '@aws-sdk/client-cloudfront';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { bool, obj, str, type ConfigItem } from './config-item.ts';

/** The region CloudFront's API and its Config items live in. */
export const CLOUDFRONT_REGION = 'us-east-1';
const READ_CONCURRENCY = 4;

function cloudfront(ctx: AwsScanContext): CloudFrontClient {
  return ctx.client('cloudfront', CLOUDFRONT_REGION, (settings) => new CloudFrontClient(settings));
}

export async function scanDistributions(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  if (region !== CLOUDFRONT_REGION) return [];
  const client = cloudfront(ctx);
  const summaries: DistributionSummary[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.call('cloudfront:ListDistributions', (abortSignal) =>
      client.send(new ListDistributionsCommand({ Marker, MaxItems: ctx.pageSize(100) }), { abortSignal }),
    );
    if (!page.ok) {
      ctx.recordFailure('cloudfront:ListDistributions', 'cloudfront:ListDistributions', null, page);
      return [];
    }
    summaries.push(...(page.value.DistributionList?.Items ?? []));
    Marker = page.value.DistributionList?.IsTruncated ? page.value.DistributionList.NextMarker : undefined;
  } while (Marker);
  const read = await mapWithConcurrency(summaries, READ_CONCURRENCY, async (d) => {
    const got = await ctx.call('cloudfront:GetDistributionConfig', (abortSignal) =>
      client.send(new GetDistributionConfigCommand({ Id: d.Id }), { abortSignal }),
    );
    if (!got.ok || !got.value.DistributionConfig) {
      if (!got.ok)
        ctx.recordFailure(
          'cloudfront:GetDistributionConfig',
          'cloudfront:GetDistributionConfig',
          d.ARN ?? null,
          got,
        );
      return null;
    }
    return distributionResource(
      ctx,
      d.Id ?? '',
      d.ARN ?? '',
      d.DomainName ?? null,
      got.value.DistributionConfig,
      'cloudfront',
    );
  });
  return read.filter((r): r is Resource => r !== null);
}

function originAttributes(o: Origin): Record<string, unknown> {
  const custom = o.CustomOriginConfig;
  return {
    id: o.Id ?? '',
    domain_name: o.DomainName ?? '',
    type: custom ? 'custom' : o.S3OriginConfig ? 's3' : 'vpc',
    origin_access_control_id: o.OriginAccessControlId || null,
    origin_access_identity: o.S3OriginConfig?.OriginAccessIdentity || null,
    protocol_policy: custom?.OriginProtocolPolicy ?? null,
    ssl_protocols: custom?.OriginSslProtocols?.Items ?? [],
  };
}

export function distributionResource(
  ctx: AwsScanContext,
  id: string,
  arn: string,
  domainName: string | null,
  c: DistributionConfig,
  api: string,
): Resource {
  const behaviors: CacheBehavior[] = c.CacheBehaviors?.Items ?? [];
  const certificate = c.ViewerCertificate;
  const defaultCertificate = certificate?.CloudFrontDefaultCertificate ?? !certificate?.ACMCertificateArn;
  return ctx.accountResource({
    id: arn || `arn:aws:cloudfront::${ctx.accountId}:distribution/${id}`,
    region: 'global',
    type: 'aws.cloudfront.distribution',
    name: id,
    api,
    now: ctx.now(),
    attributes: {
      distribution_id: id,
      domain_name: domainName,
      aliases: c.Aliases?.Items ?? [],
      enabled: c.Enabled ?? false,
      default_viewer_protocol_policy: c.DefaultCacheBehavior?.ViewerProtocolPolicy ?? 'allow-all',
      viewer_protocol_policies: [c.DefaultCacheBehavior, ...behaviors].map(
        (b) => b?.ViewerProtocolPolicy ?? 'allow-all',
      ),
      uses_default_certificate: defaultCertificate,
      // The default *.cloudfront.net certificate accepts TLSv1 whatever the setting says.
      minimum_protocol_version: defaultCertificate
        ? 'TLSv1'
        : (certificate?.MinimumProtocolVersion ?? 'TLSv1'),
      acm_certificate_arn: certificate?.ACMCertificateArn ?? null,
      logging_enabled: c.Logging?.Enabled ?? false,
      logging_bucket: c.Logging?.Enabled ? c.Logging.Bucket || null : null,
      default_root_object: c.DefaultRootObject || null,
      web_acl_id: c.WebACLId || null,
      origins: (c.Origins?.Items ?? []).map(originAttributes),
    },
  });
}

/** Lower-camel (first letter) keys back to the SDK's PascalCase, deeply: Config's spelling of DistributionConfig. */
function pascal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascal);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [
        k.charAt(0).toUpperCase() + k.slice(1),
        pascal(x),
      ]),
    );
  return v;
}

/** A distribution's item: its id, ARN, domain name and DistributionConfig. */
export function distributionFromItem(item: ConfigItem): {
  id: string;
  arn: string;
  domainName: string | null;
  config: DistributionConfig;
} {
  const c = obj(item.configuration);
  const config = pascal(obj(c.distributionConfig)) as DistributionConfig;
  // Booleans may be recorded as text; the builder reads these few.
  if (config.Logging) config.Logging.Enabled = bool(config.Logging.Enabled) ?? false;
  if (config.ViewerCertificate)
    config.ViewerCertificate.CloudFrontDefaultCertificate = bool(
      config.ViewerCertificate.CloudFrontDefaultCertificate,
    );
  config.Enabled = bool(config.Enabled) ?? false;
  return {
    id: str(c.id) ?? item.resourceId ?? '',
    arn: str(c.arn) ?? '',
    domainName: str(c.domainName) ?? null,
    config,
  };
}
