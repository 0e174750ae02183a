/**
 * The account's regional security services, one resource per region whatever their state: the Security Hub
 * hub (DescribeHub; InvalidAccessException "not subscribed" is the disabled state, not a failure), its
 * enabled standards and its finding aggregator; and IAM Access Analyzer (ListAnalyzers, then ListFindings of
 * each active external-access analyzer, ACTIVE findings only). Read directly only: AWS Config records
 * AWS::SecurityHub::Standard (not the hub, its control settings or its aggregator) and
 * AWS::AccessAnalyzer::Analyzer (not its findings), and a region where either is off has no item to show it.
 */
import {
  AccessAnalyzerClient,
  ListAnalyzersCommand,
  ListFindingsCommand,
  type AnalyzerSummary,
  type FindingSummary,
} from '@aws-sdk/client-accessanalyzer';
import {
  DescribeHubCommand,
  GetEnabledStandardsCommand,
  GetFindingAggregatorCommand,
  ListFindingAggregatorsCommand,
  SecurityHubClient,
  type FindingAggregator,
  type GetFindingAggregatorResponse,
  type StandardsSubscription,
} from '@aws-sdk/client-securityhub';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** The analyzer types that report access from outside the account or organization (not unused access). */
const EXTERNAL_ACCESS_TYPES = new Set(['ACCOUNT', 'ORGANIZATION']);

export async function scanSecurityHub(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('securityhub', region, (settings) => new SecurityHubClient(settings));
  const id = `arn:aws:securityhub:${region}:${ctx.accountId}:hub/default`;
  const hub = await ctx.call('securityhub:DescribeHub', (abortSignal) =>
    client.send(new DescribeHubCommand({}), { abortSignal }),
  );
  const resource = (attributes: Record<string, unknown>): Resource[] => [
    ctx.accountResource({
      id,
      region,
      type: 'aws.securityhub.hub',
      name: `Security Hub ${region}`,
      api: 'securityhub',
      now: ctx.now(),
      attributes,
    }),
  ];
  if (!hub.ok && hub.code === 'InvalidAccessException') {
    return resource({
      enabled: false,
      subscribed_at: null,
      auto_enable_controls: null,
      consolidated_control_findings: null,
      standards: [],
      findings_aggregated: false,
      finding_aggregation_region: null,
    });
  }
  if (!hub.ok) {
    ctx.recordFailure('securityhub:DescribeHub', 'securityhub:DescribeHub', id, hub);
    return resource({});
  }
  const attributes: Record<string, unknown> = {
    enabled: true,
    subscribed_at: hub.value.SubscribedAt ?? null,
    auto_enable_controls: hub.value.AutoEnableControls ?? false,
    consolidated_control_findings: hub.value.ControlFindingGenerator === 'SECURITY_CONTROL',
  };
  const standards = await pages<
    { StandardsSubscriptions?: StandardsSubscription[]; NextToken?: string },
    StandardsSubscription
  >(
    ctx,
    'securityhub:GetEnabledStandards',
    (NextToken, abortSignal) =>
      client.send(new GetEnabledStandardsCommand({ NextToken, MaxResults: ctx.pageSize(100) }), {
        abortSignal,
      }),
    (o) => o.StandardsSubscriptions,
    (o) => o.NextToken,
  );
  if (standards) attributes.standards = standards.map(standardOf);
  const aggregator = await findingAggregator(ctx, client);
  if (aggregator !== undefined) {
    attributes.finding_aggregation_region = aggregator?.FindingAggregationRegion ?? null;
    attributes.findings_aggregated = aggregator !== null && aggregates(aggregator, region);
  }
  return resource(attributes);
}

/** A standard's short name and version from its ARN (…:standards/<name>/v/<version> or …:ruleset/<name>/v/<version>). */
function standardOf(s: StandardsSubscription): {
  name: string;
  version: string;
  arn: string;
  status: string;
} {
  const arn = s.StandardsArn ?? '';
  const match = /:(?:standards|ruleset)\/([^/]+)(?:\/v\/([^/]+))?/.exec(arn);
  return { name: match?.[1] ?? arn, version: match?.[2] ?? '', arn, status: s.StandardsStatus ?? '' };
}

/** The account's aggregator, which AWS lists from any region (null: none); undefined when it could not be read (the error recorded). */
async function findingAggregator(
  ctx: AwsScanContext,
  client: SecurityHubClient,
): Promise<GetFindingAggregatorResponse | null | undefined> {
  const listed = await pages<
    { FindingAggregators?: FindingAggregator[]; NextToken?: string },
    FindingAggregator
  >(
    ctx,
    'securityhub:ListFindingAggregators',
    (NextToken, abortSignal) =>
      client.send(new ListFindingAggregatorsCommand({ NextToken }), { abortSignal }),
    (o) => o.FindingAggregators,
    (o) => o.NextToken,
  );
  if (!listed) return undefined;
  const FindingAggregatorArn = listed[0]?.FindingAggregatorArn;
  if (!FindingAggregatorArn) return null;
  const got = await ctx.call('securityhub:GetFindingAggregator', (abortSignal) =>
    client.send(new GetFindingAggregatorCommand({ FindingAggregatorArn }), { abortSignal }),
  );
  if (!got.ok) {
    ctx.recordFailure(
      'securityhub:GetFindingAggregator',
      'securityhub:GetFindingAggregator',
      FindingAggregatorArn,
      got,
    );
    return undefined;
  }
  return got.value;
}

/** Whether the aggregator collects this region's findings: its home region, or a region its linking mode takes in. */
function aggregates(a: GetFindingAggregatorResponse, region: string): boolean {
  if (a.FindingAggregationRegion === region) return true;
  const listed = (a.Regions ?? []).includes(region);
  switch (a.RegionLinkingMode) {
    case 'ALL_REGIONS':
      return true;
    case 'ALL_REGIONS_EXCEPT_SPECIFIED':
      return !listed;
    case 'SPECIFIED_REGIONS':
      return listed;
    default:
      return false;
  }
}

export async function scanAccessAnalyzer(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('access-analyzer', region, (settings) => new AccessAnalyzerClient(settings));
  const id = `arn:aws:access-analyzer:${region}:${ctx.accountId}:analyzers`;
  const attributes: Record<string, unknown> = {};
  const analyzers = await pages<{ analyzers?: AnalyzerSummary[]; nextToken?: string }, AnalyzerSummary>(
    ctx,
    'access-analyzer:ListAnalyzers',
    (nextToken, abortSignal) =>
      client.send(new ListAnalyzersCommand({ nextToken, maxResults: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.analyzers,
    (o) => o.nextToken,
  );
  if (analyzers) {
    attributes.analyzers = analyzers.map((a) => ({
      name: a.name ?? '',
      type: a.type ?? '',
      status: a.status ?? '',
    }));
    const external = analyzers.filter(
      (a) => EXTERNAL_ACCESS_TYPES.has(a.type ?? '') && a.status === 'ACTIVE',
    );
    attributes.external_access_active = external.length > 0;
    let findings: FindingSummary[] | null = [];
    for (const analyzer of external) {
      const listed = await pages<{ findings?: FindingSummary[]; nextToken?: string }, FindingSummary>(
        ctx,
        'access-analyzer:ListFindings',
        (nextToken, abortSignal) =>
          client.send(
            new ListFindingsCommand({
              analyzerArn: analyzer.arn,
              filter: { status: { eq: ['ACTIVE'] } },
              nextToken,
              maxResults: ctx.pageSize(100),
            }),
            { abortSignal },
          ),
        (o) => o.findings,
        (o) => o.nextToken,
      );
      findings = listed && findings ? [...findings, ...listed] : null;
    }
    if (findings) {
      // An account analyzer and the organization's can report the same resource; each resource counts once.
      const resources = new Map(findings.map((f) => [f.resource ?? f.id, f]));
      attributes.active_findings = resources.size;
      attributes.active_public_findings = [...resources.values()].filter((f) => f.isPublic).length;
    }
  }
  return [
    ctx.accountResource({
      id,
      region,
      type: 'aws.accessanalyzer.region',
      name: `IAM Access Analyzer ${region}`,
      api: 'access-analyzer',
      now: ctx.now(),
      attributes,
    }),
  ];
}
