/**
 * Azure: storage accounts, network security groups, key vaults, SQL servers (auditing, TDE) and App
 * Service apps (their web configuration) of each configured subscription, through the ARM pipeline of `@azure/arm-resources` (its retry policies
 * honour `Retry-After` on 429/503 and back off exponentially on 5xx) authenticated as a service
 * principal with `@azure/identity`. Lists follow `nextLink`. A 403 AuthorizationFailed becomes a
 * ScanError naming the action; a refused client secret ends the scan.
 *
 * A loopback http `endpoint` (the demo sandbox) cannot use the SDK's bearer-token policy or identity's
 * authority checks, which require https: there the token comes from the sandbox's token endpoint
 * through the same client-credentials request, and a policy sets the Authorization header.
 */
import type { ResourceManagementClient } from '@azure/arm-resources';
import type * as CoreRestPipeline from '@azure/core-rest-pipeline';
import type { HttpClient, PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { X509Certificate } from 'node:crypto';
import type { Agent as HttpAgent } from 'node:http';
import { Agent, type Agent as HttpsAgent } from 'node:https';
import type { Resource } from '../../schemas/index.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import { egressDenial, guardedAgents, guardedFetch } from '../egress.ts';
import { ScanContext, describeFailure, type ProviderScanOptions } from '../scan-context.ts';
import { ScanFailedError, type ScanOutcome } from '../types.ts';
import { DEFENDER_PERMISSIONS, scanDefender } from './defender.ts';
import { MONITOR_PERMISSIONS, scanMonitor } from './monitor.ts';
import { COMPUTE_PERMISSIONS, scanCompute } from './compute.ts';
import { CONTAINERSERVICE_PERMISSIONS, scanContainerService } from './containerservice.ts';
import { COSMOSDB_PERMISSIONS, scanCosmosDb } from './cosmosdb.ts';
import { POSTGRES_PERMISSIONS, scanPostgres } from './postgresql.ts';
import { AUTHORIZATION_PERMISSIONS, scanAuthorization } from './authorization.ts';
import type { ArmReader } from './arm-reader.ts';

export interface AzureScanTarget {
  tenantId: string;
  subscriptionIds: string[];
  clientId: string;
  /** The service principal's client secret, or else: */
  clientSecret?: string;
  /** A PEM holding the certificate registered on the app and its private key. */
  certificate?: string;
  /** ARM endpoint; https://management.azure.com by default. */
  endpoint?: string;
  /** The identity platform; https://login.microsoftonline.com by default (sovereign clouds, sandbox). */
  authorityHost?: string;
}

export interface AzureScanOptions extends ProviderScanOptions {
  /** A CA certificate (PEM) to trust for the identity platform's TLS, for a sandbox authority. */
  identityCa?: string;
  /** Retries of a throttled or failed call inside the pipeline (default 3). */
  maxRetries?: number;
  /** First retry delay in ms (default 800). */
  retryDelayMs?: number;
  concurrency?: number;
}

type Json = Record<string, unknown>;

const API_VERSIONS = {
  storage: '2023-05-01',
  network: '2023-09-01',
  keyvault: '2023-07-01',
  sql: '2021-11-01',
  web: '2023-12-01',
} as const;

/** The RBAC action each call needs. */
export const AZURE_PERMISSIONS = {
  'storageAccounts.list': 'Microsoft.Storage/storageAccounts/read',
  'networkSecurityGroups.listAll': 'Microsoft.Network/networkSecurityGroups/read',
  'vaults.listBySubscription': 'Microsoft.KeyVault/vaults/read',
  'keys.list': 'Microsoft.KeyVault/vaults/keys/read',
  'servers.list': 'Microsoft.Sql/servers/read',
  'serverBlobAuditingPolicies.get': 'Microsoft.Sql/servers/auditingSettings/read',
  'encryptionProtectors.get': 'Microsoft.Sql/servers/encryptionProtector/read',
  'databases.listByServer': 'Microsoft.Sql/servers/databases/read',
  'transparentDataEncryptions.get': 'Microsoft.Sql/servers/databases/transparentDataEncryption/read',
  'webApps.list': 'Microsoft.Web/sites/Read',
  'webApps.getConfiguration': 'Microsoft.Web/sites/config/Read',
  ...DEFENDER_PERMISSIONS,
  ...MONITOR_PERMISSIONS,
  ...COMPUTE_PERMISSIONS,
  ...CONTAINERSERVICE_PERMISSIONS,
  ...COSMOSDB_PERMISSIONS,
  ...POSTGRES_PERMISSIONS,
  ...AUTHORIZATION_PERMISSIONS,
} as const;
export type AzureOperation = keyof typeof AZURE_PERMISSIONS;
type Operation = AzureOperation;

/** Scans the subscriptions; rejects with ScanFailedError only when the scan cannot proceed. */
export async function scanAzure(
  target: AzureScanTarget,
  options: AzureScanOptions = {},
): Promise<ScanOutcome> {
  assertValidAzureTarget(target);
  // ARM refills 25 reads a second per principal (bucket of 250): stay under it.
  const ctx = new ScanContext('azure', [target.clientSecret ?? target.certificate ?? ''], options, 20);
  const endpoint = (target.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const credential = await azureCredential(target, endpoint, ctx, options);
  if (target.certificate) await signInWithCertificate(ctx, credential, target, endpoint);
  const pipeline = await import('@azure/core-rest-pipeline');
  const resources: Resource[] = [];
  for (const subscriptionId of target.subscriptionIds) {
    ctx.setPhase(`scanning_${subscriptionId}`);
    const client = await armClient(credential, subscriptionId, endpoint, options);
    const scan = new SubscriptionScan(ctx, pipeline, client, subscriptionId, endpoint, options);
    resources.push(...(await scan.run()));
  }
  ctx.setPhase('done');
  return { resources, errors: [...ctx.errors], progress: ctx.snapshot() };
}

function isLoopbackHttp(endpoint: string): boolean {
  const url = new URL(endpoint);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** Client credentials against the sandbox's token endpoint (http, so not through @azure/identity). */
function sandboxCredential(target: AzureScanTarget, endpoint: string, ctx: ScanContext): TokenCredential {
  let cached: AccessToken | null = null;
  return {
    async getToken(): Promise<AccessToken> {
      if (cached && cached.expiresOnTimestamp > Date.now() + 60_000) return cached;
      await ctx.beforeCall();
      const send = ctx.options.egress ? guardedFetch(ctx.options.egress) : fetch;
      const response = await send(`${endpoint}/${target.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: target.clientId,
          client_secret: target.clientSecret ?? '',
          scope: `${endpoint}/.default`,
        }),
      });
      const body = (await response.json()) as {
        access_token?: string;
        expires_in?: number;
        error_description?: string;
      };
      if (!response.ok || !body.access_token) {
        throw new ScanFailedError(
          'INVALID_CREDENTIALS',
          `the identity platform refused the service principal ${target.clientId}: ${ctx.redact(body.error_description ?? String(response.status))}`,
        );
      }
      cached = {
        token: body.access_token,
        expiresOnTimestamp: Date.now() + (body.expires_in ?? 3600) * 1000,
      };
      return cached;
    },
  };
}

/**
 * The service principal's credential: a certificate through @azure/identity (any authority host), a
 * secret through @azure/identity, or a secret against a local sandbox's http token endpoint.
 *
 * The Azure SDK is imported here and in armClient, on first use, not at the top of the module: its three
 * packages cost a quarter to half a second of CPU to import, which every process that loads the scanners (API,
 * worker, CLI, each test file that builds the app) paid whether or not it ever scanned Azure.
 */
export async function azureCredential(
  target: AzureScanTarget,
  endpoint: string,
  ctx: ScanContext,
  options: Pick<AzureScanOptions, 'identityCa'> = {},
): Promise<TokenCredential> {
  const { egress } = ctx.options;
  if (!target.certificate && isLoopbackHttp(endpoint)) return sandboxCredential(target, endpoint, ctx);
  const [{ ClientCertificateCredential, ClientSecretCredential }, { createDefaultHttpClient }] =
    await Promise.all([import('@azure/identity'), import('@azure/core-rest-pipeline')]);
  if (target.certificate) {
    // Every identity request is paced and counted like an ARM call; a sandbox authority's CA is trusted.
    const tls = options.identityCa ? { ca: options.identityCa } : {};
    const agent = egress
      ? guardedAgents(egress, tls).httpsAgent
      : options.identityCa
        ? new Agent({ ...tls, keepAlive: true })
        : undefined;
    const httpClient = identityHttpClient(createDefaultHttpClient(), ctx, agent, () => ctx.beforeCall());
    const custom = target.authorityHost !== undefined;
    return new ClientCertificateCredential(
      target.tenantId,
      target.clientId,
      { certificate: target.certificate },
      {
        httpClient,
        ...(custom ? { authorityHost: target.authorityHost, disableInstanceDiscovery: true } : {}),
      },
    );
  }
  // The identity platform is reached through the egress policy's agent too.
  const agent = egress ? guardedAgents(egress).httpsAgent : undefined;
  return new ClientSecretCredential(target.tenantId, target.clientId, target.clientSecret ?? '', {
    httpClient: identityHttpClient(createDefaultHttpClient(), ctx, agent),
  });
}

/**
 * The identity platform's HTTP client: `base` through `agent` when one is given, after `beforeEach`. An
 * egress refusal is noted on the context, as @azure/identity hides it behind MSAL's generic network error.
 */
function identityHttpClient(
  base: HttpClient,
  ctx: ScanContext,
  agent: HttpsAgent | undefined,
  beforeEach?: () => Promise<void>,
): HttpClient {
  return {
    async sendRequest(request) {
      await beforeEach?.();
      if (agent) request.agent = agent;
      try {
        return await base.sendRequest(request);
      } catch (error) {
        const denied = egressDenial(error);
        if (denied) ctx.egressRefusal = denied.message;
        throw error;
      }
    },
  };
}

/**
 * Checks the certificate's dates, then asks for a token before any ARM call, so that an expired
 * certificate, one not registered on the app, or a wrong tenant or client id fails the scan at once,
 * saying which.
 */
async function signInWithCertificate(
  ctx: ScanContext,
  credential: TokenCredential,
  target: AzureScanTarget,
  endpoint: string,
): Promise<void> {
  ctx.setPhase('signing_in');
  const who = `the service principal ${target.clientId}`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(target.certificate ?? '');
  } catch {
    throw new ScanFailedError(
      'INVALID_CREDENTIALS',
      `the certificate of ${who} is not a PEM certificate (the file must hold the certificate and its private key)`,
    );
  }
  if (Date.parse(cert.validTo) <= Date.now()) {
    throw new ScanFailedError(
      'EXPIRED_CREDENTIALS',
      `the certificate of ${who} (thumbprint ${cert.fingerprint.replaceAll(':', '')}) expired on ${new Date(cert.validTo).toISOString()}: upload a new one to the app registration and the integration`,
    );
  }
  try {
    await credential.getToken(`${endpoint}/.default`);
  } catch (error) {
    if (ctx.options.signal?.aborted) throw ctx.aborted(error);
    // The identity platform's text is never passed on (issue 14: provider text is not reflected): only our
    // explanation, the AADSTS code and the HTTP status. Local certificate problems are ours to describe.
    const raw = error instanceof Error ? error.message : String(error);
    const code = /AADSTS\d+/.exec(raw)?.[0];
    const status = (error as { statusCode?: number }).statusCode;
    const oauthError = (error as { errorResponse?: { error?: string } }).errorResponse?.error;
    const said = describeFailure(
      status,
      code ?? oauthError ?? 'error',
      status !== undefined || code !== undefined,
    );
    if (code === 'AADSTS700027' || code === 'AADSTS700016' || code === 'AADSTS90002')
      throw new ScanFailedError(
        'INVALID_CREDENTIALS',
        `the identity platform refused the certificate of ${who}: ${code === 'AADSTS700027' ? 'the certificate is not registered on the app registration, or its key does not match it' : 'the tenant or client id is wrong'}. It answered ${said}`,
        { cause: error },
      );
    if (code)
      throw new ScanFailedError('INVALID_CREDENTIALS', `the identity platform refused ${who}: ${said}`, {
        cause: error,
      });
    if (status === undefined && /PEM|private key|certificate/i.test(raw))
      throw new ScanFailedError(
        'INVALID_CREDENTIALS',
        `the certificate file of ${who} cannot be used: ${ctx.redact(raw)}`,
        { cause: error },
      );
    throw new ScanFailedError('ENDPOINT_UNREACHABLE', `could not get a token for ${who}: ${said}`, {
      cause: error,
    });
  }
}

async function armClient(
  credential: TokenCredential,
  subscriptionId: string,
  endpoint: string,
  options: AzureScanOptions,
): Promise<ResourceManagementClient> {
  const local = isLoopbackHttp(endpoint);
  const { ResourceManagementClient } = await import('@azure/arm-resources');
  const client = new ResourceManagementClient(credential, subscriptionId, {
    endpoint,
    retryOptions: {
      maxRetries: options.maxRetries ?? 3,
      retryDelayInMs: options.retryDelayMs ?? 800,
      maxRetryDelayInMs: 60_000,
    },
  });
  if (local) {
    // The SDK's bearer policy refuses plain http; this one sets the same header from the same credential.
    client.pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
    const bearer: PipelinePolicy = {
      name: 'sandboxBearerPolicy',
      async sendRequest(request, next) {
        const token = await credential.getToken(`${endpoint}/.default`);
        if (token) request.headers.set('authorization', `Bearer ${token.token}`);
        return next(request);
      },
    };
    client.pipeline.addPolicy(bearer, { phase: 'Sign' });
  }
  return client;
}

class SubscriptionScan implements ArmReader {
  private readonly ctx: ScanContext;
  private readonly pipeline: typeof CoreRestPipeline;
  private readonly client: ResourceManagementClient;
  readonly subscriptionId: string;
  readonly endpoint: string;
  private readonly options: AzureScanOptions;
  /** The HTTP client the ARM pipeline sends through (keep-alive across the scan). */
  private readonly http: HttpClient;
  /** The egress policy's agent for the ARM endpoint's scheme, when the scan has a policy. */
  private readonly agent: HttpAgent | HttpsAgent | undefined;

  constructor(
    ctx: ScanContext,
    pipeline: typeof CoreRestPipeline,
    client: ResourceManagementClient,
    subscriptionId: string,
    endpoint: string,
    options: AzureScanOptions,
  ) {
    this.ctx = ctx;
    this.pipeline = pipeline;
    this.http = pipeline.createDefaultHttpClient();
    this.client = client;
    this.subscriptionId = subscriptionId;
    this.endpoint = endpoint;
    this.options = options;
    const agents = options.egress ? guardedAgents(options.egress) : undefined;
    this.agent = endpoint.startsWith('http:') ? agents?.httpAgent : agents?.httpsAgent;
  }

  async run(): Promise<Resource[]> {
    const sub = `/subscriptions/${this.subscriptionId}`;
    const out: Resource[] = [];
    const storage = await this.list(
      'storageAccounts.list',
      `${sub}/providers/Microsoft.Storage/storageAccounts`,
      API_VERSIONS.storage,
    );
    out.push(...(storage ?? []).map((a) => this.storageAccount(a)));
    const nsgs = await this.list(
      'networkSecurityGroups.listAll',
      `${sub}/providers/Microsoft.Network/networkSecurityGroups`,
      API_VERSIONS.network,
    );
    out.push(...(nsgs ?? []).map((g) => this.securityGroup(g)));
    const vaults = await this.list(
      'vaults.listBySubscription',
      `${sub}/providers/Microsoft.KeyVault/vaults`,
      API_VERSIONS.keyvault,
    );
    out.push(...(vaults ?? []).map((v) => this.vault(v)));
    const keys = await mapWithConcurrency(vaults ?? [], this.options.concurrency ?? 4, (v) =>
      this.vaultKeys(v),
    );
    out.push(...keys.flat());
    const servers = await this.list(
      'servers.list',
      `${sub}/providers/Microsoft.Sql/servers`,
      API_VERSIONS.sql,
    );
    out.push(
      ...(await mapWithConcurrency(servers ?? [], this.options.concurrency ?? 4, (s) => this.sqlServer(s))),
    );
    const apps = await this.list('webApps.list', `${sub}/providers/Microsoft.Web/sites`, API_VERSIONS.web);
    out.push(...(await mapWithConcurrency(apps ?? [], this.options.concurrency ?? 4, (a) => this.webApp(a))));
    out.push(...(await scanDefender(this)));
    out.push(...(await scanMonitor(this)));
    out.push(...(await scanCompute(this)));
    out.push(...(await scanContainerService(this)));
    out.push(...(await scanCosmosDb(this)));
    out.push(...(await scanPostgres(this)));
    out.push(...(await scanAuthorization(this)));
    return out;
  }

  /** One GET through the ARM pipeline; the parsed body, or null with the failure recorded. */
  async get(
    operation: Operation,
    url: string,
    resourceId: string | null,
    notFoundIsNull = false,
  ): Promise<Json | null | undefined> {
    const result = await this.ctx.request((): Promise<PipelineResponse> =>
      this.client.pipeline.sendRequest(
        this.http,
        this.pipeline.createPipelineRequest({
          url,
          method: 'GET',
          // Only the loopback sandbox is plain http; anything else must be https.
          allowInsecureConnection: isLoopbackHttp(this.endpoint),
          ...(this.agent ? { agent: this.agent } : {}),
          ...(this.ctx.options.signal ? { abortSignal: this.ctx.options.signal } : {}),
        }),
      ),
    );
    if (!result.ok) {
      if (result.error instanceof ScanFailedError) throw result.error;
      const e = result.error as { code?: string; message?: string };
      throw new ScanFailedError(
        'ENDPOINT_UNREACHABLE',
        `could not reach ${this.endpoint} for ${operation} (${e.code ?? 'error'}): ${this.ctx.redact(e.message ?? '')}`,
        { cause: result.error },
      );
    }
    const response = result.value;
    let body: Json;
    try {
      body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as Json) : {};
    } catch {
      this.ctx.recordError({
        operation: `azure:${operation}`,
        resource_id: resourceId,
        code: 'InvalidResponse',
        message: `the answer to ${operation} is not JSON`,
        missing_permission: null,
      });
      return undefined;
    }
    if (response.status >= 200 && response.status < 300) return body;
    if (response.status === 404 && notFoundIsNull) return null;
    const error = (body.error ?? {}) as { code?: string; message?: string };
    if (response.status === 401) {
      throw new ScanFailedError(
        'INVALID_CREDENTIALS',
        `Azure refused the access token (${error.code ?? '401'}): ${this.ctx.redact(error.message ?? '')}`,
      );
    }
    this.ctx.recordError({
      operation: `azure:${operation}`,
      resource_id: resourceId,
      code: error.code ?? String(response.status),
      message: this.ctx.redact(error.message ?? `HTTP ${response.status}`),
      missing_permission: response.status === 403 ? AZURE_PERMISSIONS[operation] : null,
    });
    return undefined;
  }

  /** Every page of an ARM list (`value` + `nextLink`); null when a page fails. */
  async list(
    operation: Operation,
    path: string,
    apiVersion: string,
    resourceId: string | null = null,
  ): Promise<Json[] | null> {
    const items: Json[] = [];
    let url: string | undefined = `${this.endpoint}${path}?api-version=${apiVersion}`;
    while (url) {
      const page = await this.get(operation, url, resourceId);
      if (!page) return null;
      items.push(...((page.value as Json[] | undefined) ?? []));
      url = typeof page.nextLink === 'string' && page.nextLink ? page.nextLink : undefined;
    }
    return items;
  }

  envelope(item: Json, type: string, attributes: Json): Resource {
    const id = String(item.id);
    return this.ctx.resource({
      id,
      account: this.subscriptionId,
      region: String(item.location ?? 'global'),
      type,
      name: String(item.name ?? id),
      attributes: { resource_group: resourceGroupOf(id), ...attributes },
      source:
        this.endpoint === 'https://management.azure.com'
          ? { api: 'arm' }
          : { api: 'arm', endpoint: this.endpoint },
    });
  }

  private storageAccount(a: Json): Resource {
    const p = (a.properties ?? {}) as Json;
    const enc = (p.encryption ?? {}) as Json;
    const services = (enc.services ?? {}) as Record<string, Json | undefined>;
    const acls = (p.networkAcls ?? {}) as Json;
    const tls = p.minimumTlsVersion;
    return this.envelope(a, 'azure.storage.account', {
      kind: String(a.kind ?? ''),
      sku_name: String(((a.sku ?? {}) as Json).name ?? ''),
      https_only: p.supportsHttpsTrafficOnly === true,
      minimum_tls_version: typeof tls === 'string' ? tls : null,
      allow_blob_public_access: p.allowBlobPublicAccess === true,
      allow_shared_key_access: p.allowSharedKeyAccess !== false,
      public_network_access: typeof p.publicNetworkAccess === 'string' ? p.publicNetworkAccess : null,
      network_default_action: acls.defaultAction === 'Deny' ? 'Deny' : 'Allow',
      encryption: {
        key_source: String(enc.keySource ?? 'Microsoft.Storage'),
        blob_enabled: services.blob?.enabled === true,
        file_enabled: services.file?.enabled === true,
        require_infrastructure_encryption: enc.requireInfrastructureEncryption === true,
      },
    });
  }

  private securityGroup(g: Json): Resource {
    const p = (g.properties ?? {}) as Json;
    const rules = [
      ...((p.securityRules as Json[]) ?? []).map((r) => nsgRule(r, false)),
      ...((p.defaultSecurityRules as Json[]) ?? []).map((r) => nsgRule(r, true)),
    ];
    return this.envelope(g, 'azure.network.security_group', {
      security_rules: rules,
      attached_subnet_ids: ((p.subnets as Json[]) ?? []).map((s) => String(s.id)),
      attached_network_interface_ids: ((p.networkInterfaces as Json[]) ?? []).map((s) => String(s.id)),
    });
  }

  /**
   * A vault's keys through ARM (metadata only: ARM never returns key material). Timestamps come as epoch
   * seconds; an expiry is absent from the answer when none is set.
   */
  private async vaultKeys(v: Json): Promise<Resource[]> {
    const vaultId = String(v.id);
    const keys = await this.list('keys.list', `${vaultId}/keys`, API_VERSIONS.keyvault, vaultId);
    return (keys ?? []).map((k) => {
      const p = (k.properties ?? {}) as Json;
      const a = (p.attributes ?? {}) as Json;
      const time = (epoch: unknown): string | null =>
        typeof epoch === 'number' ? new Date(epoch * 1000).toISOString() : null;
      return this.envelope({ ...k, location: k.location ?? v.location }, 'azure.keyvault.key', {
        vault_name: String(v.name),
        key_type: String(p.kty ?? ''),
        key_size: typeof p.keySize === 'number' ? p.keySize : null,
        curve_name: typeof p.curveName === 'string' ? p.curveName : null,
        enabled: a.enabled !== false,
        created_at: time(a.created),
        expires_at: time(a.exp),
      });
    });
  }

  private vault(v: Json): Resource {
    const p = (v.properties ?? {}) as Json;
    const acls = (p.networkAcls ?? {}) as Json;
    return this.envelope(v, 'azure.keyvault.vault', {
      sku_name: ((p.sku ?? {}) as Json).name === 'premium' ? 'premium' : 'standard',
      soft_delete_enabled: p.enableSoftDelete !== false,
      soft_delete_retention_days:
        typeof p.softDeleteRetentionInDays === 'number' ? p.softDeleteRetentionInDays : 90,
      purge_protection_enabled: p.enablePurgeProtection === true,
      rbac_authorization_enabled: p.enableRbacAuthorization === true,
      public_network_access:
        p.publicNetworkAccess === 'Enabled' || p.publicNetworkAccess === 'Disabled'
          ? p.publicNetworkAccess
          : null,
      network_default_action: acls.defaultAction === 'Deny' ? 'Deny' : 'Allow',
    });
  }

  /**
   * An App Service app (web, API or function app). The site list leaves most of siteConfig empty, so the
   * TLS, FTP and debugging settings come from its `config/web` resource; they are absent when that read fails.
   */
  private async webApp(a: Json): Promise<Resource> {
    const id = String(a.id);
    const p = (a.properties ?? {}) as Json;
    const attributes: Json = {
      kind: String(a.kind ?? 'app'),
      https_only: p.httpsOnly === true,
      public_network_access: typeof p.publicNetworkAccess === 'string' ? p.publicNetworkAccess : null,
      managed_identity_type: managedIdentityType(a.identity),
    };
    const config = await this.get(
      'webApps.getConfiguration',
      `${this.endpoint}${id}/config/web?api-version=${API_VERSIONS.web}`,
      id,
    );
    if (config) {
      const c = (config.properties ?? {}) as Json;
      const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
      attributes.minimum_tls_version = text(c.minTlsVersion);
      attributes.scm_minimum_tls_version = text(c.scmMinTlsVersion);
      attributes.ftps_state = text(c.ftpsState);
      attributes.remote_debugging_enabled = c.remoteDebuggingEnabled === true;
      attributes.http20_enabled = c.http20Enabled === true;
    }
    return this.envelope(a, 'azure.appservice.app', attributes);
  }

  private async sqlServer(s: Json): Promise<Resource> {
    const id = String(s.id);
    const p = (s.properties ?? {}) as Json;
    const admins = p.administrators as Json | undefined;
    const attributes: Json = {
      version: String(p.version ?? ''),
      minimal_tls_version: typeof p.minimalTlsVersion === 'string' ? p.minimalTlsVersion : null,
      public_network_access: typeof p.publicNetworkAccess === 'string' ? p.publicNetworkAccess : null,
      entra_admin_configured: admins !== undefined && admins !== null,
      entra_only_authentication: admins?.azureADOnlyAuthentication === true,
    };
    const auditing = await this.get(
      'serverBlobAuditingPolicies.get',
      `${this.endpoint}${id}/auditingSettings/default?api-version=${API_VERSIONS.sql}`,
      id,
    );
    if (auditing) {
      const ap = (auditing.properties ?? {}) as Json;
      attributes.auditing = {
        enabled: ap.state === 'Enabled',
        retention_days: typeof ap.retentionDays === 'number' ? ap.retentionDays : 0,
      };
    }
    const protector = await this.get(
      'encryptionProtectors.get',
      `${this.endpoint}${id}/encryptionProtector/current?api-version=${API_VERSIONS.sql}`,
      id,
    );
    if (protector) {
      const type = ((protector.properties ?? {}) as Json).serverKeyType;
      attributes.tde_protector = {
        server_key_type: type === 'AzureKeyVault' ? 'AzureKeyVault' : 'ServiceManaged',
      };
    }
    const databases = await this.list('databases.listByServer', `${id}/databases`, API_VERSIONS.sql, id);
    if (databases) {
      const user = databases.filter((d) => d.name !== 'master');
      const read = [];
      let complete = true;
      for (const db of user) {
        const tde = await this.get(
          'transparentDataEncryptions.get',
          `${this.endpoint}${id}/databases/${String(db.name)}/transparentDataEncryption/current?api-version=${API_VERSIONS.sql}`,
          id,
        );
        if (!tde) {
          complete = false;
          continue;
        }
        read.push({
          name: String(db.name),
          tde_enabled: ((tde.properties ?? {}) as Json).state === 'Enabled',
        });
      }
      if (complete) attributes.databases = read;
    }
    return this.envelope(s, 'azure.sql.server', attributes);
  }
}

/** A resource's managed identity type ("None" and no identity both mean none). */
function managedIdentityType(identity: unknown): string | null {
  const type = (identity as Json | undefined)?.type;
  return typeof type === 'string' && type && type !== 'None' ? type : null;
}

/** The resource group named in an ARM id (/subscriptions/…/resourceGroups/<name>/…). */
export function resourceGroupOf(id: string): string {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
}

/** Port ranges of an NSG rule: "22", "1000-2000" or "*" (0-65535). */
export function portRanges(single: unknown, many: unknown): { from: number; to: number }[] {
  const specs = [
    ...(typeof single === 'string' && single ? [single] : []),
    ...(Array.isArray(many) ? many.map(String) : []),
  ];
  return specs.map((spec) => {
    if (spec === '*') return { from: 0, to: 65535 };
    const [from, to] = spec.split('-').map((n) => Number(n.trim()));
    return { from: from ?? 0, to: to ?? from ?? 0 };
  });
}

function nsgRule(rule: Json, defaultRule: boolean): Json {
  const p = (rule.properties ?? {}) as Json;
  const sources = [
    ...(typeof p.sourceAddressPrefix === 'string' && p.sourceAddressPrefix ? [p.sourceAddressPrefix] : []),
    ...((p.sourceAddressPrefixes as string[]) ?? []),
  ];
  return {
    name: String(rule.name ?? ''),
    priority: Number(p.priority ?? 0),
    direction: p.direction === 'Outbound' ? 'Outbound' : 'Inbound',
    access: p.access === 'Deny' ? 'Deny' : 'Allow',
    protocol: String(p.protocol ?? '*'),
    source_address_prefixes: sources,
    destination_port_ranges: portRanges(p.destinationPortRange, p.destinationPortRanges),
    default_rule: defaultRule,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function assertValidAzureTarget(target: AzureScanTarget): void {
  const problems: string[] = [];
  if (!UUID.test(target?.tenantId ?? '')) problems.push('tenantId must be a UUID');
  if (
    !Array.isArray(target?.subscriptionIds) ||
    target.subscriptionIds.length === 0 ||
    target.subscriptionIds.some((s) => !UUID.test(s))
  ) {
    problems.push('subscriptionIds must list subscription UUIDs');
  }
  if (!UUID.test(target?.clientId ?? '')) problems.push('clientId must be a UUID');
  if (target?.certificate !== undefined) {
    if (typeof target.certificate !== 'string' || !/-----BEGIN CERTIFICATE-----/.test(target.certificate))
      problems.push('certificate must be a PEM certificate with its private key');
  } else if (typeof target?.clientSecret !== 'string' || target.clientSecret.length < 8)
    problems.push('clientSecret (or certificate) is required');
  if (target?.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(target.endpoint);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'https:' && !isLoopbackHttp(target.endpoint)))
      problems.push('endpoint must be https (or a loopback http sandbox)');
  }
  if (problems.length > 0)
    throw new ScanFailedError('INVALID_CONFIG', `invalid Azure scan target: ${problems.join('; ')}`);
}
