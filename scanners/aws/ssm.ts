/**
 * Systems Manager, per region (awsJson1_1): the nodes SSM manages (aws.ssm.managed_instance) from
 * DescribeInstanceInformation, joined with their patch and association compliance from two
 * ListResourceComplianceSummaries listings (ComplianceType Patch, then Association), and the documents the
 * account owns (aws.ssm.document) from ListDocuments (Owner Self) with DescribeDocumentPermission each, and
 * for Session documents (Session Manager preferences, SSM-SessionManagerRunShell) GetDocument for their
 * logging and timeout settings.
 *
 * Always read directly. AWS Config's AWS::SSM::ManagedInstanceInventory item holds the inventory the agent
 * last uploaded, not the ping status, last ping or whether the agent is the latest release; its
 * AWS::SSM::PatchCompliance and AWS::SSM::AssociationCompliance items are separate per-node records that
 * would still need the node list; and Config records no type for documents. A Config path would give less
 * than the direct reads, which cost one listing per region and compliance type.
 */
import {
  DescribeDocumentPermissionCommand,
  DescribeInstanceInformationCommand,
  GetDocumentCommand,
  ListDocumentsCommand,
  ListResourceComplianceSummariesCommand,
  SSMClient,
  type DocumentIdentifier,
  type InstanceInformation,
  type ResourceComplianceSummaryItem,
} from '@aws-sdk/client-ssm';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

const DOCUMENT_CONCURRENCY = 4;

function ssm(ctx: AwsScanContext, region: string): SSMClient {
  return ctx.client('ssm', region, (settings) => new SSMClient(settings));
}

/** Every node of the region with SSM; null when the listing failed (the failure is recorded). */
export async function ssmInstanceInformation(
  ctx: AwsScanContext,
  region: string,
): Promise<InstanceInformation[] | null> {
  const client = ssm(ctx, region);
  return pages<{ InstanceInformationList?: InstanceInformation[]; NextToken?: string }, InstanceInformation>(
    ctx,
    'ssm:DescribeInstanceInformation',
    (NextToken, abortSignal) =>
      client.send(new DescribeInstanceInformationCommand({ NextToken, MaxResults: ctx.pageSize(50) }), {
        abortSignal,
      }),
    (o) => o.InstanceInformationList,
    (o) => o.NextToken,
  );
}

/** The compliance summary of each node for one compliance type; null when the listing failed. */
async function complianceByNode(
  ctx: AwsScanContext,
  client: SSMClient,
  complianceType: 'Patch' | 'Association',
): Promise<Map<string, ResourceComplianceSummaryItem> | null> {
  const items = await pages<
    { ResourceComplianceSummaryItems?: ResourceComplianceSummaryItem[]; NextToken?: string },
    ResourceComplianceSummaryItem
  >(
    ctx,
    'ssm:ListResourceComplianceSummaries',
    (NextToken, abortSignal) =>
      client.send(
        new ListResourceComplianceSummariesCommand({
          Filters: [{ Key: 'ComplianceType', Values: [complianceType], Type: 'EQUAL' }],
          NextToken,
          MaxResults: ctx.pageSize(50),
        }),
        { abortSignal },
      ),
    (o) => o.ResourceComplianceSummaryItems,
    (o) => o.NextToken,
  );
  if (!items) return null;
  return new Map(items.filter((i) => i.ResourceId).map((i) => [i.ResourceId ?? '', i]));
}

export async function scanManagedInstances(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ssm(ctx, region);
  const nodes = await ssmInstanceInformation(ctx, region);
  if (!nodes || nodes.length === 0) return [];
  const patch = await complianceByNode(ctx, client, 'Patch');
  const association = await complianceByNode(ctx, client, 'Association');
  return nodes.map((n) => {
    const id = n.InstanceId ?? '';
    const attributes: Record<string, unknown> = {
      instance_id: id,
      resource_type: n.ResourceType ?? null,
      platform_type: n.PlatformType ?? null,
      ping_status: n.PingStatus ?? null,
      last_ping_time: n.LastPingDateTime?.toISOString() ?? null,
      agent_version: n.AgentVersion ?? null,
      agent_is_latest_version: n.IsLatestVersion ?? null,
    };
    // A node Patch Manager never scanned, or no association targets, has no summary: null, not absent.
    if (patch) {
      const p = patch.get(id);
      attributes.patch_compliance = p?.Status ?? null;
      attributes.patch_non_compliant_count = p ? (p.NonCompliantSummary?.NonCompliantCount ?? 0) : null;
    }
    if (association) attributes.association_compliance = association.get(id)?.Status ?? null;
    return ctx.accountResource({
      id: `arn:aws:ssm:${region}:${ctx.accountId}:managed-instance/${id}`,
      region,
      type: 'aws.ssm.managed_instance',
      name: id,
      api: 'ssm',
      now: ctx.now(),
      attributes,
    });
  });
}

export async function scanSsmDocuments(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ssm(ctx, region);
  const documents = await pages<
    { DocumentIdentifiers?: DocumentIdentifier[]; NextToken?: string },
    DocumentIdentifier
  >(
    ctx,
    'ssm:ListDocuments',
    (NextToken, abortSignal) =>
      client.send(
        new ListDocumentsCommand({
          Filters: [{ Key: 'Owner', Values: ['Self'] }],
          NextToken,
          MaxResults: ctx.pageSize(50),
        }),
        { abortSignal },
      ),
    (o) => o.DocumentIdentifiers,
    (o) => o.NextToken,
  );
  return mapWithConcurrency(documents ?? [], DOCUMENT_CONCURRENCY, async (d) => {
    const name = d.Name ?? '';
    const arn = `arn:aws:ssm:${region}:${ctx.accountId}:document/${name}`;
    const attributes: Record<string, unknown> = {
      document_name: name,
      document_type: d.DocumentType ?? null,
      document_format: d.DocumentFormat ?? null,
      created_date: d.CreatedDate?.toISOString() ?? null,
    };
    const shared = await sharedWith(ctx, client, name, arn);
    if (shared) {
      attributes.shared_with_accounts = shared.filter((a) => a !== 'all').sort();
      attributes.public = shared.includes('all');
    }
    if (d.DocumentType === 'Session')
      Object.assign(attributes, await sessionSettings(ctx, client, name, arn));
    return ctx.accountResource({
      id: arn,
      region,
      type: 'aws.ssm.document',
      name,
      api: 'ssm',
      now: ctx.now(),
      attributes,
    });
  });
}

/** The account ids a document is shared with ('all': public); null when the call failed (recorded). */
async function sharedWith(
  ctx: AwsScanContext,
  client: SSMClient,
  name: string,
  arn: string,
): Promise<string[] | null> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const got = await ctx.call('ssm:DescribeDocumentPermission', (abortSignal) =>
      client.send(new DescribeDocumentPermissionCommand({ Name: name, PermissionType: 'Share', NextToken }), {
        abortSignal,
      }),
    );
    if (!got.ok) {
      ctx.recordFailure('ssm:DescribeDocumentPermission', 'ssm:DescribeDocumentPermission', arn, got);
      return null;
    }
    ids.push(...(got.value.AccountIds ?? []));
    NextToken = got.value.NextToken || undefined;
  } while (NextToken);
  return ids;
}

/** Session Manager preferences from a Session document's content; empty (recorded) when unreadable. */
async function sessionSettings(
  ctx: AwsScanContext,
  client: SSMClient,
  name: string,
  arn: string,
): Promise<Record<string, unknown>> {
  const got = await ctx.call('ssm:GetDocument', (abortSignal) =>
    client.send(new GetDocumentCommand({ Name: name, DocumentFormat: 'JSON' }), { abortSignal }),
  );
  if (!got.ok) {
    ctx.recordFailure('ssm:GetDocument', 'ssm:GetDocument', arn, got);
    return {};
  }
  let inputs: Record<string, unknown>;
  try {
    const content = JSON.parse(got.value.Content ?? '{}') as { inputs?: Record<string, unknown> };
    inputs = content.inputs && typeof content.inputs === 'object' ? content.inputs : {};
  } catch {
    ctx.recordProblem(
      'ssm:GetDocument',
      arn,
      'InvalidDocumentContent',
      'the Session document is not valid JSON',
    );
    return {};
  }
  const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  // Minutes, written as a string in the document ("20"); AWS's default when unset is 20.
  const minutes = (v: unknown, fallback: number | null): number | null => {
    const n = typeof v === 'string' || typeof v === 'number' ? Number(v) : NaN;
    return v === undefined || v === '' ? fallback : Number.isInteger(n) ? n : null;
  };
  return {
    session_log_s3_bucket: text(inputs.s3BucketName),
    session_log_group: text(inputs.cloudWatchLogGroupName),
    session_kms_key_id: text(inputs.kmsKeyId),
    session_idle_timeout_minutes: minutes(inputs.idleSessionTimeout, 20),
    session_max_duration_minutes: minutes(inputs.maxSessionDuration, null),
  };
}
