/**
 * IAM: the account (password policy, root user) and every user and role, as `aws.iam.account`,
 * `aws.iam.user` and `aws.iam.role` resources (region `global`). Users and roles are listed page by
 * page; their policies, groups and last use come from GetAccountAuthorizationDetails (a few pages for
 * the whole account instead of three calls per principal), console use from the credential report.
 * A fresh report (minutes old) also gives each user's access keys (by slot, without ids) and whether MFA
 * is active, and the account-wide virtual MFA listing names the virtual devices, so per-user calls are left
 * only for users with MFA active and no virtual device; with an older report every user is asked.
 */
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountAuthorizationDetailsCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  ListRolesCommand,
  ListUsersCommand,
  ListVirtualMFADevicesCommand,
  type PasswordPolicy,
  type Role,
  type RoleDetail,
  type User,
  type UserDetail,
  type VirtualMFADevice,
} from '@aws-sdk/client-iam';
import type { AwsIamAccountAttributes, AwsIamUserAttributes, Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { sleep } from '../rate-limit.ts';
import { ageDays, iso, type AwsScanContext, type CallResult } from './aws-context.ts';

const IAM_REGION = 'us-east-1';
/** The largest page IAM listings allow. */
const PAGE_SIZE = 1000;
/** Principals read at the same time (each needs two or three calls). */
const PRINCIPAL_CONCURRENCY = 4;
/** GenerateCredentialReport is asynchronous: poll this many times, this far apart, before giving up. */
const REPORT_POLLS = 10;
const REPORT_POLL_MS = 2_000;

function iam(ctx: AwsScanContext): IAMClient {
  return ctx.client('iam', IAM_REGION, (settings) => new IAMClient(settings));
}

/** Scans the IAM account, users and roles. */
export async function scanIam(ctx: AwsScanContext): Promise<Resource[]> {
  const [report, details] = [await readCredentialReport(ctx), await readAuthorizationDetails(ctx)];
  const virtual = await listVirtualMfaDevices(ctx);
  const account = await scanIamAccount(ctx, report, virtual);
  const users = await scanIamUsers(ctx, report, details, virtual);
  const roles = await scanIamRoles(ctx, details);
  return [account, ...users, ...roles];
}

/** One credential report row, keyed by its CSV header. */
type ReportRow = Record<string, string>;
/**
 * A report generated this long before the scan (or after it started) still describes the account as the
 * per-user calls would: IAM regenerates the report only when it is over four hours old, so an older one
 * may miss an MFA device or access key added since, and then every user is asked directly.
 */
const FRESH_REPORT_MS = 15 * 60_000;

/** The credential report's rows by user name, and whether it is fresh enough to stand in for per-user calls. */
interface CredentialReport {
  rows: Map<string, ReportRow>;
  fresh: boolean;
}

/** Generates (if needed) and reads the credential report; null when it could not be read. */
async function readCredentialReport(ctx: AwsScanContext): Promise<CredentialReport | null> {
  const client = iam(ctx);
  for (let poll = 0; poll < REPORT_POLLS; poll += 1) {
    const generated = await ctx.call('iam:GenerateCredentialReport', (abortSignal) =>
      client.send(new GenerateCredentialReportCommand({}), { abortSignal }),
    );
    if (!generated.ok) {
      ctx.recordFailure('iam:GenerateCredentialReport', 'iam:GenerateCredentialReport', null, generated);
      return null;
    }
    if (generated.value.State === 'COMPLETE') break;
    await sleep(REPORT_POLL_MS, ctx.options.signal);
  }
  const got = await ctx.call('iam:GetCredentialReport', (abortSignal) =>
    client.send(new GetCredentialReportCommand({}), { abortSignal }),
  );
  if (!got.ok) {
    ctx.recordFailure('iam:GetCredentialReport', 'iam:GetCredentialReport', null, got);
    return null;
  }
  const content = got.value.Content;
  const text = content ? Buffer.from(content).toString('utf8') : '';
  const generated = got.value.GeneratedTime?.getTime();
  const fresh = generated !== undefined && ctx.now().getTime() - generated <= FRESH_REPORT_MS;
  return { rows: parseCredentialReport(text), fresh };
}

/** A key's last use as GetAccessKeyLastUsed gives it. */
interface KeyLastUse {
  date: string | null;
  service: string | null;
}

/** One entry of a user's `access_keys` attribute (schemas/resources/aws.iam.user.schema.json). */
type AccessKeyAttributes = NonNullable<AwsIamUserAttributes['access_keys']>[number];

function accessKey(
  id: string | null,
  active: boolean,
  created: string,
  use: KeyLastUse,
  now: Date,
): AccessKeyAttributes {
  return {
    access_key_id: id,
    status: active ? 'Active' : 'Inactive',
    create_date: created,
    age_days: ageDays(created, now) ?? 0,
    last_used_date: use.date,
    last_used_age_days: ageDays(use.date, now),
    last_used_service: use.service,
  };
}

/**
 * What a fresh report settles without per-user calls, as the CIS AWS checks read it: whether MFA is
 * active, and the user's access keys from its two key slots (a slot is in use when it has a rotation
 * time, which is the key's creation time; IAM allows two keys per user). The report names a key by its
 * slot, not its id, so `access_key_id` is null for these. Null when there is no fresh row for the user.
 */
function settledByReport(
  report: CredentialReport | null,
  user: string,
  now: Date,
): { mfaActive: boolean; keys: AccessKeyAttributes[] } | null {
  const row = report?.fresh ? report.rows.get(user) : undefined;
  if (!row) return null;
  const keys: AccessKeyAttributes[] = [];
  for (const n of [1, 2]) {
    const created = reportDate(row[`access_key_${n}_last_rotated`]);
    if (!created) continue;
    const date = reportDate(row[`access_key_${n}_last_used_date`]);
    const service = row[`access_key_${n}_last_used_service`];
    const use = { date, service: date && service && service !== 'N/A' ? service : null };
    keys.push(accessKey(null, row[`access_key_${n}_active`] === 'true', created, use, now));
  }
  return { mfaActive: row.mfa_active === 'true', keys };
}

/** GetAccessKeyLastUsed; null (the failure recorded) when it failed. */
async function askLastUse(ctx: AwsScanContext, AccessKeyId: string, arn: string): Promise<KeyLastUse | null> {
  const used = await ctx.call('iam:GetAccessKeyLastUsed', (abortSignal) =>
    iam(ctx).send(new GetAccessKeyLastUsedCommand({ AccessKeyId }), { abortSignal }),
  );
  if (!used.ok) {
    ctx.recordFailure('iam:GetAccessKeyLastUsed', 'iam:GetAccessKeyLastUsed', arn, used);
    return null;
  }
  const last = used.value.AccessKeyLastUsed;
  const date = iso(last?.LastUsedDate);
  return { date, service: date && last?.ServiceName && last.ServiceName !== 'N/A' ? last.ServiceName : null };
}

/** Parses the report CSV (no field of it contains a comma or quote) into rows keyed by user name. */
export function parseCredentialReport(csv: string): Map<string, ReportRow> {
  const [headerLine, ...lines] = csv.trim().split(/\r?\n/);
  const header = (headerLine ?? '').split(',');
  const rows = new Map<string, ReportRow>();
  for (const line of lines) {
    const cells = line.split(',');
    const row: ReportRow = {};
    header.forEach((name, i) => (row[name] = cells[i] ?? ''));
    if (row.user) rows.set(row.user, row);
  }
  return rows;
}

/** A report date cell: an ISO date, or null for `N/A`, `no_information`, `not_supported`. */
function reportDate(cell: string | undefined): string | null {
  return cell && /^\d{4}-\d{2}-\d{2}T/.test(cell) ? iso(cell) : null;
}

interface AuthorizationDetails {
  users: Map<string, UserDetail>;
  roles: Map<string, RoleDetail>;
}

/** Every user's and role's policies, groups and last use; null when the call was refused. */
async function readAuthorizationDetails(ctx: AwsScanContext): Promise<AuthorizationDetails | null> {
  const client = iam(ctx);
  const details: AuthorizationDetails = { users: new Map(), roles: new Map() };
  let marker: string | undefined;
  do {
    const page = await ctx.call('iam:GetAccountAuthorizationDetails', (abortSignal) =>
      client.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: ['User', 'Role'],
          MaxItems: ctx.pageSize(PAGE_SIZE),
          Marker: marker,
        }),
        { abortSignal },
      ),
    );
    if (!page.ok) {
      ctx.recordFailure(
        'iam:GetAccountAuthorizationDetails',
        'iam:GetAccountAuthorizationDetails',
        null,
        page,
      );
      return null;
    }
    for (const user of page.value.UserDetailList ?? [])
      if (user.UserName) details.users.set(user.UserName, user);
    for (const role of page.value.RoleDetailList ?? [])
      if (role.RoleName) details.roles.set(role.RoleName, role);
    marker = page.value.IsTruncated ? page.value.Marker : undefined;
  } while (marker);
  return details;
}

/** Lists every page of a Marker/IsTruncated IAM listing; null (error recorded) when a page fails. */
async function listAll<Item, Output extends { IsTruncated?: boolean; Marker?: string }>(
  ctx: AwsScanContext,
  operation: string,
  resourceId: string | null,
  send: (marker: string | undefined, abortSignal: AbortSignal | undefined) => Promise<Output>,
  items: (output: Output) => Item[] | undefined,
): Promise<Item[] | null> {
  const all: Item[] = [];
  let marker: string | undefined;
  do {
    const page: CallResult<Output> = await ctx.call(operation, (abortSignal) => send(marker, abortSignal));
    if (!page.ok) {
      ctx.recordFailure(operation, operation, resourceId, page);
      return null;
    }
    all.push(...(items(page.value) ?? []));
    marker = page.value.IsTruncated ? page.value.Marker : undefined;
  } while (marker);
  return all;
}

/** Every assigned virtual MFA device of the account (one listing for all users); null when refused. */
async function listVirtualMfaDevices(ctx: AwsScanContext): Promise<VirtualMFADevice[] | null> {
  const client = iam(ctx);
  return listAll<
    VirtualMFADevice,
    { IsTruncated?: boolean; Marker?: string; VirtualMFADevices?: VirtualMFADevice[] }
  >(
    ctx,
    'iam:ListVirtualMFADevices',
    null,
    (Marker, abortSignal) =>
      client.send(
        new ListVirtualMFADevicesCommand({
          AssignmentStatus: 'Assigned',
          Marker,
          MaxItems: ctx.pageSize(PAGE_SIZE),
        }),
        {
          abortSignal,
        },
      ),
    (o) => o.VirtualMFADevices,
  );
}

async function scanIamAccount(
  ctx: AwsScanContext,
  report: CredentialReport | null,
  virtual: VirtualMFADevice[] | null,
): Promise<Resource> {
  const client = iam(ctx);
  const attributes: Partial<AwsIamAccountAttributes> = {};
  const policy = await ctx.call('iam:GetAccountPasswordPolicy', (abortSignal) =>
    client.send(new GetAccountPasswordPolicyCommand({}), { abortSignal }),
  );
  if (policy.ok) attributes.password_policy = passwordPolicyFrom(policy.value.PasswordPolicy);
  else if (policy.code === 'NoSuchEntity' || policy.code === 'NoSuchEntityException')
    attributes.password_policy = null;
  else ctx.recordFailure('iam:GetAccountPasswordPolicy', 'iam:GetAccountPasswordPolicy', null, policy);

  const summary = await ctx.call('iam:GetAccountSummary', (abortSignal) =>
    client.send(new GetAccountSummaryCommand({}), { abortSignal }),
  );
  if (summary.ok) {
    const map = summary.value.SummaryMap ?? {};
    attributes.root_mfa_enabled = (map.AccountMFAEnabled ?? 0) > 0;
    attributes.root_access_keys_present = (map.AccountAccessKeysPresent ?? 0) > 0;
    attributes.users_count = map.Users ?? 0;
  } else ctx.recordFailure('iam:GetAccountSummary', 'iam:GetAccountSummary', null, summary);

  if (virtual && attributes.root_mfa_enabled !== undefined) {
    const rootHasVirtual = virtual.some((d) => d.User?.Arn?.endsWith(':root'));
    attributes.root_hardware_mfa_enabled = attributes.root_mfa_enabled && !rootHasVirtual;
  }

  const root = report?.rows.get('<root_account>');
  if (root) {
    attributes.root_password_last_used = reportDate(root.password_last_used);
  }
  const now = ctx.now();
  if (attributes.root_password_last_used !== undefined) {
    attributes.root_password_last_used_age_days = ageDays(attributes.root_password_last_used, now);
  }
  return ctx.accountResource({
    id: `arn:aws:iam::${ctx.accountId}:root`,
    region: 'global',
    type: 'aws.iam.account',
    name: ctx.accountId,
    api: 'iam',
    now,
    attributes,
  });
}

export function passwordPolicyFrom(
  p: PasswordPolicy | undefined,
): AwsIamAccountAttributes['password_policy'] {
  return {
    minimum_password_length: p?.MinimumPasswordLength ?? 0,
    require_symbols: p?.RequireSymbols ?? false,
    require_numbers: p?.RequireNumbers ?? false,
    require_uppercase_characters: p?.RequireUppercaseCharacters ?? false,
    require_lowercase_characters: p?.RequireLowercaseCharacters ?? false,
    allow_users_to_change_password: p?.AllowUsersToChangePassword ?? false,
    expire_passwords: p?.ExpirePasswords ?? false,
    max_password_age: p?.MaxPasswordAge ?? null,
    password_reuse_prevention: p?.PasswordReusePrevention ?? null,
    hard_expiry: p?.HardExpiry ?? false,
  };
}

/** One entry of a user's `mfa_devices` attribute. */
type MfaDeviceAttributes = NonNullable<AwsIamUserAttributes['mfa_devices']>[number];

function mfaDevice(d: { SerialNumber?: string; EnableDate?: Date }): MfaDeviceAttributes {
  return {
    serial_number: d.SerialNumber ?? '',
    enable_date: iso(d.EnableDate),
    // Virtual devices are named by an ARN ending in mfa/<name>; hardware and FIDO ones differ.
    virtual: /^arn:aws[^:]*:iam::\d{12}:mfa\//.test(d.SerialNumber ?? ''),
  };
}

/**
 * A user's keys by ListAccessKeys and a GetAccessKeyLastUsed per key, for when no fresh credential report
 * stands in; null (error recorded) when a call failed, since a key left out would make the list look
 * shorter than it is.
 */
async function listAccessKeys(
  ctx: AwsScanContext,
  UserName: string,
  arn: string,
  now: Date,
): Promise<AccessKeyAttributes[] | null> {
  const listed = await listAll(
    ctx,
    'iam:ListAccessKeys',
    arn,
    (Marker, abortSignal) => iam(ctx).send(new ListAccessKeysCommand({ UserName, Marker }), { abortSignal }),
    (o) => o.AccessKeyMetadata,
  );
  if (!listed) return null;
  const keys: AccessKeyAttributes[] = [];
  for (const key of listed) {
    const AccessKeyId = key.AccessKeyId ?? '';
    const use = await askLastUse(ctx, AccessKeyId, arn);
    if (!use) return null;
    const created = iso(key.CreateDate) ?? new Date(0).toISOString();
    keys.push(accessKey(AccessKeyId, key.Status === 'Active', created, use, now));
  }
  return keys;
}

async function scanIamUsers(
  ctx: AwsScanContext,
  report: CredentialReport | null,
  details: AuthorizationDetails | null,
  virtual: VirtualMFADevice[] | null,
): Promise<Resource[]> {
  const client = iam(ctx);
  const users = await listAll<User, { IsTruncated?: boolean; Marker?: string; Users?: User[] }>(
    ctx,
    'iam:ListUsers',
    null,
    (Marker, abortSignal) =>
      client.send(new ListUsersCommand({ Marker, MaxItems: ctx.pageSize(PAGE_SIZE) }), { abortSignal }),
    (o) => o.Users,
  );
  if (!users) return [];
  const virtualByUser = new Map<string, MfaDeviceAttributes[]>();
  for (const device of virtual ?? []) {
    const name = device.User?.UserName;
    if (!name || device.User?.Arn?.endsWith(':root')) continue;
    virtualByUser.set(name, [...(virtualByUser.get(name) ?? []), mfaDevice(device)]);
  }
  const known = virtual ? virtualByUser : null;
  return mapWithConcurrency(users, PRINCIPAL_CONCURRENCY, (user) =>
    readUser(ctx, user, report, details, known),
  );
}

async function readUser(
  ctx: AwsScanContext,
  user: User,
  report: CredentialReport | null,
  details: AuthorizationDetails | null,
  virtualByUser: Map<string, MfaDeviceAttributes[]> | null,
): Promise<Resource> {
  const client = iam(ctx);
  const UserName = user.UserName ?? '';
  const arn = user.Arn ?? `arn:aws:iam::${ctx.accountId}:user/${UserName}`;
  const attributes: Record<string, unknown> = {
    user_id: user.UserId ?? '',
    path: user.Path ?? '/',
    create_date: iso(user.CreateDate) ?? new Date(0).toISOString(),
  };
  const now = ctx.now();
  const row = report?.rows.get(UserName);
  const settled = settledByReport(report, UserName, now);
  if (row) {
    attributes.console_access = row.password_enabled === 'true';
    attributes.password_last_used = reportDate(row.password_last_used);
    attributes.password_last_used_age_days = ageDays(attributes.password_last_used as string | null, now);
  }

  // With a fresh report only users with MFA active and no virtual device (so a hardware or FIDO one)
  // are asked; a user with a virtual device is listed with the virtual devices (docs/resources.md).
  const virtualDevices = virtualByUser?.get(UserName);
  const mfa =
    settled && !settled.mfaActive
      ? []
      : settled && virtualDevices
        ? virtualDevices
        : (
            await listAll(
              ctx,
              'iam:ListMFADevices',
              arn,
              (Marker, abortSignal) =>
                client.send(new ListMFADevicesCommand({ UserName, Marker }), { abortSignal }),
              (o) => o.MFADevices,
            )
          )?.map(mfaDevice);
  if (mfa) {
    attributes.mfa_enabled = mfa.length > 0;
    attributes.mfa_devices = mfa;
  }

  const keys = settled ? settled.keys : await listAccessKeys(ctx, UserName, arn, now);
  if (keys) attributes.access_keys = keys;

  const detail = details?.users.get(UserName);
  if (details) {
    attributes.attached_policies = (detail?.AttachedManagedPolicies ?? []).map((p) => ({
      policy_name: p.PolicyName ?? '',
      policy_arn: p.PolicyArn ?? '',
    }));
    attributes.inline_policy_names = (detail?.UserPolicyList ?? []).map((p) => p.PolicyName ?? '');
    attributes.groups = detail?.GroupList ?? [];
  }
  return ctx.accountResource({
    id: arn,
    region: 'global',
    type: 'aws.iam.user',
    name: UserName,
    api: 'iam',
    now,
    attributes,
  });
}

async function scanIamRoles(ctx: AwsScanContext, details: AuthorizationDetails | null): Promise<Resource[]> {
  const client = iam(ctx);
  const roles = await listAll<Role, { IsTruncated?: boolean; Marker?: string; Roles?: Role[] }>(
    ctx,
    'iam:ListRoles',
    null,
    (Marker, abortSignal) =>
      client.send(new ListRolesCommand({ Marker, MaxItems: ctx.pageSize(PAGE_SIZE) }), { abortSignal }),
    (o) => o.Roles,
  );
  if (!roles) return [];
  return roles.map((role) => {
    const name = role.RoleName ?? '';
    const arn = role.Arn ?? `arn:aws:iam::${ctx.accountId}:role/${name}`;
    const now = ctx.now();
    const path = role.Path ?? '/';
    const attributes: Record<string, unknown> = {
      role_id: role.RoleId ?? '',
      path,
      create_date: iso(role.CreateDate) ?? new Date(0).toISOString(),
      service_linked: path.startsWith('/aws-service-role/'),
      max_session_duration_seconds: role.MaxSessionDuration ?? 3600,
    };
    const trust = decodePolicy(role.AssumeRolePolicyDocument);
    if (trust) Object.assign(attributes, trustAttributes(trust));
    else
      ctx.recordProblem(
        'iam:ListRoles',
        arn,
        'MalformedPolicyDocument',
        'the trust policy is not valid JSON',
      );
    if (details) {
      const detail = details.roles.get(name);
      const lastUsed = iso(detail?.RoleLastUsed?.LastUsedDate);
      attributes.last_used_date = lastUsed;
      attributes.last_used_age_days = ageDays(lastUsed, now);
      attributes.attached_policies = (detail?.AttachedManagedPolicies ?? []).map((p) => ({
        policy_name: p.PolicyName ?? '',
        policy_arn: p.PolicyArn ?? '',
      }));
      attributes.inline_policy_names = (detail?.RolePolicyList ?? []).map((p) => p.PolicyName ?? '');
    }
    return ctx.accountResource({
      id: arn,
      region: 'global',
      type: 'aws.iam.role',
      name,
      api: 'iam',
      now,
      attributes,
    });
  });
}

/** IAM returns policy documents URL-encoded; null when the text is not a JSON object. */
export function decodePolicy(document: string | undefined): Record<string, unknown> | null {
  if (!document) return null;
  try {
    const parsed: unknown = JSON.parse(decodeURIComponent(document));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

interface PolicyStatement {
  Effect?: string;
  Principal?: string | Record<string, string | string[]>;
  Condition?: Record<string, Record<string, unknown>>;
}

/** The principals a trust policy lets assume the role, and whether AWS principals need an external id. */
export function trustAttributes(policy: Record<string, unknown>): Record<string, unknown> {
  const raw = policy.Statement;
  const statements = (Array.isArray(raw) ? raw : raw ? [raw] : []) as PolicyStatement[];
  const aws = new Set<string>();
  const services = new Set<string>();
  const federated = new Set<string>();
  let awsStatements = 0;
  let withExternalId = 0;
  for (const s of statements) {
    if (s.Effect !== 'Allow' || !s.Principal) continue;
    const principal = typeof s.Principal === 'string' ? { AWS: s.Principal } : s.Principal;
    const list = (v: string | string[] | undefined): string[] =>
      v === undefined ? [] : Array.isArray(v) ? v : [v];
    list(principal.AWS).forEach((p) => aws.add(p));
    list(principal.Service).forEach((p) => services.add(p));
    list(principal.Federated).forEach((p) => federated.add(p));
    if (list(principal.AWS).length > 0) {
      awsStatements += 1;
      const conditions = Object.values(s.Condition ?? {});
      if (conditions.some((c) => Object.keys(c).some((k) => k.toLowerCase() === 'sts:externalid')))
        withExternalId += 1;
    }
  }
  return {
    trust_policy: policy,
    trusted_aws_principals: [...aws].sort(),
    trusted_services: [...services].sort(),
    trusted_federated: [...federated].sort(),
    trust_requires_external_id: awsStatements > 0 && withExternalId === awsStatements,
  };
}
