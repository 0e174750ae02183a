/**
 * Okta: every user (`okta.user`: status, last login, enrolled factors, admin roles), the password,
 * MFA enrollment, global session and authentication policies (`okta.policy`), the authenticators
 * (`okta.authenticator`), network zones (`okta.network_zone`), API token metadata (`okta.api_token`) and
 * apps (`okta.application`), through the Okta SDK.
 * Lists follow the `Link` header; a 429 is retried by the SDK's request executor after
 * `X-Rate-Limit-Reset`; a refused call (403 E0000006) becomes a ScanError naming the OAuth scope.
 */
import type okta from '@okta/okta-sdk-nodejs';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { guardedAgents } from '../egress.ts';
import { describeFailure, ScanContext, type ProviderScanOptions } from '../scan-context.ts';
import { ScanFailedError, type ScanOutcome } from '../types.ts';

export interface OktaScanTarget {
  /** https://<org>.okta.com (a loopback http URL for the sandbox). */
  orgUrl: string;
  /** An API token (SSWS). */
  token?: string;
  /** Or an OAuth 2.0 service app signing in with a private-key JWT (client_credentials). */
  serviceApp?: OktaServiceApp;
}

export interface OktaServiceApp {
  clientId: string;
  /** The app's private key: PEM (PKCS#8 or PKCS#1) or a JWK as JSON text. */
  privateKey: string;
  /** The key id (kid) registered for the key, when the app has several. */
  keyId?: string;
}

/**
 * The scopes without which a service app's scan cannot run at all: users, their admin roles and the policies.
 * An app granted only these (the scopes of earlier versions) still scans; the types the other scopes cover are
 * then refused call by call and recorded as missing permissions.
 */
export const OKTA_REQUIRED_SCOPES = ['okta.users.read', 'okta.roles.read', 'okta.policies.read'] as const;

/** The scopes a service app must be granted (Okta API Scopes tab) for a full scan. */
export const OKTA_SCOPES = [
  ...OKTA_REQUIRED_SCOPES,
  'okta.authenticators.read',
  'okta.networkZones.read',
  'okta.apiTokens.read',
  'okta.apps.read',
] as const;

export interface OktaScanOptions extends ProviderScanOptions {
  /** Retries of a 429 before the call is given up (default 2). */
  rateLimitRetries?: number;
  /** Users read at the same time (default 4). */
  concurrency?: number;
  /** Items per page (Okta allows up to 200). */
  pageSize?: number;
}

/** The OAuth scope (and admin permission) each call needs. */
export const OKTA_PERMISSIONS = {
  listUsers: 'okta.users.read',
  listFactors: 'okta.users.read',
  listAssignedRolesForUser: 'okta.roles.read',
  listPolicies: 'okta.policies.read',
  listPolicyRules: 'okta.policies.read',
  listAuthenticators: 'okta.authenticators.read',
  listNetworkZones: 'okta.networkZones.read',
  listApiTokens: 'okta.apiTokens.read',
  listApplications: 'okta.apps.read',
} as const;
type Operation = keyof typeof OKTA_PERMISSIONS;

const POLICY_TYPES = ['PASSWORD', 'MFA_ENROLL', 'OKTA_SIGN_ON', 'ACCESS_POLICY'] as const;

interface OktaErrorShape {
  status?: number;
  errorCode?: string;
  errorSummary?: string;
  message?: string;
  code?: string;
}

type Any = Record<string, unknown>;

/** Scans the org; rejects with ScanFailedError only when the scan cannot proceed. */
export async function scanOkta(target: OktaScanTarget, options: OktaScanOptions = {}): Promise<ScanOutcome> {
  assertValidOktaTarget(target);
  // Okta's /api/v1/users rate limit is 600 requests a minute on most orgs: stay at 8/s.
  const secret = target.serviceApp ? target.serviceApp.privateKey : (target.token ?? '');
  const ctx = new ScanContext('okta', [secret], options, 8);
  const orgUrl = target.orgUrl.replace(/\/$/, '');
  const client = await connectOkta(target, options, ctx);
  const pageSize = Math.min(200, options.pageSize ?? 200);

  ctx.setPhase('listing_users');
  const users = await listAll<Any>(ctx, 'listUsers', null, () =>
    client.userApi.listUsers({ limit: pageSize }),
  );
  ctx.setPhase('reading_users');
  const userResources = await mapWithConcurrency(users ?? [], options.concurrency ?? 4, (user) =>
    readUser(ctx, client, orgUrl, user),
  );
  ctx.setPhase('reading_policies');
  const policies: Resource[] = [];
  for (const type of POLICY_TYPES) {
    const listed = await listAll<Any>(ctx, 'listPolicies', null, () =>
      client.policyApi.listPolicies({ type, limit: String(pageSize) }),
    );
    for (const policy of listed ?? []) policies.push(await readPolicy(ctx, client, orgUrl, policy));
  }
  ctx.setPhase('reading_settings');
  const host = new URL(orgUrl).host;
  const resource = (kind: string, type: string, item: Any, name: string, attributes: Any): Resource =>
    ctx.resource({
      id: `okta:${host}:${kind}/${String(item.id)}`,
      account: host,
      region: 'global',
      type,
      name,
      attributes,
      source: { api: 'okta', endpoint: orgUrl },
    });
  const authenticators = await listAll<Any>(ctx, 'listAuthenticators', null, () =>
    client.authenticatorApi.listAuthenticators(),
  );
  const zones = await listAll<Any>(ctx, 'listNetworkZones', null, () =>
    client.networkZoneApi.listNetworkZones({ limit: pageSize }),
  );
  const apiTokens = await listAll<Any>(ctx, 'listApiTokens', null, () => client.apiTokenApi.listApiTokens());
  const apps = await listAll<Any>(ctx, 'listApplications', null, () =>
    client.applicationApi.listApplications({ limit: pageSize }),
  );
  const settings: Resource[] = [
    ...(authenticators ?? []).map((a) =>
      resource('authenticator', 'okta.authenticator', a, String(a.name ?? a.key), authenticatorAttributes(a)),
    ),
    ...(zones ?? []).map((z) =>
      resource('zone', 'okta.network_zone', z, String(z.name ?? z.id), zoneAttributes(z)),
    ),
    ...(apiTokens ?? []).map((t) =>
      resource('api_token', 'okta.api_token', t, String(t.name ?? t.id), apiTokenAttributes(t)),
    ),
    ...(apps ?? []).map((a) =>
      resource('app', 'okta.application', a, String(a.label ?? a.name ?? a.id), applicationAttributes(a)),
    ),
  ];
  ctx.setPhase('done');
  return {
    resources: [...userResources, ...policies, ...settings],
    errors: [...ctx.errors],
    progress: ctx.snapshot(),
  };
}

type OktaClient = InstanceType<typeof okta.Client>;

/**
 * The scanner's client for a target, with a service app's access token already obtained (so a wrong key,
 * a clock off or missing scopes fail here, saying which). Shared with the connection test.
 */
export async function connectOkta(
  target: OktaScanTarget,
  options: OktaScanOptions,
  ctx: ScanContext,
): Promise<OktaClient> {
  const client = await oktaClient(target, options, ctx, OKTA_SCOPES);
  if (!target.serviceApp) return client;
  const orgUrl = target.orgUrl.replace(/\/$/, '');
  try {
    await signInServiceApp(ctx, client, target.serviceApp, orgUrl, OKTA_SCOPES);
    return client;
  } catch (error) {
    if (!(error instanceof ScanFailedError && error.code === 'PERMISSION_DENIED')) throw error;
    // Okta refuses a token request naming any scope the app lacks. An app set up for an earlier version
    // holds only the required ones: scan with those, and let the calls outside them be refused and recorded.
    const narrower = await oktaClient(target, options, ctx, OKTA_REQUIRED_SCOPES);
    await signInServiceApp(ctx, narrower, target.serviceApp, orgUrl, OKTA_REQUIRED_SCOPES);
    return narrower;
  }
}

async function oktaClient(
  target: OktaScanTarget,
  options: OktaScanOptions,
  ctx: ScanContext,
  scopes: readonly string[],
): Promise<OktaClient> {
  // Loaded on first use: the SDK costs about a second of CPU to import, which every process start (API,
  // worker, CLI, each test file) paid whether or not it ever scanned Okta.
  const { default: okta } = await import('@okta/okta-sdk-nodejs');
  /** Counts each HTTP request once (not its 429 retries) and lets the rate limiter pace it. */
  // The SDK's typings declare fetch on its own request type; the executor only reads headers here.
  const Base = okta.DefaultRequestExecutor as unknown as new (config: Any) => {
    fetch(request: Any): Promise<unknown>;
  };
  const agents = options.egress ? guardedAgents(options.egress) : undefined;
  class CountingExecutor extends Base {
    override async fetch(request: Any & { headers?: Record<string, unknown> }): Promise<unknown> {
      if (!request.headers?.['X-Okta-Retry-Count']) await ctx.beforeCall();
      // node-fetch asks for an agent per URL, redirects included: each goes where the egress policy allows.
      if (agents)
        request.agent = (url: URL) => (url.protocol === 'https:' ? agents.httpsAgent : agents.httpAgent);
      return super.fetch(request);
    }
  }
  return new okta.Client({
    orgUrl: target.orgUrl.replace(/\/$/, ''),
    ...(target.serviceApp
      ? {
          authorizationMode: 'PrivateKey',
          clientId: target.serviceApp.clientId,
          privateKey: target.serviceApp.privateKey,
          ...(target.serviceApp.keyId ? { keyId: target.serviceApp.keyId } : {}),
          scopes: [...scopes],
        }
      : { token: target.token }),
    requestExecutor: new CountingExecutor({ maxRetries: options.rateLimitRetries ?? 2, requestTimeout: 0 }),
  } as never);
}

/**
 * Exchanges the signed client assertion for an access token before anything else, so that a wrong
 * key, an expired assertion (clock) or missing scopes fail the scan at once, saying which. The SDK
 * keeps the token for the following calls; when the app requires DPoP it answers the nonce challenge
 * and signs a proof for every call itself.
 */
async function signInServiceApp(
  ctx: ScanContext,
  client: OktaClient,
  app: OktaServiceApp,
  orgUrl: string,
  scopes: readonly string[],
): Promise<void> {
  ctx.setPhase('signing_in');
  const oauth = (client as unknown as { oauth: { getAccessToken(): Promise<unknown> } }).oauth;
  // The token request goes through the counting request executor like every other call.
  try {
    // This SDK resolves an OAuth error answer (and caches it) instead of rejecting: look inside.
    const got = (await oauth.getAccessToken()) as {
      access_token?: string;
      error?: string;
      error_description?: string;
    };
    if (got?.access_token) return;
    throw Object.assign(new Error(`${got?.error ?? 'no access token'}: ${got?.error_description ?? ''}`), {
      status: 400,
    });
  } catch (error) {
    if (ctx.options.signal?.aborted) throw ctx.aborted(error);
    const e = (error ?? {}) as OktaErrorShape & { message?: string };
    // The raw text only sorts the failure; what is stored and answered is our account of it.
    const raw = ctx.redact(e.message ?? String(error));
    const oauthError = /\b(invalid_[a-z_]+|unauthorized_client|access_denied)\b/.exec(raw)?.[0];
    const said = describeFailure(e.status, oauthError ?? e.errorCode ?? 'error');
    const app_ = `the Okta service app ${app.clientId}`;
    const fail = (code: ScanFailedError['code'], message: string): never => {
      throw new ScanFailedError(code, message, { cause: error });
    };
    if (e.status === undefined) {
      // Raised here, by the key parser, before anything is sent: its text is not the endpoint's.
      if (/convert private key|PEM|JWK|asn1|key/i.test(raw))
        fail(
          'INVALID_CREDENTIALS',
          `the private key of ${app_} is not a PEM or JWK RSA/EC private key (${raw})`,
        );
      fail('ENDPOINT_UNREACHABLE', `could not reach ${orgUrl} for an access token: ${said}`);
    }
    if (/expired/i.test(raw))
      fail(
        'CLOCK_SKEW',
        `Okta found the client assertion of ${app_} expired when it was just signed: check this machine's clock. Okta answered ${said}`,
      );
    if (/invalid_scope/.test(raw))
      fail(
        'PERMISSION_DENIED',
        `${app_} is not granted the scopes the scan needs (${scopes.join(', ')}): grant them on its Okta API Scopes tab. Okta answered ${said}`,
      );
    fail(
      'INVALID_CREDENTIALS',
      `Okta refused the client assertion of ${app_}: the private key does not match a public key registered for the app, or the client id is wrong. Okta answered ${said}`,
    );
  }
}

function failure(
  ctx: ScanContext,
  operation: Operation,
  resourceId: string | null,
  error: unknown,
  orgUrl?: string,
): void {
  const e = (error ?? {}) as OktaErrorShape;
  const message = describeFailure(e.status, e.errorCode ?? String(e.status));
  if (e.status === 401) {
    throw new ScanFailedError(
      'INVALID_CREDENTIALS',
      `Okta refused the API token (${message}): check that it is valid and its admin still active`,
      { cause: error },
    );
  }
  if (e.status === undefined) {
    if (ctx.options.signal?.aborted) throw ctx.aborted(error);
    throw new ScanFailedError(
      'ENDPOINT_UNREACHABLE',
      `could not reach ${orgUrl ?? 'the Okta org'} for ${operation}: ${message}`,
      { cause: error },
    );
  }
  ctx.recordError({
    operation: `okta:${operation}`,
    resource_id: resourceId,
    code: e.errorCode ?? String(e.status),
    message,
    missing_permission: e.status === 403 ? OKTA_PERMISSIONS[operation] : null,
  });
}

/** Every item of a paginated SDK collection; null (error recorded) when a page fails. */
async function listAll<T>(
  ctx: ScanContext,
  operation: Operation,
  resourceId: string | null,
  open: () => Promise<AsyncIterable<unknown>>,
): Promise<T[] | null> {
  const items: T[] = [];
  try {
    const collection = await open();
    for await (const item of collection) {
      ctx.throwIfAborted();
      if (item !== null && item !== undefined) items.push(item as T);
    }
    return items;
  } catch (error) {
    if (error instanceof ScanFailedError) throw error;
    failure(ctx, operation, resourceId, error);
    return null;
  }
}

function iso(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}

function ageDays(value: string | null, now: Date): number | null {
  return value === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(value)) / 86_400_000));
}

async function readUser(ctx: ScanContext, client: OktaClient, orgUrl: string, user: Any): Promise<Resource> {
  const host = new URL(orgUrl).host;
  const userId = String(user.id);
  const id = `okta:${host}:user/${userId}`;
  const now = ctx.now();
  const profile = (user.profile ?? {}) as Any;
  const lastLogin = iso(user.lastLogin);
  const passwordChanged = iso(user.passwordChanged);
  const attributes: Any = {
    login: String(profile.login ?? userId),
    status: String(user.status),
    created: iso(user.created) ?? new Date(0).toISOString(),
    activated: iso(user.activated),
    last_login: lastLogin,
    last_login_age_days: ageDays(lastLogin, now),
    password_changed: passwordChanged,
    password_age_days: ageDays(passwordChanged, now),
  };
  const factors = await listAll<Any>(ctx, 'listFactors', id, () =>
    client.userFactorApi.listFactors({ userId }),
  );
  if (factors) {
    attributes.factors = factors.map((f) => ({
      factor_type: String(f.factorType ?? ''),
      provider: String(f.provider ?? ''),
      status: String(f.status ?? ''),
    }));
    const active = factors.filter((f) => f.status === 'ACTIVE');
    attributes.mfa_enrolled = active.length > 0;
    attributes.phishing_resistant_factor_enrolled = active.some(
      (f) => f.factorType === 'webauthn' || f.factorType === 'signed_nonce',
    );
  }
  const roles = await listAll<Any>(ctx, 'listAssignedRolesForUser', id, () =>
    client.roleAssignmentApi.listAssignedRolesForUser({ userId }),
  );
  if (roles) attributes.admin_roles = roles.map((r) => String(r.type ?? '')).sort();
  return ctx.resource({
    id,
    account: host,
    region: 'global',
    type: 'okta.user',
    name: String(attributes.login),
    attributes,
    source: { api: 'okta', endpoint: orgUrl },
  });
}

async function readPolicy(
  ctx: ScanContext,
  client: OktaClient,
  orgUrl: string,
  policy: Any,
): Promise<Resource> {
  const host = new URL(orgUrl).host;
  const policyId = String(policy.id);
  const id = `okta:${host}:policy/${policyId}`;
  const type = String(policy.type);
  const settings = (policy.settings ?? {}) as Any;
  const attributes: Any = {
    policy_type: type,
    status: String(policy.status ?? 'ACTIVE'),
    priority: Number(policy.priority ?? 0),
    system: Boolean(policy.system),
    password: type === 'PASSWORD' ? passwordSettings(settings) : null,
    mfa_enroll_factors: type === 'MFA_ENROLL' ? enrollFactors(settings) : [],
  };
  const rules = await listAll<Any>(ctx, 'listPolicyRules', id, () =>
    client.policyApi.listPolicyRules({ policyId }),
  );
  if (rules) attributes.rules = rules.map(ruleFrom).sort((a, b) => a.priority - b.priority);
  return ctx.resource({
    id,
    account: host,
    region: 'global',
    type: 'okta.policy',
    name: String(policy.name ?? policyId),
    attributes,
    source: { api: 'okta', endpoint: orgUrl },
  });
}

function passwordSettings(settings: Any): Any {
  const password = (settings.password ?? {}) as Any;
  const complexity = (password.complexity ?? {}) as Any;
  const age = (password.age ?? {}) as Any;
  const lockout = (password.lockout ?? {}) as Any;
  const n = (v: unknown): number => (typeof v === 'number' && v >= 0 ? v : 0);
  return {
    min_length: n(complexity.minLength),
    min_lower_case: n(complexity.minLowerCase),
    min_upper_case: n(complexity.minUpperCase),
    min_number: n(complexity.minNumber),
    min_symbol: n(complexity.minSymbol),
    exclude_username: Boolean(complexity.excludeUsername),
    max_age_days: n(age.maxAgeDays),
    history_count: n(age.historyCount),
    min_age_minutes: n(age.minAgeMinutes),
    lockout_max_attempts: n(lockout.maxAttempts),
    exclude_common_passwords: ((((complexity.dictionary ?? {}) as Any).common ?? {}) as Any).exclude === true,
  };
}

function enrollFactors(settings: Any): Any[] {
  const authenticators = (settings.authenticators ?? []) as Any[];
  return authenticators.map((a) => {
    const enroll = String(((a.enroll ?? {}) as Any).self ?? 'NOT_ALLOWED');
    return {
      key: String(a.key ?? ''),
      enroll: ['REQUIRED', 'OPTIONAL', 'NOT_ALLOWED'].includes(enroll) ? enroll : 'NOT_ALLOWED',
    };
  });
}

function ruleFrom(rule: Any): { priority: number } & Any {
  const actions = (rule.actions ?? {}) as Any;
  const signon = actions.signon as Any | undefined;
  const appSignOn = actions.appSignOn as Any | undefined;
  const session = (signon?.session ?? {}) as Any;
  const access = signon?.access ?? appSignOn?.access;
  const factorMode = ((appSignOn?.verificationMethod ?? {}) as Any).factorMode;
  return {
    name: String(rule.name ?? ''),
    status: rule.status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
    priority: Number(rule.priority ?? 0),
    access: access === 'ALLOW' || access === 'DENY' ? access : null,
    requires_mfa: signon ? Boolean(signon.requireFactor) : factorMode === '2FA',
    max_session_idle_minutes:
      signon && typeof session.maxSessionIdleMinutes === 'number' ? session.maxSessionIdleMinutes : null,
    max_session_lifetime_minutes:
      signon && typeof session.maxSessionLifetimeMinutes === 'number'
        ? session.maxSessionLifetimeMinutes
        : null,
    persistent_session_cookie: signon ? session.usePersistentCookie === true : null,
    reauthenticate_in_minutes: appSignOn
      ? durationMinutes(((appSignOn.verificationMethod ?? {}) as Any).reauthenticateIn)
      : null,
  };
}

/** Minutes of an ISO 8601 duration such as PT2H or P1D; null when absent or not one. */
export function durationMinutes(value: unknown): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(String(value ?? ''));
  if (!m || value === 'P' || value === 'PT') return null;
  const [, d = '0', h = '0', min = '0', sec = '0'] = m;
  return Number(d) * 1440 + Number(h) * 60 + Number(min) + Math.ceil(Number(sec) / 60);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** An authenticator: what it is, whether it is on, and what it may be used for. */
export function authenticatorAttributes(a: Any): Any {
  const settings = (a.settings ?? {}) as Any;
  return {
    key: String(a.key ?? ''),
    authenticator_type: String(a.type ?? ''),
    status: a.status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
    // Only the email and phone authenticators carry allowedFor; others answer null.
    allowed_for: str(settings.allowedFor),
    user_verification: str(settings.userVerification),
  };
}

/** An IP gateway or proxy: its version and the prefix length of the smallest block holding it. */
export function zoneAddress(address: Any): Any {
  const type = String(address.type ?? 'CIDR');
  const value = String(address.value ?? '');
  return { type, value, ...addressBlock(type, value) };
}

function addressBlock(type: string, value: string): { version: 4 | 6 | null; prefix_length: number | null } {
  const bits = (ip: string): bigint | null => {
    if (ip.includes('.')) {
      const parts = ip.split('.').map(Number);
      if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
      return parts.reduce((acc, n) => (acc << 8n) | BigInt(n), 0n);
    }
    if (!ip.includes(':')) return null;
    const [head = '', tail = ''] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
    if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
    return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  };
  const version = value.includes(':') ? 6 : value.includes('.') ? 4 : null;
  if (version === null) return { version, prefix_length: null };
  const width = version === 4 ? 32 : 128;
  if (type === 'RANGE') {
    const [from = '', to = from] = value.split('-');
    const a = bits(from.trim());
    const b = bits(to.trim());
    if (a === null || b === null || b < a) return { version, prefix_length: null };
    // The widest span counts: a range needs at least a block of 2^k addresses, k = bits of (b - a).
    const span = (b - a).toString(2);
    return { version, prefix_length: b === a ? width : width - span.length };
  }
  const [ip = '', length] = value.split('/');
  if (bits(ip) === null) return { version, prefix_length: null };
  const n = length === undefined ? width : Number(length);
  return { version, prefix_length: Number.isInteger(n) && n >= 0 && n <= width ? n : null };
}

/**
 * A network zone: its IP gateways and proxies, or for dynamic zones the anonymisers it matches. Dynamic
 * zones' locations and ASNs are left out: the SDK's model of them does not keep Okta's list answer.
 */
export function zoneAttributes(z: Any): Any {
  const list = (v: unknown): Any[] => (Array.isArray(v) ? (v as Any[]) : []);
  return {
    zone_type: String(z.type ?? 'IP'),
    status: z.status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
    usage: z.usage === 'BLOCKLIST' ? 'BLOCKLIST' : 'POLICY',
    system: Boolean(z.system),
    gateways: list(z.gateways).map(zoneAddress),
    proxies: list(z.proxies).map(zoneAddress),
    proxy_type: str(z.proxyType),
  };
}

/** The metadata of an API token (Okta never returns its value): owner, age and where it may be used from. */
export function apiTokenAttributes(t: Any): Any {
  const network = (t.network ?? {}) as Any;
  const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String).sort() : []);
  return {
    user_id: String(t.userId ?? ''),
    client_name: String(t.clientName ?? ''),
    created: iso(t.created),
    last_updated: iso(t.lastUpdated),
    expires_at: iso(t.expiresAt),
    token_window: str(t.tokenWindow),
    // Tokens created before network restrictions existed answer no network: usable from anywhere.
    network_connection: network.connection === 'ZONE' ? 'ZONE' : 'ANYWHERE',
    network_include: ids(network.include),
    network_exclude: ids(network.exclude),
  };
}

/** An app: how users sign in to it and, for OpenID Connect clients, the flows it allows. */
export function applicationAttributes(a: Any): Any {
  const settings = (a.settings ?? {}) as Any;
  const client = (settings.oauthClient ?? null) as Any | null;
  const credentials = ((a.credentials ?? {}) as Any).oauthClient as Any | undefined;
  const policyHref = str((((a._links ?? {}) as Any).accessPolicy as Any | undefined)?.href);
  const oidc = a.signOnMode === 'OPENID_CONNECT';
  return {
    app_name: String(a.name ?? ''),
    status: a.status === 'INACTIVE' ? 'INACTIVE' : 'ACTIVE',
    sign_on_mode: String(a.signOnMode ?? ''),
    application_type: oidc ? str(client?.application_type) : null,
    grant_types: oidc
      ? Array.isArray(client?.grant_types)
        ? client.grant_types.map(String).sort()
        : []
      : null,
    token_endpoint_auth_method: oidc ? str(credentials?.token_endpoint_auth_method) : null,
    pkce_required: oidc ? credentials?.pkce_required === true : null,
    access_policy_id: policyHref ? (policyHref.split('/').pop() ?? null) : null,
  };
}

function assertValidOktaTarget(target: OktaScanTarget): void {
  const problems: string[] = [];
  let url: URL | undefined;
  try {
    url = new URL(target?.orgUrl ?? '');
  } catch {
    problems.push('orgUrl must be a URL such as https://acme.okta.com');
  }
  if (url && url.protocol !== 'https:' && !['127.0.0.1', 'localhost'].includes(url.hostname))
    problems.push('orgUrl must use https');
  if (target?.serviceApp) {
    if (!/^[A-Za-z0-9]{10,64}$/.test(target.serviceApp.clientId ?? ''))
      problems.push('serviceApp.clientId must be the Okta client id');
    if (typeof target.serviceApp.privateKey !== 'string' || target.serviceApp.privateKey.length < 20)
      problems.push('serviceApp.privateKey is required');
  } else if (typeof target?.token !== 'string' || target.token.length < 20)
    problems.push('token (or a service app) is required');
  if (problems.length > 0)
    throw new ScanFailedError('INVALID_CONFIG', `invalid Okta scan target: ${problems.join('; ')}`);
}
