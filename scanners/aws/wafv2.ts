/**
 * AWS WAF (v2) web ACLs, per region: ListWebACLs of the REGIONAL scope everywhere, and of the CLOUDFRONT
 * scope in us-east-1 (where AWS keeps the global ACLs), then GetWebACL and GetLoggingConfiguration for
 * each. The AWS::WAFv2::WebACL item of AWS Config records the ACL in its CloudFormation-registry form
 * (PascalCase); it is put back into the SDK's WebACL shape for the same builder. Logging is not part of
 * the ACL (nor of its item), so both paths ask GetLoggingConfiguration.
 *
 * Which ACL protects a load balancer is read from the load balancer's side (GetWebACLForResource, in
 * elbv2.ts); API Gateway stages and CloudFront distributions name their ACL themselves.
 */
import {
  GetLoggingConfigurationCommand,
  GetWebACLCommand,
  ListWebACLsCommand,
  WAFV2Client,
  type Rule,
  type Scope,
  type WebACL,
  type WebACLSummary,
} from '@aws-sdk/client-wafv2';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { list, obj, str, type ConfigItem } from './config-item.ts';
import { pages } from './regional.ts';

const READ_CONCURRENCY = 4;
/** The region whose WAF endpoint holds the CLOUDFRONT-scope (global) web ACLs. */
export const GLOBAL_WAF_REGION = 'us-east-1';

export function wafv2(ctx: AwsScanContext, region: string): WAFV2Client {
  return ctx.client('wafv2', region, (settings) => new WAFV2Client(settings));
}

export async function scanWebAcls(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = wafv2(ctx, region);
  const scopes: Scope[] = region === GLOBAL_WAF_REGION ? ['REGIONAL', 'CLOUDFRONT'] : ['REGIONAL'];
  const resources: Resource[] = [];
  for (const Scope of scopes) {
    const listed = await pages<{ WebACLs?: WebACLSummary[]; NextMarker?: string }, WebACLSummary>(
      ctx,
      'wafv2:ListWebACLs',
      (NextMarker, abortSignal) =>
        client.send(new ListWebACLsCommand({ Scope, NextMarker, Limit: ctx.pageSize(100) }), { abortSignal }),
      (o) => o.WebACLs,
      (o) => o.NextMarker,
    );
    const read = await mapWithConcurrency(listed ?? [], READ_CONCURRENCY, async (summary) => {
      const got = await ctx.call('wafv2:GetWebACL', (abortSignal) =>
        client.send(new GetWebACLCommand({ Name: summary.Name, Id: summary.Id, Scope }), { abortSignal }),
      );
      if (!got.ok) {
        ctx.recordFailure('wafv2:GetWebACL', 'wafv2:GetWebACL', summary.ARN ?? null, got);
        return null;
      }
      const acl = got.value.WebACL;
      if (!acl) {
        ctx.recordProblem(
          'wafv2:GetWebACL',
          summary.ARN ?? null,
          'EmptyAnswer',
          'GetWebACL answered without the web ACL',
        );
        return null;
      }
      return webAclResource(ctx, region, acl, Scope, 'wafv2');
    });
    resources.push(...read.filter((r): r is Resource => r !== null));
  }
  return resources;
}

/** How a rule group is named in `managed_rule_groups`: `AWS:AWSManagedRulesCommonRuleSet`. */
function managedGroups(rules: Rule[]): string[] {
  return rules.flatMap((r) => {
    const m = r.Statement?.ManagedRuleGroupStatement;
    return m ? [`${m.VendorName ?? ''}:${m.Name ?? ''}`] : [];
  });
}

/** One web ACL as a resource; its logging configuration costs one call on either path. */
export async function webAclResource(
  ctx: AwsScanContext,
  region: string,
  acl: WebACL,
  scope: string,
  api: string,
): Promise<Resource> {
  const arn = acl.ARN ?? '';
  const rules = acl.Rules ?? [];
  const attributes: Record<string, unknown> = {
    web_acl_id: acl.Id ?? '',
    scope,
    default_action: acl.DefaultAction?.Block ? 'BLOCK' : 'ALLOW',
    rule_count: rules.length,
    rule_names: rules.map((r) => r.Name ?? ''),
    managed_rule_groups: managedGroups(rules),
  };
  const logging = await ctx.call('wafv2:GetLoggingConfiguration', (abortSignal) =>
    wafv2(ctx, region).send(new GetLoggingConfigurationCommand({ ResourceArn: arn }), { abortSignal }),
  );
  if (logging.ok) {
    const destinations = logging.value.LoggingConfiguration?.LogDestinationConfigs ?? [];
    attributes.logging_enabled = destinations.length > 0;
    attributes.log_destinations = destinations;
  } else if (logging.code === 'WAFNonexistentItemException') {
    attributes.logging_enabled = false;
    attributes.log_destinations = [];
  } else ctx.recordFailure('wafv2:GetLoggingConfiguration', 'wafv2:GetLoggingConfiguration', arn, logging);
  return ctx.accountResource({
    id: arn,
    region,
    type: 'aws.wafv2.web_acl',
    name: acl.Name ?? arn,
    api,
    now: ctx.now(),
    attributes,
  });
}

/** A web ACL's item, recorded in its CloudFormation-registry form (PascalCase, `Arn`). */
export function webAclFromItem(item: ConfigItem): { acl: WebACL; scope: string } {
  const c = obj(item.configuration);
  const action = obj(c.DefaultAction);
  return {
    scope: str(c.Scope) ?? 'REGIONAL',
    acl: {
      Name: str(c.Name),
      Id: str(c.Id),
      ARN: str(c.Arn),
      DefaultAction: 'Block' in action ? { Block: {} } : { Allow: {} },
      VisibilityConfig: undefined,
      Rules: list(c.Rules).map((r) => {
        const rule = obj(r);
        const m = obj(obj(rule.Statement).ManagedRuleGroupStatement);
        return {
          Name: str(rule.Name),
          Priority: typeof rule.Priority === 'number' ? rule.Priority : 0,
          Statement: str(m.Name)
            ? { ManagedRuleGroupStatement: { VendorName: str(m.VendorName), Name: str(m.Name) } }
            : {},
          VisibilityConfig: undefined,
        } as Rule;
      }),
    },
  };
}
