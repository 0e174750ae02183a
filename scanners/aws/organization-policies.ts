/**
 * Service control policies (SCPs), which only an organization's management account or a delegated
 * administrator may read, read two ways:
 * - organization-wide, by the account being scanned when it may (`organizationScps`): ListPolicies
 *   (SERVICE_CONTROL_POLICY), ListTargetsForPolicy for each, DescribePolicy for the organization's own;
 * - in force on each member of an organization scan, through the management account (`memberScps`): SCPs
 *   apply by inheritance, so a member is governed by what is attached to it, to every OU above it and to
 *   the root. ListParents climbs from the account to the root, ListPoliciesForTarget (SERVICE_CONTROL_POLICY)
 *   reads each level, DescribePolicy reads each policy of the organization's own. An OU, the root and a
 *   policy are read once per scan however many members they govern, so a member costs two calls (its
 *   parent and its own attachments) and every OU two more, once.
 */
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListPoliciesForTargetCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  type PolicySummary,
  type PolicyTargetSummary,
} from '@aws-sdk/client-organizations';
import { ACCESS_DENIED_CODES, type AwsScanContext } from './aws-context.ts';
import { safeErrorMessage } from './aws-errors.ts';
import { pages } from './regional.ts';

/** The AWS-managed SCP attached everywhere by default; it allows everything, so it restricts nothing. */
const FULL_AWS_ACCESS = 'p-FullAWSAccess';
/** Organizations nests OUs at most five deep; a longer climb means a malformed answer. */
const MAX_TREE_DEPTH = 8;

export interface ScpSummary {
  id: string;
  name: string;
  aws_managed: boolean;
  targets: { type: string; id: string }[];
  /** The regions outside which the policy denies requests; null when it sets no such limit; absent when unread. */
  region_allowlist?: string[] | null;
}

/** The SCPs in force on a member account, read through the management account. */
export interface MemberScps {
  /** The root, then each OU down to the account's own parent. */
  path: string[];
  /** Each policy in force with where it is attached among the account, the OUs above it and the root. */
  policies: ScpSummary[];
}

/**
 * What an organization scan hands a member's scan: the SCPs in force on it, or null when the management
 * account could not read them (that scan error names the call and the permission).
 */
export type MemberScpsRead = MemberScps | null;

/** Organizations is a global service signed for us-east-1, whatever the home region. */
export function organizationsClient(ctx: AwsScanContext): OrganizationsClient {
  return ctx.client('organizations', 'us-east-1', (settings) => new OrganizationsClient(settings));
}

/**
 * Every SCP of the organization with what it is attached to, read by the scanned account itself; null when
 * the listing was refused. A member account may not list them: its refusal is recorded saying why and
 * what to scan instead.
 */
export async function organizationScps(
  ctx: AwsScanContext,
  organization: { id: string; managementAccountId: string | null },
): Promise<ScpSummary[] | null> {
  const client = organizationsClient(ctx);
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
    (failure) => recordListingRefusal(ctx, organization, failure),
  );
  if (!policies) return null;
  const describe = policyReader(ctx, client);
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
    const summary = summaryOf(p);
    summary.targets = targets.map((t) => ({ type: t.Type ?? '', id: t.TargetId ?? '' }));
    await describe(summary);
    summaries.push(summary);
  }
  return summaries;
}

/**
 * A refused ListPolicies. From a member account it is expected: the message says the account is a member,
 * who may read the policies, and that an organization scan from there reads the ones in force on it.
 */
function recordListingRefusal(
  ctx: AwsScanContext,
  organization: { id: string; managementAccountId: string | null },
  failure: { error: unknown; code: string },
): void {
  const member = organization.managementAccountId !== ctx.accountId;
  if (!member || !ACCESS_DENIED_CODES.has(failure.code)) {
    ctx.recordFailure('organizations:ListPolicies', 'organizations:ListPolicies', null, failure);
    return;
  }
  const management = organization.managementAccountId ?? 'its management account';
  ctx.recordError({
    operation: 'organizations:ListPolicies',
    resource_id: `arn:aws:organizations::${ctx.accountId}:membership`,
    code: failure.code,
    message:
      `account ${ctx.accountId} is a member of organization ${organization.id}, and only the management account ` +
      `(${management}) or a delegated administrator may read its service control policies, so the policies in ` +
      `force on this account are unknown: scan the organization from ${management} to read them for every member ` +
      `(AWS answered ${safeErrorMessage(failure.error, ctx.redactedSecrets)})`,
    missing_permission: 'organizations:ListPolicies',
  });
}

/**
 * The SCPs in force on each of `accountIds`, read with the organization scan's (management) credentials.
 * Accounts SCPs do not govern are left out: the management account (which reads the whole organization
 * itself), and every account when the organization runs consolidated billing only (no SCP can exist; each
 * member reads that state itself). After a refusal the remaining members get null without further calls.
 */
export async function memberScps(
  ctx: AwsScanContext,
  accountIds: readonly string[],
): Promise<Map<string, MemberScpsRead>> {
  const client = organizationsClient(ctx);
  const described = await ctx.call('organizations:DescribeOrganization', (abortSignal) =>
    client.send(new DescribeOrganizationCommand({}), { abortSignal }),
  );
  const read = new Map<string, MemberScpsRead>();
  if (!described.ok) {
    ctx.recordFailure(
      'organizations:DescribeOrganization',
      'organizations:DescribeOrganization',
      null,
      described,
    );
    for (const id of accountIds) read.set(id, null);
    return read;
  }
  const organization = described.value.Organization ?? {};
  if (organization.FeatureSet !== 'ALL') return read;
  const tree = new OrganizationTree(ctx, client);
  for (const id of accountIds) {
    if (id === organization.MasterAccountId) continue;
    read.set(id, await tree.scpsInForce(id));
  }
  return read;
}

/** A tree node: the root, an OU or an account. */
interface Node {
  type: 'ROOT' | 'ORGANIZATIONAL_UNIT' | 'ACCOUNT';
  id: string;
}

/** The organization's tree and attachments as far as the members need them, each node read once. */
class OrganizationTree {
  private readonly parents = new Map<string, Node | null>();
  private readonly attached = new Map<string, PolicySummary[] | null>();
  private readonly ctx: AwsScanContext;
  private readonly client: OrganizationsClient;
  private readonly describe: (summary: ScpSummary) => Promise<void>;
  /** Set after a refusal: the same permission would be refused for every other member too. */
  private refused = false;

  constructor(ctx: AwsScanContext, client: OrganizationsClient) {
    this.ctx = ctx;
    this.client = client;
    this.describe = policyReader(ctx, client);
  }

  /** The policies attached to the account, its OUs and the root, merged by policy; null when unreadable. */
  async scpsInForce(accountId: string): Promise<MemberScps | null> {
    const chain = await this.ancestry(accountId);
    if (!chain) return null;
    const byId = new Map<string, ScpSummary>();
    for (const node of chain) {
      const policies = await this.policiesOn(node);
      if (!policies) return null;
      for (const p of policies) {
        const summary = byId.get(p.Id ?? '') ?? summaryOf(p);
        byId.set(summary.id, summary);
        summary.targets.push({ type: node.type, id: node.id });
      }
    }
    for (const summary of byId.values()) await this.describe(summary);
    return { path: chain.slice(0, -1).map((n) => n.id), policies: [...byId.values()] };
  }

  /** The root, each OU down, then the account itself; null when a level could not be read. */
  private async ancestry(accountId: string): Promise<Node[] | null> {
    const chain: Node[] = [{ type: 'ACCOUNT', id: accountId }];
    for (let depth = 0; depth < MAX_TREE_DEPTH; depth += 1) {
      const parent = await this.parentOf(chain[0]!.id, accountId);
      if (!parent) return null;
      chain.unshift(parent);
      if (parent.type === 'ROOT') return chain;
    }
    this.ctx.recordProblem(
      'organizations:ListParents',
      accountId,
      'UnexpectedAnswer',
      `account ${accountId} is more than ${MAX_TREE_DEPTH} levels below a root`,
    );
    return null;
  }

  /** ListParents for one child (an account's is asked once anyway; an OU's is kept for its siblings). */
  private async parentOf(childId: string, accountId: string): Promise<Node | null> {
    if (this.parents.has(childId)) return this.parents.get(childId)!;
    if (this.refused) return null;
    const listed = await pages<{ Parents?: { Id?: string; Type?: string }[]; NextToken?: string }, Node>(
      this.ctx,
      'organizations:ListParents',
      (NextToken, abortSignal) =>
        this.client.send(new ListParentsCommand({ ChildId: childId, NextToken }), { abortSignal }),
      (o) =>
        (o.Parents ?? []).map((p) => ({
          type: p.Type === 'ROOT' ? 'ROOT' : 'ORGANIZATIONAL_UNIT',
          id: p.Id ?? '',
        })),
      (o) => o.NextToken,
      (failure) => this.recordFailure('organizations:ListParents', childId, accountId, failure),
    );
    // A child has exactly one parent.
    const parent = listed?.[0]?.id ? listed[0] : null;
    this.parents.set(childId, parent);
    return parent;
  }

  /** ListPoliciesForTarget (SCPs) on one node, kept for every member below it. */
  private async policiesOn(node: Node): Promise<PolicySummary[] | null> {
    if (this.attached.has(node.id)) return this.attached.get(node.id)!;
    if (this.refused) return null;
    const policies = await pages<{ Policies?: PolicySummary[]; NextToken?: string }, PolicySummary>(
      this.ctx,
      'organizations:ListPoliciesForTarget',
      (NextToken, abortSignal) =>
        this.client.send(
          new ListPoliciesForTargetCommand({
            TargetId: node.id,
            Filter: 'SERVICE_CONTROL_POLICY',
            NextToken,
            MaxResults: this.ctx.pageSize(20),
          }),
          { abortSignal },
        ),
      (o) => o.Policies,
      (o) => o.NextToken,
      (failure) => this.recordFailure('organizations:ListPoliciesForTarget', node.id, null, failure),
    );
    this.attached.set(node.id, policies);
    return policies;
  }

  private recordFailure(
    operation: string,
    nodeId: string,
    accountId: string | null,
    failure: { error: unknown; code: string },
  ): void {
    if (ACCESS_DENIED_CODES.has(failure.code)) this.refused = true;
    const subject = accountId && accountId !== nodeId ? `${nodeId} (above account ${accountId})` : nodeId;
    this.ctx.recordError({
      operation,
      resource_id: nodeId,
      code: failure.code,
      message:
        `the service control policies in force on members of the organization could not be read at ${subject}, ` +
        `so those members' policies are unknown: ${safeErrorMessage(failure.error, this.ctx.redactedSecrets)}`,
      missing_permission: ACCESS_DENIED_CODES.has(failure.code) ? operation : null,
    });
  }
}

/** A policy summary as the scanner keeps it, with no targets yet. */
function summaryOf(p: PolicySummary): ScpSummary {
  const id = p.Id ?? '';
  return { id, name: p.Name ?? '', aws_managed: p.AwsManaged ?? id === FULL_AWS_ACCESS, targets: [] };
}

/**
 * Sets a summary's region_allowlist: null for AWS-managed SCPs (they allow everything), else read from the
 * policy's content with DescribePolicy, each policy once per reader; left absent when that is refused.
 */
function policyReader(
  ctx: AwsScanContext,
  client: OrganizationsClient,
): (summary: ScpSummary) => Promise<void> {
  const limits = new Map<string, string[] | null | undefined>();
  return async (summary) => {
    if (summary.aws_managed) {
      summary.region_allowlist = null;
      return;
    }
    if (!limits.has(summary.id)) {
      const PolicyId = summary.id;
      const described = await ctx.call('organizations:DescribePolicy', (abortSignal) =>
        client.send(new DescribePolicyCommand({ PolicyId }), { abortSignal }),
      );
      if (described.ok) limits.set(PolicyId, regionAllowlist(described.value.Policy?.Content));
      else {
        limits.set(PolicyId, undefined);
        ctx.recordFailure(
          'organizations:DescribePolicy',
          'organizations:DescribePolicy',
          PolicyId,
          described,
        );
      }
    }
    const limit = limits.get(summary.id);
    if (limit !== undefined) summary.region_allowlist = limit;
  };
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
