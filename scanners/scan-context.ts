/**
 * What every SaaS scanner (GitHub, Okta, Azure) shares during one scan: the per-integration rate
 * limiter and call counting, ScanErrors with the missing permission, progress snapshots, validated
 * resources, and redaction of the integration's secrets from every stored message.
 */
import { assertValidResource, type Resource, type ScanError } from '../schemas/index.ts';
import { RateLimiter } from './rate-limit.ts';
import { ScanFailedError, type ScanOptions, type ScanProgress } from './types.ts';

export interface ProviderScanOptions extends ScanOptions {
  /** Sustained calls per second for this integration. */
  callsPerSecond?: number;
}

/** The result of one call: its value, or what went wrong (never thrown unless fatal). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; status: number | undefined };

export class ProviderScanContext {
  readonly provider: Resource['provider'];
  readonly options: ProviderScanOptions;
  readonly errors: ScanError[] = [];
  readonly progress: ScanProgress = { phase: 'starting', resources_collected: 0, calls_made: 0, errors: 0 };
  private readonly secrets: string[];
  private readonly limiter: RateLimiter;

  constructor(
    provider: Resource['provider'],
    secrets: (string | undefined)[],
    options: ProviderScanOptions,
    defaultRate: number,
  ) {
    this.provider = provider;
    this.options = options;
    this.secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4);
    this.limiter = new RateLimiter(options.callsPerSecond ?? defaultRate);
  }

  /** Waits for the rate limiter, then runs one logical call (SDK retries inside it count once). */
  async call<T>(
    send: () => Promise<T>,
    statusOf: (error: unknown) => number | undefined,
  ): Promise<Outcome<T>> {
    this.throwIfAborted();
    try {
      await this.limiter.acquire(this.options.signal);
    } catch (error) {
      throw this.aborted(error);
    }
    try {
      return { ok: true, value: await send() };
    } catch (error) {
      if (this.options.signal?.aborted) throw this.aborted(error);
      return { ok: false, error, status: statusOf(error) };
    } finally {
      this.progress.calls_made += 1;
      this.emit();
    }
  }

  /** Counts a call made outside `call()` (each page of an SDK paginator). */
  async beforeCall(): Promise<void> {
    this.throwIfAborted();
    try {
      await this.limiter.acquire(this.options.signal);
    } catch (error) {
      throw this.aborted(error);
    }
    this.progress.calls_made += 1;
    this.emit();
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
