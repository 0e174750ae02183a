/**
 * Account-wide governance, read once per account (both APIs are global and signed for us-east-1):
 * - aws.organizations.account: the account's organization (DescribeOrganization; AWSOrganizationsNotInUseException
 *   is the standalone state, not a failure) and, with all features on, the service control policies
 *   (ListPolicies SERVICE_CONTROL_POLICY, ListTargetsForPolicy each, DescribePolicy for the organization's own
 *   to find a region limit), which only the management account or a
 *   delegated administrator may list: a member account gets that error recorded and the policies left absent.
 * - aws.account.contacts: the alternate contacts (GetAlternateContact; ResourceNotFoundException means the
 *   contact is not registered). A type of its own rather than an aws.iam.account attribute: the Account
 *   Management API is its own service, with its own permissions, and a scan may include one without the other.
 * Neither is taken from AWS Config: it records organizational units, not the membership, the SCPs' attachments
 * or alternate contacts.
 */
import {
  AccountClient,
  GetAlternateContactCommand,
  type AlternateContactType,
} from '@aws-sdk/client-account';
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  type PolicySummary,
  type PolicyTargetSummary,
} from '@aws-sdk/client-organizations';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

const GLOBAL_REGION = 'us-east-1';
/** The AWS-managed SCP attached everywhere by default; it allows everything, so it restricts nothing. */
const FULL_AWS_ACCESS = 'p-FullAWSAccess';

export async function scanOrganizationMembership(ctx: AwsScanContext): Promise<Resource[]> {
  const client = ctx.client('organizations', GLOBAL_REGION, (settings) => new OrganizationsClient(settings));
  const id = `arn:aws:organizations::${ctx.accountId}:membership`;
  const attributes: Record<string, unknown> = {};
  const described = await ctx.call('organizations:DescribeOrganization', (abortSignal) =>
    client.send(new DescribeOrganizationCommand({}), { abortSignal }),
  );
  if (!described.ok && described.code === 'AWSOrganizationsNotInUseException') {
    Object.assign(attributes, {
      in_organization: false,
      organization_id: null,
      management_account_id: null,
      is_management_account: false,
      all_features_enabled: false,
      service_control_policies: [],
      restrictive_scps_attached: false,
      regions_restricted: false,
    });
  } else if (!described.ok) {
    ctx.recordFailure(
      'organizations:DescribeOrganization',
      'organizations:DescribeOrganization',
      id,
      described,
    );
  } else {
    const org = described.value.Organization ?? {};
    const allFeatures = org.FeatureSet === 'ALL';
    Object.assign(attributes, {
      in_organization: true,
      organization_id: org.Id ?? null,
      management_account_id: org.MasterAccountId ?? null,
      is_management_account: org.MasterAccountId === ctx.accountId,
      all_features_enabled: allFeatures,
    });
    // Service control policies exist only with all features on; without them none can restrict the account.
    const policies = allFeatures ? await serviceControlPolicies(ctx, client) : [];
    if (policies) {
      attributes.service_control_policies = policies;
      const attached = policies.filter((p) => !p.aws_managed && p.targets.length > 0);
      attributes.restrictive_scps_attached = attached.length > 0;
      // Unknown when no attached policy is known to restrict regions and one could not be read.
      const restricting = attached.some((p) => Array.isArray(p.region_allowlist));
      if (restricting || attached.every((p) => p.region_allowlist !== undefined))
        attributes.regions_restricted = restricting;
    }
  }
  return [
    ctx.accountResource({
      id,
      region: 'global',
      type: 'aws.organizations.account',
      name: `Organization membership of ${ctx.accountId}`,
      api: 'organizations',
      now: ctx.now(),
      attributes,
    }),
  ];
}

interface ScpSummary {
  id: string;
  name: string;
  aws_managed: boolean;
  targets: { type: string; id: string }[];
  /** The regions outside which the policy denies requests; null when it sets no such limit; absent when unread. */
  region_allowlist?: string[] | null;
}

/** Every SCP of the organization with what it is attached to; null when the listing was refused. */
async function serviceControlPolicies(
  ctx: AwsScanContext,
  client: OrganizationsClient,
): Promise<ScpSummary[] | null> {
  const policies = await pages<{ Policies?: PolicySummary[]; NextToken?: string }, PolicySummary>(
    ctx,
    'organizations:ListPolicies',
    (NextToken, abortSignal) =>
      client.send(
        new ListPoliciesCommand({
          Filter: 'SERVICE_CONTROL_POLICY',
          NextToken,
          MaxResults: ctx.pageSize(20),
        }),
        { abortSignal },
      ),
    (o) => o.Policies,
    (o) => o.NextToken,
  );
  if (!policies) return null;
  const summaries: ScpSummary[] = [];
  for (const p of policies) {
    const PolicyId = p.Id ?? '';
    const targets = await pages<{ Targets?: PolicyTargetSummary[]; NextToken?: string }, PolicyTargetSummary>(
      ctx,
      'organizations:ListTargetsForPolicy',
      (NextToken, abortSignal) =>
        client.send(new ListTargetsForPolicyCommand({ PolicyId, NextToken, MaxResults: ctx.pageSize(20) }), {
          abortSignal,
        }),
      (o) => o.Targets,
      (o) => o.NextToken,
    );
    if (!targets) return null;
    const awsManaged = p.AwsManaged ?? PolicyId === FULL_AWS_ACCESS;
    const summary: ScpSummary = {
      id: PolicyId,
      name: p.Name ?? '',
      aws_managed: awsManaged,
      targets: targets.map((t) => ({ type: t.Type ?? '', id: t.TargetId ?? '' })),
    };
    // AWS-managed SCPs allow everything; only the organization's own are read for a region limit.
    if (awsManaged) summary.region_allowlist = null;
    else {
      const described = await ctx.call('organizations:DescribePolicy', (abortSignal) =>
        client.send(new DescribePolicyCommand({ PolicyId }), { abortSignal }),
      );
      if (described.ok) summary.region_allowlist = regionAllowlist(described.value.Policy?.Content);
      else
        ctx.recordFailure(
          'organizations:DescribePolicy',
          'organizations:DescribePolicy',
          PolicyId,
          described,
        );
    }
    summaries.push(summary);
  }
  return summaries;
}

/** Condition operators that deny a request whose aws:RequestedRegion is not among the listed values. */
const NOT_IN_LIST = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike']);

/**
 * The regions an SCP confines requests to: the values of a Deny statement's StringNotEquals (or NotLike)
 * condition on aws:RequestedRegion, as the usual region guardrail writes it; null when the policy has none
 * (or its content is not JSON).
 */
function regionAllowlist(content: string | undefined): string[] | null {
  let document: { Statement?: unknown };
  try {
    document = JSON.parse(content ?? '') as { Statement?: unknown };
  } catch {
    return null;
  }
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  const regions = new Set<string>();
  for (const statement of statements as { Effect?: string; Condition?: Record<string, unknown> }[]) {
    if (statement?.Effect !== 'Deny' || !statement.Condition) continue;
    for (const [operator, keys] of Object.entries(statement.Condition)) {
      if (!NOT_IN_LIST.has(operator) || typeof keys !== 'object' || keys === null) continue;
      for (const [key, values] of Object.entries(keys as Record<string, unknown>)) {
        if (key.toLowerCase() !== 'aws:requestedregion') continue;
        for (const v of Array.isArray(values) ? values : [values]) if (typeof v === 'string') regions.add(v);
      }
    }
  }
  return regions.size > 0 ? [...regions].sort() : null;
}

const CONTACT_TYPES: [AlternateContactType, string][] = [
  ['SECURITY', 'security_contact_registered'],
  ['OPERATIONS', 'operations_contact_registered'],
  ['BILLING', 'billing_contact_registered'],
];

export async function scanAlternateContacts(ctx: AwsScanContext): Promise<Resource[]> {
  const client = ctx.client('account', GLOBAL_REGION, (settings) => new AccountClient(settings));
  const id = `arn:aws:account::${ctx.accountId}:account/contacts`;
  const attributes: Record<string, unknown> = {};
  for (const [AlternateContactType, key] of CONTACT_TYPES) {
    const got = await ctx.call('account:GetAlternateContact', (abortSignal) =>
      client.send(new GetAlternateContactCommand({ AlternateContactType }), { abortSignal }),
    );
    // Only whether a contact is registered is kept: names, addresses and phone numbers stay out of the inventory.
    if (got.ok) attributes[key] = Boolean(got.value.AlternateContact?.EmailAddress);
    else if (got.code === 'ResourceNotFoundException') attributes[key] = false;
    else ctx.recordFailure('account:GetAlternateContact', 'account:GetAlternateContact', id, got);
  }
  return [
    ctx.accountResource({
      id,
      region: 'global',
      type: 'aws.account.contacts',
      name: `Alternate contacts of ${ctx.accountId}`,
      api: 'account',
      now: ctx.now(),
      attributes,
    }),
  ];
}
