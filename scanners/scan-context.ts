/**
 * What every scanner shares during one scan, whatever the provider or service: the rate limiter every
 * call waits for (the caller's, or one of this scan's own), call counting, ScanErrors with the missing permission,
 * progress snapshots, validated resources, cancellation, and redaction of the integration's secrets
 * from every stored message. AWS adds its clients and error sorting on top (aws/aws-context.ts); the
 * SaaS scanners use this class as it is.
 */
import { assertValidResource, type Resource, type ScanError } from '../schemas/index.ts';
import { egressDenial } from './egress.ts';
import { RateLimiter, type CallLimiter } from './rate-limit.ts';
import { ScanFailedError, type ScanOptions, type ScanProgress } from './types.ts';

/** The options every provider's scan takes (each provider adds its own on top). */
export type ProviderScanOptions = ScanOptions;

/**
 * The result of one call: its value, or what went wrong (never thrown unless fatal for the scan): the
 * provider's error code, and the HTTP status when the provider answered.
 */
export type CallResult<T> =
  { ok: true; value: T } | { ok: false; error: unknown; code: string; status: number | undefined };

/**
 * A provider failure in our words: the HTTP status and the provider's error code, never the message body
 * (whoever answers at the endpoint chooses that text, and it must not be reflected to the client), and one
 * phrase for every failure without an answer, so a refused, reset or timed-out connection read alike.
 */
export function describeFailure(
  status: number | undefined,
  code: string,
  answered = status !== undefined,
): string {
  if (!answered) return 'no answer from the endpoint';
  const providerCode = /^[A-Za-z0-9_.:-]{1,64}$/.test(code) ? code : 'an unrecognised code';
  return status === undefined ? providerCode : `HTTP ${status}, ${providerCode}`;
}

/** How one provider's SDK errors read. */
export interface ProviderErrors {
  /** The provider's error code (`AccessDenied`, `E0000006`…), or a socket code for network errors. */
  code(error: unknown): string;
  /** The HTTP status of the provider's answer; undefined when there was none. */
  status(error: unknown): number | undefined;
  /** True when the SDK reports an AbortSignal rather than the provider. */
  isAbort(error: unknown): boolean;
}

/** Errors carrying `status` and `code`, as Octokit's and Okta's do. */
export const HTTP_ERRORS: ProviderErrors = {
  status: (error) => {
    const status = (error as { status?: unknown } | null)?.status;
    return typeof status === 'number' ? status : undefined;
  },
  code: (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code) return code;
    const status = HTTP_ERRORS.status(error);
    return status === undefined ? 'NetworkError' : String(status);
  },
  isAbort: (error) => (error as { name?: unknown } | null)?.name === 'AbortError',
};

export class ScanContext {
  readonly provider: Resource['provider'];
  readonly options: ProviderScanOptions;
  readonly errors: ScanError[] = [];
  readonly progress: ScanProgress = { phase: 'starting', resources_collected: 0, calls_made: 0, errors: 0 };
  /**
   * The last egress refusal an SDK hid behind its own generic error (MSAL reports any network failure as
   * `network_error`), so the caller can still say EGRESS_DENIED.
   */
  egressRefusal: string | null = null;
  private readonly secrets: string[] = [];
  private readonly limiter: CallLimiter;
  private readonly providerErrors: ProviderErrors;

  constructor(
    provider: Resource['provider'],
    secrets: (string | undefined)[],
    options: ProviderScanOptions,
    defaultRate: number,
    providerErrors: ProviderErrors = HTTP_ERRORS,
  ) {
    this.provider = provider;
    this.options = options;
    this.addSecrets(secrets);
    const rate = options.callsPerSecond ?? defaultRate;
    this.limiter = options.rateLimiter ? options.rateLimiter(rate) : new RateLimiter(rate);
    this.providerErrors = providerErrors;
  }

  /** Secrets to redact from now on too (credentials obtained during the scan, such as an assumed role's). */
  addSecrets(secrets: (string | undefined)[]): void {
    for (const s of secrets) if (typeof s === 'string' && s.length >= 4) this.secrets.push(s);
  }

  get redactedSecrets(): readonly string[] {
    return this.secrets;
  }

  /**
   * Waits for the rate limiter, then makes one logical call (SDK retries inside it count once) with the
   * scan's abort signal, and counts it. A failure is returned, unless cancelled or `fatal` says it ends
   * the scan (then that error is thrown).
   */
  async request<T>(
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
    fatal?: (failure: Extract<CallResult<T>, { ok: false }>) => Error | null,
  ): Promise<CallResult<T>> {
    const { signal } = this.options;
    await this.waitForTurn();
    try {
      return { ok: true, value: await send(signal) };
    } catch (error) {
      if (signal?.aborted || this.providerErrors.isAbort(error)) throw this.aborted(error);
      const denied = egressDenial(error);
      if (denied) throw new ScanFailedError('EGRESS_DENIED', denied.message, { cause: error });
      const failure = {
        ok: false as const,
        error,
        code: this.providerErrors.code(error),
        status: this.providerErrors.status(error),
      };
      const ending = fatal?.(failure);
      if (ending) throw ending;
      return failure;
    } finally {
      this.progress.calls_made += 1;
      this.emit();
    }
  }

  /** Paces and counts a call made outside `request()` (each page of an SDK paginator, an SDK's own request). */
  async beforeCall(): Promise<void> {
    await this.waitForTurn();
    this.progress.calls_made += 1;
    this.emit();
  }

  private async waitForTurn(): Promise<void> {
    this.throwIfAborted();
    try {
      await this.limiter.acquire(this.options.signal);
    } catch (error) {
      throw this.aborted(error);
    }
  }

  recordError(error: Omit<ScanError, 'provider' | 'message'> & { message: string }): void {
    this.errors.push({ provider: this.provider, ...error, message: this.redact(error.message) });
    this.progress.errors = this.errors.length;
    this.emit();
  }

  resource(input: Omit<Resource, 'provider' | 'collected_at'> & { collected_at?: string }): Resource {
    const resource = assertValidResource({
      ...input,
      provider: this.provider,
      collected_at: input.collected_at ?? this.now().toISOString(),
    });
    this.progress.resources_collected += 1;
    this.emit();
    return resource;
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Removes every secret of the integration from a text, and flattens it to one line. */
  redact(text: string): string {
    let out = text.replace(/\s+/g, ' ').trim();
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  setPhase(phase: string): void {
    this.progress.phase = phase;
    this.emit();
  }

  snapshot(): ScanProgress {
    return { ...this.progress };
  }

  emit(): void {
    this.options.onProgress?.(this.snapshot());
  }

  throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.aborted(this.options.signal.reason);
  }

  aborted(cause: unknown): ScanFailedError {
    return new ScanFailedError('ABORTED', `the ${this.provider} scan was cancelled before it finished`, {
      cause,
    });
  }
}
