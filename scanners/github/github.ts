/**
 * GitHub: each configured organization (`github.organization`), its repositories
 * (`github.repository`), the webhooks of both (`github.webhook`), the repositories' deploy keys
 * (`github.deploy_key`) and the GitHub Apps installed on the organization (`github.app_installation`), through Octokit with the throttling plugin (waits out primary rate limits
 * until `x-ratelimit-reset` and secondary limits for `retry-after`) and the retry plugin (5xx).
 * Every list is read page by page through the `Link` header. A 403/404 on one call becomes a
 * ScanError naming the permission; bad credentials end the scan.
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { guardedFetch } from '../egress.ts';
import {
  describeFailure,
  HTTP_ERRORS,
  ScanContext,
  type CallResult,
  type ProviderScanOptions,
} from '../scan-context.ts';
import { ScanFailedError, type ScanOutcome } from '../types.ts';

const GithubClient = Octokit.plugin(throttling, retry);
type Client = InstanceType<typeof GithubClient>;

export interface GithubScanTarget {
  /** Organization logins to scan. */
  organizations: string[];
  /** API root; https://api.github.com by default (GitHub Enterprise Server: https://host/api/v3). */
  baseUrl?: string;
  /** A fine-grained personal access token, an OAuth token or an installation token. */
  token?: string;
  /** Or a GitHub App installed on the organizations: installation tokens are made from its private key. */
  app?: GithubAppCredentials;
}

export interface GithubAppCredentials {
  appId: number | string;
  /** The app's private key as GitHub hands it out (PEM, PKCS#1 or PKCS#8). */
  privateKey: string;
  installationId: number | string;
}

export interface GithubScanOptions extends ProviderScanOptions {
  /** Retries after a rate limit before the call is given up (default 3). */
  rateLimitRetries?: number;
  /** The retry plugin's base wait for 5xx answers, in ms (default 1000). */
  retryBaseMs?: number;
  /** Repositories read at the same time (default 4). */
  concurrency?: number;
  /** Items per page of list calls (GitHub allows up to 100). */
  pageSize?: number;
}

/** What each call needs: fine-grained permission (and classic scope). */
export const GITHUB_PERMISSIONS = {
  'orgs.get': 'Administration: read (classic: admin:org)',
  'orgs.listMembers': 'Members: read (classic: read:org)',
  'orgs.listOutsideCollaborators': 'Members: read (classic: read:org)',
  'repos.listForOrg': 'Metadata: read (classic: repo)',
  'repos.getBranchProtection': 'Administration: read (classic: repo)',
  'repos.getBranchRules': 'Metadata: read (classic: repo)',
  'repos.checkVulnerabilityAlerts': 'Administration: read (classic: repo)',
  'repos.checkPrivateVulnerabilityReporting': 'Administration: read (classic: repo)',
  'orgs.listWebhooks': 'Webhooks: read, organization (classic: admin:org_hook)',
  'actions.getGithubActionsPermissionsOrganization': 'Administration: read (classic: admin:org)',
  'actions.getGithubActionsDefaultWorkflowPermissionsOrganization':
    'Administration: read (classic: admin:org)',
  'repos.listWebhooks': 'Webhooks: read, repository (classic: read:repo_hook)',
  'repos.listDeployKeys': 'Administration: read, repository (classic: repo)',
  'orgs.listAppInstallations': 'Administration: read, organization (classic: admin:org)',
} as const;
type Operation = keyof typeof GITHUB_PERMISSIONS;

interface RequestErrorShape {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | undefined> };
}

/** Scans the organizations; rejects with ScanFailedError only when the scan cannot proceed. */
export async function scanGithub(
  target: GithubScanTarget,
  options: GithubScanOptions = {},
): Promise<ScanOutcome> {
  assertValidGithubTarget(target);
  // GitHub allows 5,000 requests an hour per token: ~1.4/s sustained; bursts are absorbed by the limiter's bucket.
  const secrets = target.app ? [target.app.privateKey] : [target.token ?? ''];
  const ctx = new ScanContext('github', secrets, options, 10);
  const octokit = await connectGithub(target, options, ctx);
  const resources: Resource[] = [];
  for (const org of target.organizations) {
    ctx.setPhase(`scanning_${org}`);
    resources.push(...(await scanOrganization(ctx, octokit, org, options)));
  }
  ctx.setPhase('done');
  return { resources, errors: [...ctx.errors], progress: ctx.snapshot() };
}

/**
 * The scanner's client for a target, signed in first when the target is a GitHub App (so a wrong key or
 * installation fails here, saying which). Shared with the connection test.
 */
export async function connectGithub(
  target: GithubScanTarget,
  options: GithubScanOptions,
  ctx: ScanContext,
): Promise<Client> {
  const octokit = client(target, options);
  if (target.app) await authenticateApp(ctx, octokit, target.app);
  return octokit;
}

function client(target: GithubScanTarget, options: GithubScanOptions): Client {
  const retries = options.rateLimitRetries ?? 3;
  const quiet = (): void => undefined;
  return new GithubClient({
    ...(target.app
      ? {
          authStrategy: createAppAuth,
          auth: {
            appId: target.app.appId,
            privateKey: target.app.privateKey,
            installationId: target.app.installationId,
          },
        }
      : { auth: target.token }),
    ...(target.baseUrl ? { baseUrl: target.baseUrl.replace(/\/$/, '') } : {}),
    userAgent: 'complywise-scanner',
    // Octokit's own log would print request details; the scan reports through ScanErrors instead.
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
    throttle: {
      onRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < retries,
      onSecondaryRateLimit: (_retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount < retries,
      // When a secondary limit answer carries no retry-after, GitHub asks for at least a minute.
      fallbackSecondaryRateRetryAfter: 60,
    },
    retry: {
      retries: 2,
      retryAfterBaseValue: options.retryBaseMs ?? 1000,
      doNotRetry: [400, 401, 403, 404, 410, 422, 451],
    },
    request: {
      ...(options.signal ? { signal: options.signal } : {}),
      // Every request, the app's token exchange and redirects included, goes where the egress policy allows.
      ...(options.egress ? { fetch: guardedFetch(options.egress) } : {}),
    },
  });
}

/**
 * Signs the app JWT and exchanges it for an installation token before anything else, so that a wrong
 * key, a wrong app or installation id, or a clock too far off fails the scan at once, saying which.
 * Octokit then reuses (and renews) the token for every call.
 */
async function authenticateApp(ctx: ScanContext, octokit: Client, app: GithubAppCredentials): Promise<void> {
  ctx.setPhase('authenticating_app');
  const got = await ctx.request(() => octokit.auth({ type: 'installation' }));
  if (got.ok) return;
  const e = (got.error ?? {}) as RequestErrorShape;
  // The raw text only sorts the failure; what is stored and answered is our account of it.
  const raw = ctx.redact(typeof e.message === 'string' ? e.message : String(got.error));
  const said = describeFailure(got.status, got.code);
  const which = `GitHub App ${String(app.appId)}, installation ${String(app.installationId)}`;
  // Raised here, by the key parser, before anything is sent: its text is not the endpoint's.
  if (got.status === undefined && /private key|PKCS|PEM|asn1|DECODER|key/i.test(raw)) {
    throw new ScanFailedError(
      'INVALID_CREDENTIALS',
      `the private key of ${which} is not a PEM RSA private key as GitHub issues it (${raw})`,
      { cause: got.error },
    );
  }
  if (got.status === 401 && /'exp'|'iat'/.test(raw)) {
    throw new ScanFailedError(
      'CLOCK_SKEW',
      `GitHub refused the app JWT of ${which} as expired or issued in the future even after correcting for its clock: check this machine's clock. GitHub answered ${said}`,
      { cause: got.error },
    );
  }
  if (got.status === 401) {
    throw new ScanFailedError(
      'INVALID_CREDENTIALS',
      `GitHub refused the app JWT of ${which}: the private key does not belong to this app (or was revoked), or the app id is wrong. GitHub answered ${said}`,
      { cause: got.error },
    );
  }
  if (got.status === 404) {
    throw new ScanFailedError(
      'INVALID_CONFIG',
      `${which} was not found: install the app on the organizations and use that installation's id. GitHub answered ${said}`,
      { cause: got.error },
    );
  }
  if (got.status === undefined) {
    throw new ScanFailedError(
      'ENDPOINT_UNREACHABLE',
      `could not reach ${octokit.request.endpoint.DEFAULTS.baseUrl} for an installation token: ${said}`,
      { cause: got.error },
    );
  }
  throw new ScanFailedError(
    'PROVIDER_ERROR',
    `GitHub did not issue an installation token for ${which} (${got.status}): ${said}`,
    {
      cause: got.error,
    },
  );
}

/** Sorts a failed call: fatal for bad credentials or no answer at all, else a ScanError. */
function handleFailure(
  ctx: ScanContext,
  operation: Operation,
  resourceId: string | null,
  failure: { error: unknown; status: number | undefined },
  baseUrl: string,
): void {
  const e = (failure.error ?? {}) as RequestErrorShape;
  const message = describeFailure(failure.status, HTTP_ERRORS.code(failure.error));
  if (failure.status === 401) {
    throw new ScanFailedError(
      'INVALID_CREDENTIALS',
      `GitHub refused the token (${message}): check that it is valid and not expired`,
      {
        cause: failure.error,
      },
    );
  }
  if (failure.status === undefined || (failure.status === 500 && !e.response)) {
    throw new ScanFailedError(
      'ENDPOINT_UNREACHABLE',
      `could not reach ${baseUrl} for ${operation}: ${describeFailure(undefined, '')}`,
      { cause: failure.error },
    );
  }
  const accepted = e.response?.headers?.['x-accepted-github-permissions'];
  const denied = failure.status === 403 || failure.status === 404;
  ctx.recordError({
    operation: `github:${operation}`,
    resource_id: resourceId,
    code: String(failure.status),
    message,
    missing_permission: denied
      ? accepted
        ? `${GITHUB_PERMISSIONS[operation]}; GitHub accepts ${accepted}`
        : GITHUB_PERMISSIONS[operation]
      : null,
  });
}

/** Every page of a list endpoint; null (error recorded) when a page fails. */
async function listAll<T>(
  ctx: ScanContext,
  octokit: Client,
  operation: Operation,
  resourceId: string | null,
  route: string,
  params: Record<string, unknown>,
  pageSize: number,
): Promise<T[] | null> {
  const items: T[] = [];
  const pages = octokit.paginate.iterator(route, { ...params, per_page: pageSize });
  const iterator = pages[Symbol.asyncIterator]();
  for (;;) {
    const page: CallResult<IteratorResult<{ data: unknown }>> = await ctx.request(() => iterator.next());
    if (!page.ok) {
      handleFailure(ctx, operation, resourceId, page, octokit.request.endpoint.DEFAULTS.baseUrl);
      return null;
    }
    if (page.value.done) {
      // The iterator's final step makes no request: do not count it.
      ctx.progress.calls_made -= 1;
      return items;
    }
    items.push(...(page.value.value.data as T[]));
  }
}

interface OrgData {
  login?: string;
  two_factor_requirement_enabled?: boolean | null;
  default_repository_permission?: string | null;
  members_can_create_public_repositories?: boolean;
  web_commit_signoff_required?: boolean;
  secret_scanning_enabled_for_new_repositories?: boolean;
  dependabot_alerts_enabled_for_new_repositories?: boolean;
  dependabot_security_updates_enabled_for_new_repositories?: boolean;
  dependency_graph_enabled_for_new_repositories?: boolean;
  advanced_security_enabled_for_new_repositories?: boolean;
  secret_scanning_push_protection_enabled_for_new_repositories?: boolean;
}

/**
 * Defaults GitHub applies to repositories created later. They are absent (not false) when GitHub leaves
 * them out of the answer, as it does for plans without the feature, so rules see them as not read.
 */
const NEW_REPOSITORY_DEFAULTS = [
  'dependabot_security_updates_enabled_for_new_repositories',
  'dependency_graph_enabled_for_new_repositories',
  'advanced_security_enabled_for_new_repositories',
  'secret_scanning_push_protection_enabled_for_new_repositories',
] as const;

async function scanOrganization(
  ctx: ScanContext,
  octokit: Client,
  org: string,
  options: GithubScanOptions,
): Promise<Resource[]> {
  const baseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;
  const orgId = `github:org/${org}`;
  const pageSize = Math.min(100, options.pageSize ?? 100);
  const got = await ctx.request(() => octokit.rest.orgs.get({ org }));
  if (!got.ok) {
    handleFailure(ctx, 'orgs.get', orgId, got, baseUrl);
    return [];
  }
  const data = got.value.data as OrgData;
  const attributes: Record<string, unknown> = {
    login: data.login ?? org,
    members_can_create_public_repositories: data.members_can_create_public_repositories ?? false,
    web_commit_signoff_required: data.web_commit_signoff_required ?? false,
    secret_scanning_enabled_for_new_repositories: data.secret_scanning_enabled_for_new_repositories ?? false,
    dependabot_alerts_enabled_for_new_repositories:
      data.dependabot_alerts_enabled_for_new_repositories ?? false,
  };
  for (const key of NEW_REPOSITORY_DEFAULTS) if (typeof data[key] === 'boolean') attributes[key] = data[key];
  // GitHub only shows these two settings to organization owners; without them they are absent, not false.
  if (typeof data.two_factor_requirement_enabled === 'boolean' && data.default_repository_permission) {
    attributes.two_factor_requirement_enabled = data.two_factor_requirement_enabled;
    attributes.default_repository_permission = data.default_repository_permission;
  } else {
    ctx.recordError({
      operation: 'github:orgs.get',
      resource_id: orgId,
      code: 'FieldHidden',
      message:
        'GitHub did not show the two-factor requirement and base permission: the token is not an organization owner',
      missing_permission: GITHUB_PERMISSIONS['orgs.get'],
    });
  }
  const members = await listAll<{ login: string }>(
    ctx,
    octokit,
    'orgs.listMembers',
    orgId,
    'GET /orgs/{org}/members',
    { org },
    pageSize,
  );
  if (members) attributes.members_count = members.length;
  const admins = await listAll<{ login: string }>(
    ctx,
    octokit,
    'orgs.listMembers',
    orgId,
    'GET /orgs/{org}/members',
    { org, role: 'admin' },
    pageSize,
  );
  if (admins) attributes.admins = admins.map((m) => m.login).sort();
  const outside = await listAll<{ login: string }>(
    ctx,
    octokit,
    'orgs.listOutsideCollaborators',
    orgId,
    'GET /orgs/{org}/outside_collaborators',
    { org },
    pageSize,
  );
  if (outside) attributes.outside_collaborators = outside.map((m) => m.login).sort();
  Object.assign(attributes, await readActionsSettings(ctx, octokit, org, orgId));
  const orgResource = ctx.resource({
    id: orgId,
    account: org,
    region: 'global',
    type: 'github.organization',
    name: org,
    attributes,
    source: sourceFor(baseUrl),
  });

  const orgHooks = await listAll<HookData>(
    ctx,
    octokit,
    'orgs.listWebhooks',
    orgId,
    'GET /orgs/{org}/hooks',
    { org },
    pageSize,
  );
  const hookResources = (orgHooks ?? []).map((hook) => webhookResource(ctx, hook, org, null, baseUrl));
  const installations = await listAll<InstallationData>(
    ctx,
    octokit,
    'orgs.listAppInstallations',
    orgId,
    'GET /orgs/{org}/installations',
    { org },
    pageSize,
  );
  const installationResources = (installations ?? []).map((inst) =>
    installationResource(ctx, inst, org, baseUrl),
  );

  const repos = await listAll<RepoData>(
    ctx,
    octokit,
    'repos.listForOrg',
    orgId,
    'GET /orgs/{org}/repos',
    {
      org,
      type: 'all',
    },
    pageSize,
  );
  const repoResources = await mapWithConcurrency(repos ?? [], options.concurrency ?? 4, (repo) =>
    readRepository(ctx, octokit, org, repo, pageSize),
  );
  return [orgResource, ...hookResources, ...installationResources, ...repoResources.flat()];
}

/**
 * Which repositories may run GitHub Actions and which actions, and what the workflow token may do by
 * default. Each answer fills its two attributes; a refused one leaves them absent (error recorded).
 */
async function readActionsSettings(
  ctx: ScanContext,
  octokit: Client,
  org: string,
  orgId: string,
): Promise<Record<string, unknown>> {
  const baseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;
  const out: Record<string, unknown> = {};
  const permissions = await ctx.request(() =>
    octokit.request('GET /orgs/{org}/actions/permissions', { org }),
  );
  if (permissions.ok) {
    const data = permissions.value.data as { enabled_repositories?: string; allowed_actions?: string };
    out.actions_enabled_repositories = data.enabled_repositories ?? 'all';
    // GitHub leaves allowed_actions out when no repository may run Actions.
    out.actions_allowed_actions = data.allowed_actions ?? null;
  } else handleFailure(ctx, 'actions.getGithubActionsPermissionsOrganization', orgId, permissions, baseUrl);
  const workflow = await ctx.request(() =>
    octokit.request('GET /orgs/{org}/actions/permissions/workflow', { org }),
  );
  if (workflow.ok) {
    const data = workflow.value.data as {
      default_workflow_permissions?: string;
      can_approve_pull_request_reviews?: boolean;
    };
    out.actions_default_workflow_permissions =
      data.default_workflow_permissions === 'write' ? 'write' : 'read';
    out.actions_can_approve_pull_request_reviews = data.can_approve_pull_request_reviews === true;
  } else
    handleFailure(
      ctx,
      'actions.getGithubActionsDefaultWorkflowPermissionsOrganization',
      orgId,
      workflow,
      baseUrl,
    );
  return out;
}

function sourceFor(baseUrl: string): { api: string; endpoint?: string } {
  return baseUrl === 'https://api.github.com' ? { api: 'github' } : { api: 'github', endpoint: baseUrl };
}

interface RepoData {
  name: string;
  full_name: string;
  visibility?: string;
  private: boolean;
  archived?: boolean;
  fork: boolean;
  default_branch?: string;
  pushed_at?: string | null;
  allow_forking?: boolean;
  web_commit_signoff_required?: boolean;
  owner: { login: string };
  security_and_analysis?: Record<string, { status?: string } | undefined> | null;
}

interface ProtectionData {
  required_pull_request_reviews?: {
    required_approving_review_count?: number;
    dismiss_stale_reviews?: boolean;
    require_code_owner_reviews?: boolean;
  };
  required_status_checks?: unknown;
  enforce_admins?: { enabled?: boolean };
  allow_force_pushes?: { enabled?: boolean };
  allow_deletions?: { enabled?: boolean };
  required_signatures?: { enabled?: boolean };
}

type BranchRule = { type: string; parameters?: Record<string, unknown> };

/** A repository and its webhooks. */
async function readRepository(
  ctx: ScanContext,
  octokit: Client,
  org: string,
  repo: RepoData,
  pageSize: number,
): Promise<Resource[]> {
  const baseUrl = octokit.request.endpoint.DEFAULTS.baseUrl;
  const owner = repo.owner.login;
  const id = `github:repo/${repo.full_name}`;
  const branch = repo.default_branch ?? 'main';
  const attributes: Record<string, unknown> = {
    full_name: repo.full_name,
    visibility: repo.visibility ?? (repo.private ? 'private' : 'public'),
    archived: repo.archived ?? false,
    fork: repo.fork,
    default_branch: branch,
    pushed_at: repo.pushed_at ?? null,
  };
  if (typeof repo.allow_forking === 'boolean') attributes.allow_forking = repo.allow_forking;
  if (typeof repo.web_commit_signoff_required === 'boolean')
    attributes.web_commit_signoff_required = repo.web_commit_signoff_required;
  const sa = repo.security_and_analysis;
  if (sa) {
    attributes.secret_scanning_enabled = sa.secret_scanning?.status === 'enabled';
    attributes.secret_scanning_push_protection_enabled =
      sa.secret_scanning_push_protection?.status === 'enabled';
    attributes.dependabot_security_updates_enabled = sa.dependabot_security_updates?.status === 'enabled';
  }

  const protection = await ctx.request(() =>
    octokit.rest.repos.getBranchProtection({ owner, repo: repo.name, branch }),
  );
  let classic: ProtectionData | null | undefined;
  if (protection.ok) classic = protection.value.data as ProtectionData;
  else if (
    protection.status === 404 &&
    /not protected/i.test((protection.error as RequestErrorShape).message ?? '')
  )
    classic = null;
  else handleFailure(ctx, 'repos.getBranchProtection', id, protection, baseUrl);

  const rules = await ctx.request(() =>
    octokit.request('GET /repos/{owner}/{repo}/rules/branches/{branch}', {
      owner,
      repo: repo.name,
      branch,
      per_page: 100,
    }),
  );
  let active: BranchRule[] | undefined;
  if (rules.ok) active = rules.value.data as BranchRule[];
  else handleFailure(ctx, 'repos.getBranchRules', id, rules, baseUrl);
  if (classic !== undefined && active !== undefined)
    attributes.default_branch_protection = effectiveProtection(classic, active);

  const alerts = await ctx.request(() =>
    octokit.rest.repos.checkVulnerabilityAlerts({ owner, repo: repo.name }),
  );
  if (alerts.ok) attributes.dependabot_alerts_enabled = true;
  else if (alerts.status === 404) attributes.dependabot_alerts_enabled = false;
  else handleFailure(ctx, 'repos.checkVulnerabilityAlerts', id, alerts, baseUrl);

  // GitHub offers private vulnerability reporting on public repositories only: others are not asked.
  if (attributes.visibility === 'public') {
    const reporting = await ctx.request(() =>
      octokit.request('GET /repos/{owner}/{repo}/private-vulnerability-reporting', {
        owner,
        repo: repo.name,
      }),
    );
    if (reporting.ok)
      attributes.private_vulnerability_reporting_enabled =
        (reporting.value.data as { enabled?: boolean }).enabled === true;
    else handleFailure(ctx, 'repos.checkPrivateVulnerabilityReporting', id, reporting, baseUrl);
  }

  const hooks = await listAll<HookData>(
    ctx,
    octokit,
    'repos.listWebhooks',
    id,
    'GET /repos/{owner}/{repo}/hooks',
    { owner, repo: repo.name },
    pageSize,
  );
  const keys = await listAll<DeployKeyData>(
    ctx,
    octokit,
    'repos.listDeployKeys',
    id,
    'GET /repos/{owner}/{repo}/keys',
    { owner, repo: repo.name },
    pageSize,
  );
  return [
    ctx.resource({
      id,
      account: org,
      region: 'global',
      type: 'github.repository',
      name: repo.full_name,
      attributes,
      source: sourceFor(baseUrl),
    }),
    ...(hooks ?? []).map((hook) => webhookResource(ctx, hook, org, repo.full_name, baseUrl)),
    ...(keys ?? []).map((key) => deployKeyResource(ctx, key, org, repo.full_name, baseUrl)),
  ];
}

interface DeployKeyData {
  id: number;
  title?: string;
  read_only?: boolean;
  verified?: boolean;
  created_at?: string;
  last_used?: string | null;
  enabled?: boolean;
}

/** A deploy key of a repository: its access and age, never the key itself. */
function deployKeyResource(
  ctx: ScanContext,
  key: DeployKeyData,
  org: string,
  repository: string,
  baseUrl: string,
): Resource {
  return ctx.resource({
    id: `github:deploy_key/${repository}/${key.id}`,
    account: org,
    region: 'global',
    type: 'github.deploy_key',
    name: `${repository} deploy key ${key.title ?? key.id}`,
    attributes: {
      repository,
      title: key.title ?? '',
      // GitHub has always answered read_only; an answer without it is taken as the worse case.
      read_only: key.read_only === true,
      verified: key.verified ?? false,
      enabled: key.enabled ?? true,
      created_at: key.created_at ?? null,
      // Older GitHub Enterprise Server versions do not report it: absent, not null (never used).
      ...(key.last_used !== undefined ? { last_used_at: key.last_used } : {}),
    },
    source: sourceFor(baseUrl),
  });
}

interface InstallationData {
  id: number;
  app_id?: number;
  app_slug?: string;
  repository_selection?: string;
  permissions?: Record<string, string>;
  events?: string[];
  created_at?: string;
  suspended_at?: string | null;
}

/** A GitHub App installed on the organization: which repositories it reaches and what it may change. */
function installationResource(
  ctx: ScanContext,
  inst: InstallationData,
  org: string,
  baseUrl: string,
): Resource {
  const permissions = inst.permissions ?? {};
  return ctx.resource({
    id: `github:installation/${org}/${inst.id}`,
    account: org,
    region: 'global',
    type: 'github.app_installation',
    name: `${org} app ${inst.app_slug ?? inst.app_id ?? inst.id}`,
    attributes: {
      app_slug: inst.app_slug ?? String(inst.app_id ?? ''),
      app_id: inst.app_id ?? null,
      repository_selection: inst.repository_selection === 'selected' ? 'selected' : 'all',
      permissions: Object.fromEntries(Object.entries(permissions).sort(([a], [b]) => a.localeCompare(b))),
      write_permissions: Object.entries(permissions)
        .filter(([, level]) => level === 'write' || level === 'admin')
        .map(([name]) => name)
        .sort(),
      events: [...(inst.events ?? [])].sort(),
      created_at: inst.created_at ?? null,
      suspended: Boolean(inst.suspended_at),
    },
    source: sourceFor(baseUrl),
  });
}

interface HookData {
  id: number;
  active?: boolean;
  events?: string[];
  config?: { url?: string; content_type?: string; insecure_ssl?: string | number; secret?: string };
}

/**
 * An organization webhook (repository null) or a repository's. The delivery URL keeps scheme, host and
 * path only: a query string or user info often carries a token, which has no place in the inventory.
 */
function webhookResource(
  ctx: ScanContext,
  hook: HookData,
  org: string,
  repository: string | null,
  baseUrl: string,
): Resource {
  const parent = repository ?? org;
  const config = hook.config ?? {};
  return ctx.resource({
    id: `github:hook/${parent}/${hook.id}`,
    account: org,
    region: 'global',
    type: 'github.webhook',
    name: `${parent} webhook ${hook.id}`,
    attributes: {
      scope: repository ? 'repository' : 'organization',
      repository,
      active: hook.active ?? false,
      events: [...(hook.events ?? [])].sort(),
      url: deliveryUrl(config.url),
      content_type: config.content_type ?? null,
      // GitHub answers "0" or "1" (older answers: a number).
      insecure_ssl: String(config.insecure_ssl ?? '0') === '1',
      // GitHub masks a set secret as "********" and leaves the key out when there is none.
      secret_configured: typeof config.secret === 'string' && config.secret.length > 0,
    },
    source: sourceFor(baseUrl),
  });
}

function deliveryUrl(raw: string | undefined): string | null {
  if (!raw || !URL.canParse(raw)) return null;
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** Classic protection and active ruleset rules combined: each setting takes the stricter of the two. */
export function effectiveProtection(
  classic: ProtectionData | null,
  rules: BranchRule[],
): Record<string, unknown> {
  const has = (type: string): boolean => rules.some((r) => r.type === type);
  const pr = rules.filter((r) => r.type === 'pull_request').map((r) => r.parameters ?? {});
  const reviews = classic?.required_pull_request_reviews;
  return {
    protected: classic !== null || rules.length > 0,
    required_approving_review_count: Math.max(
      reviews?.required_approving_review_count ?? 0,
      ...pr.map((p) => Number(p.required_approving_review_count ?? 0)),
    ),
    dismiss_stale_reviews:
      (reviews?.dismiss_stale_reviews ?? false) || pr.some((p) => p.dismiss_stale_reviews_on_push === true),
    require_code_owner_reviews:
      (reviews?.require_code_owner_reviews ?? false) || pr.some((p) => p.require_code_owner_review === true),
    requires_status_checks: Boolean(classic?.required_status_checks) || has('required_status_checks'),
    enforce_admins: classic?.enforce_admins?.enabled ?? false,
    allows_force_pushes: !(
      (classic !== null && !(classic.allow_force_pushes?.enabled ?? false)) ||
      has('non_fast_forward')
    ),
    allows_deletions: !(
      (classic !== null && !(classic.allow_deletions?.enabled ?? false)) ||
      has('deletion')
    ),
    requires_signed_commits: (classic?.required_signatures?.enabled ?? false) || has('required_signatures'),
  };
}

function assertValidGithubTarget(target: GithubScanTarget): void {
  const problems: string[] = [];
  if (!Array.isArray(target?.organizations) || target.organizations.length === 0)
    problems.push('organizations must list at least one organization login');
  for (const org of target?.organizations ?? []) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(org))
      problems.push(`organizations: ${JSON.stringify(org)} is not a GitHub login`);
  }
  if (target?.baseUrl !== undefined && !/^https?:\/\//.test(target.baseUrl))
    problems.push('baseUrl must be an http(s) URL');
  if (target?.app) {
    if (!/^\d+$/.test(String(target.app.appId ?? ''))) problems.push('app.appId must be the numeric app id');
    if (!/^\d+$/.test(String(target.app.installationId ?? '')))
      problems.push('app.installationId must be the numeric installation id');
    if (typeof target.app.privateKey !== 'string' || !target.app.privateKey.includes('PRIVATE KEY'))
      problems.push('app.privateKey must be the PEM private key of the app');
  } else if (typeof target?.token !== 'string' || target.token.length < 20)
    problems.push('token (or a GitHub App) is required');
  if (problems.length > 0)
    throw new ScanFailedError('INVALID_CONFIG', `invalid GitHub scan target: ${problems.join('; ')}`);
}
