/**
 * Elastic Load Balancing v2 (application, network and gateway load balancers), per region. Two resource
 * types, as AWS Config records them: `aws.elbv2.load_balancer` (DescribeLoadBalancers, one
 * DescribeLoadBalancerAttributes each, and for application load balancers the web ACL guarding it from
 * wafv2:GetWebACLForResource) and `aws.elbv2.listener` (DescribeListeners per load balancer). Config's
 * AWS::ElasticLoadBalancingV2::LoadBalancer item carries the attributes as supplementary configuration, but
 * not the WAF association, which both paths ask for.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
  type Action,
  type Listener,
  type LoadBalancer,
  type LoadBalancerAttribute,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetWebACLForResourceCommand } from '@aws-sdk/client-wafv2';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { list, num, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';
import { wafv2 } from './wafv2.ts';

const READ_CONCURRENCY = 4;

function elbv2(ctx: AwsScanContext, region: string): ElasticLoadBalancingV2Client {
  return ctx.client('elasticloadbalancing', region, (settings) => new ElasticLoadBalancingV2Client(settings));
}

async function listLoadBalancers(ctx: AwsScanContext, region: string): Promise<LoadBalancer[] | null> {
  const client = elbv2(ctx, region);
  return pages<{ LoadBalancers?: LoadBalancer[]; NextMarker?: string }, LoadBalancer>(
    ctx,
    'elasticloadbalancing:DescribeLoadBalancers',
    (Marker, abortSignal) =>
      client.send(new DescribeLoadBalancersCommand({ Marker, PageSize: ctx.pageSize(400) }), { abortSignal }),
    (o) => o.LoadBalancers,
    (o) => o.NextMarker,
  );
}

export async function scanLoadBalancers(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = elbv2(ctx, region);
  const found = await listLoadBalancers(ctx, region);
  return mapWithConcurrency(found ?? [], READ_CONCURRENCY, async (lb) => {
    const LoadBalancerArn = lb.LoadBalancerArn ?? '';
    const read = await ctx.call('elasticloadbalancing:DescribeLoadBalancerAttributes', (abortSignal) =>
      client.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn }), { abortSignal }),
    );
    if (!read.ok)
      ctx.recordFailure(
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        LoadBalancerArn,
        read,
      );
    return loadBalancerResource(
      ctx,
      region,
      lb,
      read.ok ? (read.value.Attributes ?? []) : undefined,
      'elbv2',
    );
  });
}

/**
 * One load balancer as a resource. `attributes` is undefined when they could not be read: the settings
 * they hold are then left out. Only application load balancers can have a web ACL; for the others
 * `web_acl_arn` and the HTTP settings are null.
 */
export async function loadBalancerResource(
  ctx: AwsScanContext,
  region: string,
  lb: LoadBalancer,
  attributes: LoadBalancerAttribute[] | undefined,
  api: string,
): Promise<Resource> {
  const arn = lb.LoadBalancerArn ?? '';
  const application = lb.Type === 'application';
  const out: Record<string, unknown> = {
    load_balancer_name: lb.LoadBalancerName ?? '',
    type: lb.Type ?? 'application',
    scheme: lb.Scheme ?? 'internet-facing',
    state: lb.State?.Code ?? 'unknown',
    vpc_id: lb.VpcId ?? null,
    dns_name: lb.DNSName ?? null,
    security_group_ids: lb.SecurityGroups ?? [],
  };
  if (attributes) {
    const get = (key: string): string | undefined => attributes.find((a) => a.Key === key)?.Value;
    out.deletion_protection = get('deletion_protection.enabled') === 'true';
    // Application load balancers always balance across zones; the others only when the attribute says so.
    out.cross_zone_enabled = application || get('load_balancing.cross_zone.enabled') === 'true';
    out.access_logs_enabled = get('access_logs.s3.enabled') === 'true';
    out.access_logs_bucket =
      get('access_logs.s3.enabled') === 'true' ? get('access_logs.s3.bucket') || null : null;
    out.drop_invalid_header_fields = application
      ? get('routing.http.drop_invalid_header_fields.enabled') === 'true'
      : null;
    out.desync_mitigation_mode = application
      ? (get('routing.http.desync_mitigation_mode') ?? 'defensive')
      : null;
  }
  if (!application) out.web_acl_arn = null;
  else {
    const acl = await ctx.call('wafv2:GetWebACLForResource', (abortSignal) =>
      wafv2(ctx, region).send(new GetWebACLForResourceCommand({ ResourceArn: arn }), { abortSignal }),
    );
    if (acl.ok) out.web_acl_arn = acl.value.WebACL?.ARN ?? null;
    else ctx.recordFailure('wafv2:GetWebACLForResource', 'wafv2:GetWebACLForResource', arn, acl);
  }
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.elbv2.load_balancer',
    name: lb.LoadBalancerName ?? arn,
    api,
    now: ctx.now(),
    attributes: out,
  });
}

export async function scanListeners(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = elbv2(ctx, region);
  const found = await listLoadBalancers(ctx, region);
  const perBalancer = await mapWithConcurrency(found ?? [], READ_CONCURRENCY, async (lb) => {
    const LoadBalancerArn = lb.LoadBalancerArn ?? '';
    const listeners = await pages<{ Listeners?: Listener[]; NextMarker?: string }, Listener>(
      ctx,
      'elasticloadbalancing:DescribeListeners',
      (Marker, abortSignal) =>
        client.send(new DescribeListenersCommand({ LoadBalancerArn, Marker, PageSize: ctx.pageSize(400) }), {
          abortSignal,
        }),
      (o) => o.Listeners,
      (o) => o.NextMarker,
    );
    return (listeners ?? []).map((l) => listenerResource(ctx, region, l, 'elbv2'));
  });
  return perBalancer.flat();
}

/** Whether the actions send every request to HTTPS: the first (lowest order) action redirects there. */
function redirectsToHttps(actions: Action[]): boolean {
  const first = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))[0];
  return first?.Type === 'redirect' && first.RedirectConfig?.Protocol === 'HTTPS';
}

export function listenerResource(ctx: AwsScanContext, region: string, l: Listener, api: string): Resource {
  const arn = l.ListenerArn ?? '';
  const actions = l.DefaultActions ?? [];
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.elbv2.listener',
    name: `${arn.split('/').slice(-3, -2)[0] ?? arn}:${l.Port ?? ''}`,
    api,
    now: ctx.now(),
    attributes: {
      load_balancer_arn: l.LoadBalancerArn ?? '',
      port: l.Port ?? null,
      protocol: l.Protocol ?? 'HTTP',
      ssl_policy: l.SslPolicy ?? null,
      certificate_arns: (l.Certificates ?? []).map((c) => c.CertificateArn ?? '').filter(Boolean),
      default_action_types: actions.map((a) => a.Type ?? ''),
      redirects_to_https: redirectsToHttps(actions),
    },
  });
}

/** Config's JSON text or object, as a list. */
function listOf(v: unknown): unknown[] {
  if (typeof v === 'string') {
    try {
      return list(JSON.parse(v));
    } catch {
      return [];
    }
  }
  return list(v);
}

/** A load balancer's item: DescribeLoadBalancers' entry in lower camel, its attributes as supplementary configuration. */
export function loadBalancerFromItem(item: ConfigItem): {
  lb: LoadBalancer;
  attributes: LoadBalancerAttribute[] | undefined;
} {
  const c = obj(item.configuration);
  const supplementary = obj(item.supplementaryConfiguration);
  return {
    lb: {
      LoadBalancerArn: str(c.loadBalancerArn) ?? item.resourceId,
      LoadBalancerName: str(c.loadBalancerName),
      DNSName: str(c.dNSName),
      Scheme: str(c.scheme) as LoadBalancer['Scheme'],
      Type: str(c.type) as LoadBalancer['Type'],
      VpcId: str(c.vpcId),
      State: { Code: str(obj(c.state).code) as NonNullable<LoadBalancer['State']>['Code'] },
      SecurityGroups: list(c.securityGroups).filter((v): v is string => typeof v === 'string'),
    },
    attributes:
      'LoadBalancerAttributes' in supplementary
        ? listOf(supplementary.LoadBalancerAttributes).map((a) => ({
            Key: str(obj(a).key),
            Value: str(obj(a).value),
          }))
        : undefined,
  };
}

/** A listener's item: DescribeListeners' entry in lower camel. */
export function listenerFromItem(item: ConfigItem): Listener {
  const c = obj(item.configuration);
  return {
    ListenerArn: str(c.listenerArn) ?? item.resourceId,
    LoadBalancerArn: str(c.loadBalancerArn),
    Port: num(c.port),
    Protocol: str(c.protocol) as Listener['Protocol'],
    SslPolicy: str(c.sslPolicy),
    Certificates: list(c.certificates).map((x) => ({ CertificateArn: str(obj(x).certificateArn) })),
    DefaultActions: list(c.defaultActions).map((a) => {
      const q = obj(a);
      const redirect = obj(q.redirectConfig);
      return {
        Type: str(q.type) as Action['Type'],
        Order: num(q.order),
        RedirectConfig: str(redirect.protocol)
          ? { Protocol: str(redirect.protocol), StatusCode: str(redirect.statusCode) as 'HTTP_301' }
          : undefined,
      };
    }),
  };
}
