/**
 * The state one AWS account scan shares across services, S3 included: effective credentials and SDK
 * client settings on top of the shared ScanContext (rate limiter, call counting, error recording,
 * resources). Every AWS call of the service scanners goes through `call()`, which sorts failures the same
 * way everywhere: abort and refused credentials end the scan, an unreachable endpoint ends it too,
 * anything else becomes a ScanError naming the call and (for a refusal) the IAM action to grant.
 */
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Resource } from '../../schemas/index.ts';
import { guardedAgents } from '../egress.ts';
import {
  ScanContext,
  type CallResult,
  type ProviderErrors,
  type ProviderScanOptions,
} from '../scan-context.ts';
import { ScanFailedError } from '../types.ts';
import {
  awsAttempts,
  awsErrorCode,
  awsHttpStatus,
  fatalCredentialError,
  isAbortError,
  isNetworkError,
  safeErrorMessage,
} from './aws-errors.ts';
import type { AwsCredentials } from './credentials.ts';

export type { CallResult };

/** Provider codes meaning "this caller may not do this": the ScanError then names the IAM action. */
export const ACCESS_DENIED_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'UnauthorizedAccess',
]);

/** The SDK's standard retry mode: throttling and 5xx answers are retried with jittered backoff. */
export const AWS_MAX_ATTEMPTS = 3;

const AWS_ERRORS: ProviderErrors = { code: awsErrorCode, status: awsHttpStatus, isAbort: isAbortError };

/** Settings every AWS SDK client of a scan is built with. */
export interface AwsClientSettings {
  region: string;
  credentials: AwsCredentials;
  endpoint?: string;
  retryMode: 'standard';
  maxAttempts: number;
  requestHandler: {
    connectionTimeout: number;
    requestTimeout: number;
    httpAgent?: HttpAgent;
    httpsAgent?: HttpsAgent;
  };
}

export interface AwsContextOptions extends ProviderScanOptions {
  /** Items asked for per page (capped by each API's maximum); tests use small pages to exercise pagination. */
  pageSize?: number;
}

export class AwsScanContext extends ScanContext {
  readonly accountId: string;
  readonly endpoint: string | undefined;
  declare readonly options: AwsContextOptions;
  private credentials: AwsCredentials;
  private readonly clients = new Map<string, { destroy(): void }>();

  constructor(
    accountId: string,
    credentials: AwsCredentials,
    endpoint: string | undefined,
    options: AwsContextOptions,
  ) {
    // 20 calls a second by default; IAM's documented quota is lower than most services'.
    super('aws', [credentials.secretAccessKey, credentials.sessionToken], options, 20, AWS_ERRORS);
    this.accountId = accountId;
    this.credentials = credentials;
    this.endpoint = endpoint;
  }

  /** Switches to other credentials (after AssumeRole); their secrets are redacted from then on too. */
  useCredentials(credentials: AwsCredentials): void {
    this.credentials = credentials;
    this.addSecrets([credentials.secretAccessKey, credentials.sessionToken]);
    this.close();
  }

  get currentCredentials(): AwsCredentials {
    return this.credentials;
  }

  settings(region: string): AwsClientSettings {
    const { accessKeyId, secretAccessKey, sessionToken } = this.credentials;
    return {
      region,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      retryMode: 'standard',
      maxAttempts: AWS_MAX_ATTEMPTS,
      requestHandler: {
        connectionTimeout: 5_000,
        requestTimeout: 30_000,
        // Every connection of the client goes where the egress policy allows.
        ...(this.options.egress ? guardedAgents(this.options.egress) : {}),
      },
    };
  }

  /** One client per service and region for the whole scan (keep-alive sockets are reused). */
  client<T extends { destroy(): void }>(
    service: string,
    region: string,
    create: (settings: AwsClientSettings) => T,
  ): T {
    const key = `${service}@${region}`;
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = create(this.settings(region));
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  /**
   * Makes one call (`operation` like `iam:ListUsers`) after the rate limiter allows it, counts it, and
   * sorts its failure. Never throws for a failure that only concerns this call.
   */
  call<T>(
    operation: string,
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<CallResult<T>> {
    return this.request(send, ({ error }) => {
      const fatal = fatalCredentialError(error, this.credentials.accessKeyId, this.redactedSecrets);
      if (fatal) return fatal;
      if (!isNetworkError(error)) return null;
      return new ScanFailedError(
        'ENDPOINT_UNREACHABLE',
        `could not reach ${this.endpoint ?? 'the AWS endpoint'} for ${operation} after ${awsAttempts(error) ?? AWS_MAX_ATTEMPTS} attempts: ${safeErrorMessage(error, this.redactedSecrets)}`,
        { cause: error },
      );
    });
  }

  /** Records a failed call as a ScanError; `iamAction` is named when the provider refused it. */
  recordFailure(
    operation: string,
    iamAction: string,
    resourceId: string | null,
    failure: { error: unknown; code: string },
  ): void {
    this.recordError({
      operation,
      resource_id: resourceId,
      code: failure.code,
      message: safeErrorMessage(failure.error, this.redactedSecrets),
      missing_permission: ACCESS_DENIED_CODES.has(failure.code) ? iamAction : null,
    });
  }

  /** Records a problem that is not an SDK error (e.g. an answer the scanner cannot interpret). */
  recordProblem(operation: string, resourceId: string | null, code: string, message: string): void {
    this.recordError({ operation, resource_id: resourceId, code, message, missing_permission: null });
  }

  /** Validates and counts a resource of this account. `attributes` gets `now` for its ages. */
  accountResource(input: {
    id: string;
    region: string;
    type: string;
    name: string;
    api: string;
    now: Date;
    attributes: Record<string, unknown>;
  }): Resource {
    return this.resource({
      id: input.id,
      account: this.accountId,
      region: input.region,
      type: input.type,
      name: input.name,
      attributes: input.attributes,
      collected_at: input.now.toISOString(),
      source: this.endpoint ? { api: input.api, endpoint: this.endpoint } : { api: input.api },
    });
  }

  /** The page size to ask an API for, given that API's largest allowed page. */
  pageSize(apiMaximum: number): number {
    return Math.min(apiMaximum, this.options.pageSize ?? apiMaximum);
  }
}

/** Whole days from `then` to `now`; null when `then` is null. */
export function ageDays(then: Date | string | null | undefined, now: Date): number | null {
  if (then === null || then === undefined) return null;
  const time = typeof then === 'string' ? Date.parse(then) : then.getTime();
  if (!Number.isFinite(time)) return null;
  return Math.max(0, Math.floor((now.getTime() - time) / 86_400_000));
}

/** ISO string of an SDK date, or null. */
export function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isFinite(date.getTime()) ? date.toISOString() : null;
}
