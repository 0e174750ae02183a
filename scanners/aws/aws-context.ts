/**
 * The state one AWS account scan shares across services: effective credentials, SDK client settings,
 * the rate limiter, call counting, error recording and resource building. Every AWS call of the
 * service scanners goes through `call()`, which sorts failures the same way everywhere: abort and
 * refused credentials end the scan, an unreachable endpoint ends it too, anything else becomes a
 * ScanError naming the call and (for a refusal) the IAM action to grant.
 */
import { assertValidResource, type Resource, type ScanError } from '../../schemas/index.ts';
import { RateLimiter } from '../rate-limit.ts';
import { ScanFailedError, type ScanOptions, type ScanProgress } from '../types.ts';
import {
  awsAttempts,
  awsErrorCode,
  fatalCredentialError,
  isAbortError,
  isNetworkError,
  safeErrorMessage,
} from './aws-errors.ts';
import type { AwsCredentials } from './credentials.ts';

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

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: unknown; code: string };

/** Settings every AWS SDK client of a scan is built with. */
export interface AwsClientSettings {
  region: string;
  credentials: AwsCredentials;
  endpoint?: string;
  retryMode: 'standard';
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number };
}

export interface AwsContextOptions extends ScanOptions {
  /** Sustained AWS calls per second for this scan (default 20; IAM's documented quota is lower than most). */
  callsPerSecond?: number;
  /** Items asked for per page (capped by each API's maximum); tests use small pages to exercise pagination. */
  pageSize?: number;
}

export class AwsScanContext {
  readonly accountId: string;
  readonly endpoint: string | undefined;
  readonly options: AwsContextOptions;
  private credentials: AwsCredentials;
  private readonly secrets: (string | undefined)[];
  private readonly limiter: RateLimiter;
  private readonly clients = new Map<string, { destroy(): void }>();
  readonly errors: ScanError[] = [];
  readonly progress: ScanProgress = { phase: 'starting', resources_collected: 0, calls_made: 0, errors: 0 };
  /** Calls and resources of sub-scans that keep their own counters (the S3 scanner). */
  private external = { calls_made: 0, resources_collected: 0, errors: 0 };

  constructor(
    accountId: string,
    credentials: AwsCredentials,
    endpoint: string | undefined,
    options: AwsContextOptions,
  ) {
    this.accountId = accountId;
    this.credentials = credentials;
    this.endpoint = endpoint;
    this.options = options;
    this.secrets = [credentials.secretAccessKey, credentials.sessionToken];
    this.limiter = new RateLimiter(options.callsPerSecond ?? 20);
  }

  /** Switches to other credentials (after AssumeRole); their secrets are redacted from then on too. */
  useCredentials(credentials: AwsCredentials): void {
    this.credentials = credentials;
    this.secrets.push(credentials.secretAccessKey, credentials.sessionToken);
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  get currentCredentials(): AwsCredentials {
    return this.credentials;
  }

  get redactedSecrets(): readonly (string | undefined)[] {
    return this.secrets;
  }

  settings(region: string): AwsClientSettings {
    const { accessKeyId, secretAccessKey, sessionToken } = this.credentials;
    return {
      region,
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      ...(this.endpoint ? { endpoint: this.endpoint } : {}),
      retryMode: 'standard',
      maxAttempts: AWS_MAX_ATTEMPTS,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
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
  async call<T>(
    operation: string,
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<CallResult<T>> {
    const { signal } = this.options;
    this.throwIfAborted();
    try {
      await this.limiter.acquire(signal);
    } catch (error) {
      throw this.aborted(error);
    }
    try {
      return { ok: true, value: await send(signal) };
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw this.aborted(error);
      const fatal = fatalCredentialError(error, this.credentials.accessKeyId, this.secrets);
      if (fatal) throw fatal;
      const code = awsErrorCode(error);
      if (isNetworkError(error)) {
        throw new ScanFailedError(
          'ENDPOINT_UNREACHABLE',
          `could not reach ${this.endpoint ?? 'the AWS endpoint'} for ${operation} (${code}) after ${awsAttempts(error) ?? AWS_MAX_ATTEMPTS} attempts: ${safeErrorMessage(error, this.secrets)}`,
          { cause: error },
        );
      }
      return { ok: false, error, code };
    } finally {
      this.progress.calls_made += 1;
      this.emit();
    }
  }

  /** Records a failed call as a ScanError; `iamAction` is named when the provider refused it. */
  recordFailure(
    operation: string,
    iamAction: string,
    resourceId: string | null,
    failure: { error: unknown; code: string },
  ): void {
    this.errors.push({
      provider: 'aws',
      operation,
      resource_id: resourceId,
      code: failure.code,
      message: safeErrorMessage(failure.error, this.secrets),
      missing_permission: ACCESS_DENIED_CODES.has(failure.code) ? iamAction : null,
    });
    this.progress.errors = this.errors.length;
    this.emit();
  }

  /** Records a problem that is not an SDK error (e.g. an answer the scanner cannot interpret). */
  recordProblem(operation: string, resourceId: string | null, code: string, message: string): void {
    this.errors.push({
      provider: 'aws',
      operation,
      resource_id: resourceId,
      code,
      message,
      missing_permission: null,
    });
    this.progress.errors = this.errors.length;
    this.emit();
  }

  /** Validates and counts a resource of this account. `attributes` gets `now` for its ages. */
  resource(input: {
    id: string;
    region: string;
    type: string;
    name: string;
    api: string;
    now: Date;
    attributes: Record<string, unknown>;
  }): Resource {
    const resource = assertValidResource({
      id: input.id,
      provider: 'aws',
      account: this.accountId,
      region: input.region,
      type: input.type,
      name: input.name,
      attributes: input.attributes,
      collected_at: input.now.toISOString(),
      source: this.endpoint ? { api: input.api, endpoint: this.endpoint } : { api: input.api },
    });
    this.progress.resources_collected += 1;
    this.emit();
    return resource;
  }

  /** The page size to ask an API for, given that API's largest allowed page. */
  pageSize(apiMaximum: number): number {
    return Math.min(apiMaximum, this.options.pageSize ?? apiMaximum);
  }

  /** The time a resource is read at (a fixed clock in tests). */
  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Folds a sub-scan's live counters into the reported progress. */
  setExternal(progress: Pick<ScanProgress, 'calls_made' | 'resources_collected' | 'errors'>): void {
    this.external = { ...progress };
    this.emit();
  }

  setPhase(phase: string): void {
    this.progress.phase = phase;
    this.emit();
  }

  snapshot(): ScanProgress {
    return {
      phase: this.progress.phase,
      resources_collected: this.progress.resources_collected + this.external.resources_collected,
      calls_made: this.progress.calls_made + this.external.calls_made,
      errors: this.progress.errors + this.external.errors,
    };
  }

  emit(): void {
    this.options.onProgress?.(this.snapshot());
  }

  throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.aborted(this.options.signal.reason);
  }

  private aborted(cause: unknown): ScanFailedError {
    return new ScanFailedError('ABORTED', 'the AWS scan was cancelled before it finished', { cause });
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
