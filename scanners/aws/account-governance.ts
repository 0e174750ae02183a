/**
 * Account-wide governance, read once per account (both APIs are global and signed for us-east-1):
 * - aws.organizations.account: the account's organization (DescribeOrganization; AWSOrganizationsNotInUseException
 *   is the standalone state, not a failure) and, with all features on, the service control policies. In an
 *   organization scan a member receives the policies in force on it, read through the management account
 *   (organization-policies.ts); otherwise the account lists the organization's policies itself, which only the
 *   management account or a delegated administrator may: a member scanned alone gets that refusal recorded,
 *   saying why, and the policies left absent.
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
import { DescribeOrganizationCommand } from '@aws-sdk/client-organizations';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import {
  organizationScps,
  organizationsClient,
  type MemberScpsRead,
  type ScpSummary,
} from './organization-policies.ts';

const GLOBAL_REGION = 'us-east-1';

export async function scanOrganizationMembership(
  ctx: AwsScanContext,
  // The member's SCPs as an organization scan read them (AwsAccountTarget.memberScps).
  target: { memberScps?: MemberScpsRead },
): Promise<Resource[]> {
  const client = organizationsClient(ctx);
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
    const managementAccountId = org.MasterAccountId ?? null;
    Object.assign(attributes, {
      in_organization: true,
      organization_id: org.Id ?? null,
      management_account_id: managementAccountId,
      is_management_account: managementAccountId === ctx.accountId,
      all_features_enabled: allFeatures,
    });
    // Service control policies exist only with all features on; without them none can restrict the account.
    if (!allFeatures) Object.assign(attributes, policyAttributes([]));
    else if (target.memberScps !== undefined) {
      if (target.memberScps)
        Object.assign(attributes, policyAttributes(target.memberScps.policies), {
          scp_scope: 'account',
          organization_path: target.memberScps.path,
        });
    } else {
      const policies = await organizationScps(ctx, { id: org.Id ?? '', managementAccountId });
      if (policies) Object.assign(attributes, policyAttributes(policies), { scp_scope: 'organization' });
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

/**
 * The policies and what they amount to: whether one of the organization's own is attached (anywhere in the
 * organization's view, on the account or above it in a member's), and whether one of those limits regions
 * (unknown when none is known to and one could not be read).
 */
function policyAttributes(policies: ScpSummary[]): Record<string, unknown> {
  const attached = policies.filter((p) => !p.aws_managed && p.targets.length > 0);
  const restricting = attached.some((p) => Array.isArray(p.region_allowlist));
  return {
    service_control_policies: policies,
    restrictive_scps_attached: attached.length > 0,
    ...(restricting || attached.every((p) => p.region_allowlist !== undefined)
      ? { regions_restricted: restricting }
      : {}),
  };
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
