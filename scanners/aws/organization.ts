/**
 * Scans every account of an AWS organization from its management account (or a delegated
 * administrator that may list accounts): organizations:ListAccounts, page by page, then each active
 * member through a role of the same name in every member, assumed with STS and the external id its
 * trust policy requires. A member that refuses the role (or fails otherwise) becomes a ScanError for
 * that account and the others go on; only a refused listing, or cancelling, ends the whole scan.
 *
 * With a Config aggregator named, the aggregator is read once with the management credentials and
 * each member receives its own share of the items, so no member queries Config for those regions.
 * Likewise the service control policies in force on each member, which a member may not read itself, are
 * read with the management credentials (organization-policies.ts) and handed to that member's scan.
 *
 * Split into parts (issue 18), one per active account, listed once when the scan is planned
 * (`listOrganizationParts`): a part scans its one account as the whole scan does, with the management
 * credentials reading that account's share of the aggregator (one query filtered to the account) and the
 * SCPs in force on it, so the parts together collect what the whole scan collects.
 */
import { ListAccountsCommand, type Account } from '@aws-sdk/client-organizations';
import type { Resource, ScanError } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { ScanFailedError, type ScanOutcome, type ScanProgress } from '../types.ts';
import {
  AWS_SERVICES,
  assumeRole,
  configTypesOf,
  scanAwsAccount,
  type AwsAccountScanOptions,
  type AwsAccountTarget,
} from './account.ts';
import { AwsScanContext } from './aws-context.ts';
import { safeErrorMessage } from './aws-errors.ts';
import { selectAggregator, type ConfigInventory } from './config.ts';
import { memberScps, organizationsClient, type MemberScpsRead } from './organization-policies.ts';

export interface AwsOrganizationOptions {
  /** The role every member account has for the scanner, e.g. `ComplyWiseAudit`. */
  memberRoleName: string;
  /** The external id the member roles' trust policies require. */
  externalId?: string;
}

export interface AwsOrganizationScanOptions extends AwsAccountScanOptions {
  /** Accounts scanned at the same time (each also runs its own regional tasks). */
  accountConcurrency?: number;
  /**
   * Scan only this account of the organization (a part, see listOrganizationParts), as the whole scan would
   * scan it; the accounts are not listed again.
   */
  member?: OrganizationMember;
}

/** An account of the organization as ListAccounts names it. */
export interface OrganizationMember {
  id: string;
  name?: string;
}

/** ListAccounts' largest page. */
const ACCOUNTS_PAGE = 20;
const DEFAULT_ACCOUNT_CONCURRENCY = 2;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/** Scans the management account (`target.accountId`) and every active member of its organization. */
export async function scanAwsOrganization(
  target: AwsAccountTarget,
  organization: AwsOrganizationOptions,
  options: AwsOrganizationScanOptions = {},
): Promise<ScanOutcome> {
  assertRoleName(organization);
  const members = new Map<string, ScanProgress>();
  // Progress of the organization calls plus every member scan, reported as one scan.
  const emit = (): void => {
    const all = [orgCtx.snapshot(), ...members.values()];
    options.onProgress?.({
      phase: orgCtx.progress.phase,
      resources_collected: all.reduce((n, p) => n + p.resources_collected, 0),
      calls_made: all.reduce((n, p) => n + p.calls_made, 0),
      errors: all.reduce((n, p) => n + p.errors, 0),
    });
  };
  const orgCtx: AwsScanContext = new AwsScanContext(
    target.accountId,
    { ...target.credentials },
    target.endpoint,
    { ...options, onProgress: emit },
  );
  try {
    if (target.roleArn) {
      orgCtx.setPhase('assuming_role');
      orgCtx.useCredentials(await assumeRole(orgCtx, target));
    }
    const { member: only } = options;
    const accounts: Account[] = only
      ? [{ Id: only.id, ...(only.name !== undefined ? { Name: only.name } : {}), Status: 'ACTIVE' }]
      : await listAccounts(orgCtx, target);
    const inventories = await readAggregator(orgCtx, target, only?.id);
    const scps = await readMemberScps(orgCtx, target, accounts);
    orgCtx.setPhase('scanning_accounts');
    const base = orgCtx.currentCredentials;
    const resources: Resource[] = [];
    const errors: ScanError[] = [];
    const outcomes = await mapWithConcurrency(
      accounts,
      options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY,
      async (account): Promise<Pick<ScanOutcome, 'resources' | 'errors'>> => {
        const id = account.Id ?? '';
        const management = id === target.accountId;
        const roleArn = `arn:aws:iam::${id}:role/${organization.memberRoleName}`;
        const member: AwsAccountTarget = {
          accountId: id,
          region: target.region,
          credentials: base,
          ...(target.regions ? { regions: target.regions } : {}),
          ...(target.services ? { services: target.services } : {}),
          ...(target.endpoint ? { endpoint: target.endpoint } : {}),
          ...(target.useConfig === false ? { useConfig: false } : {}),
          ...(inventories ? { configInventory: inventories.get(id) ?? new Map() } : {}),
          ...(scps.has(id) ? { memberScps: scps.get(id) ?? null } : {}),
          // The management account is scanned with the credentials that listed the organization.
          ...(management
            ? {}
            : {
                roleArn,
                ...(organization.externalId ? { externalId: organization.externalId } : {}),
              }),
        };
        try {
          const outcome = await scanAwsAccount(member, {
            ...options,
            onProgress: (p) => {
              members.set(id, p);
              emit();
            },
          });
          return outcome;
        } catch (error) {
          if (!(error instanceof ScanFailedError) || error.code === 'ABORTED') throw error;
          // This account cannot be scanned; the others can.
          const failure: ScanError = {
            provider: 'aws',
            operation: error.missingPermission ?? `scan:${error.code}`,
            resource_id: management ? `arn:aws:iam::${id}:root` : roleArn,
            code: error.code === 'PERMISSION_DENIED' ? 'AccessDenied' : error.code,
            message: `account ${id} (${account.Name ?? 'unnamed'}) was not scanned: ${error.message}`,
            missing_permission: error.missingPermission,
          };
          members.set(id, { ...(members.get(id) ?? emptyProgress()), errors: 1 });
          emit();
          return { resources: [], errors: [failure] };
        }
      },
    );
    for (const o of outcomes) {
      resources.push(...o.resources);
      errors.push(...o.errors);
    }
    orgCtx.setPhase('done');
    const snapshot = orgCtx.snapshot();
    const all = [snapshot, ...members.values()];
    return {
      resources,
      errors: [...orgCtx.errors, ...errors],
      progress: {
        phase: 'done',
        resources_collected: resources.length,
        calls_made: all.reduce((n, p) => n + p.calls_made, 0),
        errors: orgCtx.errors.length + errors.length,
      },
    };
  } finally {
    orgCtx.close();
  }
}

/**
 * The parts of an organization scan: one per active account (the management account's own scan included),
 * listed with the scan's credentials (after its role, when one is set) as the whole scan lists them.
 */
export async function listOrganizationParts(
  target: AwsAccountTarget,
  organization: AwsOrganizationOptions,
  options: AwsAccountScanOptions = {},
): Promise<string[]> {
  assertRoleName(organization);
  const ctx = new AwsScanContext(target.accountId, { ...target.credentials }, target.endpoint, options);
  try {
    if (target.roleArn) {
      ctx.setPhase('assuming_role');
      ctx.useCredentials(await assumeRole(ctx, target));
    }
    const accounts = await listAccounts(ctx, target);
    return accounts.map((a) => organizationPartKey({ id: a.Id ?? '', ...(a.Name ? { name: a.Name } : {}) }));
  } finally {
    ctx.close();
  }
}

/**
 * A member's part key, `account:<id>` with its name in parentheses: the name is kept so that a member
 * refusing its role is reported by name, as in the whole scan, without listing the accounts again.
 */
export function organizationPartKey(member: OrganizationMember): string {
  return member.name ? `account:${member.id} (${member.name})` : `account:${member.id}`;
}

const PART_KEY = /^account:(\d{12})(?: \((.*)\))?$/s;

/** The account a part key of organizationPartKey names; null for any other key. */
export function organizationPart(key: string): OrganizationMember | null {
  const match = PART_KEY.exec(key);
  if (!match) return null;
  return { id: match[1]!, ...(match[2] !== undefined ? { name: match[2] } : {}) };
}

function assertRoleName(organization: AwsOrganizationOptions): void {
  if (!ROLE_NAME.test(organization?.memberRoleName ?? '')) {
    throw new ScanFailedError(
      'INVALID_CONFIG',
      'invalid AWS organization scan: organization.memberRoleName must be an IAM role name',
    );
  }
}

function emptyProgress(): ScanProgress {
  return { phase: 'failed', resources_collected: 0, calls_made: 0, errors: 0 };
}

/** Every active account of the organization; a refusal ends the scan, naming what to grant. */
async function listAccounts(ctx: AwsScanContext, target: AwsAccountTarget): Promise<Account[]> {
  ctx.setPhase('listing_accounts');
  const client = organizationsClient(ctx);
  const accounts: Account[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ctx.call('organizations:ListAccounts', (abortSignal) =>
      client.send(new ListAccountsCommand({ NextToken, MaxResults: ctx.pageSize(ACCOUNTS_PAGE) }), {
        abortSignal,
      }),
    );
    if (!page.ok) {
      const detail = safeErrorMessage(page.error, ctx.redactedSecrets);
      if (page.code === 'AWSOrganizationsNotInUseException') {
        throw new ScanFailedError(
          'INVALID_CONFIG',
          `account ${target.accountId} is not in an organization: scan it as a single account, or connect the management account (AWS answered ${detail})`,
          { cause: page.error },
        );
      }
      if (page.code === 'AccessDeniedException' || page.code === 'AccessDenied') {
        throw new ScanFailedError(
          'PERMISSION_DENIED',
          `the credentials may not list the organization's accounts: allow organizations:ListAccounts (from the management account or a delegated administrator) (AWS answered ${detail})`,
          { cause: page.error, missingPermission: 'organizations:ListAccounts' },
        );
      }
      throw new ScanFailedError('PROVIDER_ERROR', `ListAccounts failed (${page.code}): ${detail}`, {
        cause: page.error,
      });
    }
    accounts.push(...(page.value.Accounts ?? []));
    NextToken = page.value.NextToken || undefined;
  } while (NextToken);
  // Suspended accounts cannot be signed into; they are left out, not reported as failures.
  return accounts.filter((a) => a.Status === 'ACTIVE' && a.Id);
}

/**
 * The aggregator's items for every member, read once (or, for the part of one account, `only`, the query
 * filtered to it); null when none is named or it cannot be read.
 */
async function readAggregator(
  ctx: AwsScanContext,
  target: AwsAccountTarget,
  only?: string,
): Promise<Map<string, ConfigInventory> | null> {
  if (!target.configAggregator || target.useConfig === false) return null;
  const types = configTypesOf(target.services ?? AWS_SERVICES);
  if (types.length === 0) return null;
  ctx.setPhase('reading_config');
  const read = await selectAggregator(
    ctx,
    target.region,
    target.configAggregator,
    types,
    target.regions ?? null,
    only,
  );
  // An account with no item at all is absent from the whole organization's read, so its scan reads each
  // region's own Config (the aggregator may not collect it); the filtered read is made to say the same.
  const filtered = only ? read?.get(only) : undefined;
  if (filtered && [...filtered.values()].every((types) => [...types.values()].every((i) => i.length === 0)))
    read!.delete(only!);
  return read;
}

/**
 * The SCPs in force on every member (not the scanning account, which reads the organization's itself), when
 * the scan includes Organizations; an empty map otherwise.
 */
async function readMemberScps(
  ctx: AwsScanContext,
  target: AwsAccountTarget,
  accounts: Account[],
): Promise<Map<string, MemberScpsRead>> {
  if (!(target.services ?? AWS_SERVICES).includes('organizations')) return new Map();
  ctx.setPhase('reading_service_control_policies');
  const members = accounts.map((a) => a.Id ?? '').filter((id) => id !== target.accountId);
  return memberScps(ctx, members);
}
