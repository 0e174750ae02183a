/**
 * Contracts shared by every scanner: what a scan reports while it runs, what it returns, and the one
 * error it throws when it cannot run at all. A scanner never throws for a single unreadable resource:
 * that becomes a ScanError in the outcome and the scan goes on.
 */
import type { Resource, ScanError } from '../schemas/index.ts';
import type { EgressPolicy } from './egress.ts';
import type { CallLimiterFactory } from './rate-limit.ts';

export type { Resource, ScanError };

/** A snapshot of a running scan, handed to `ScanOptions.onProgress` after every API call. */
export interface ScanProgress {
  /** What the scanner is doing now, e.g. `listing_buckets`, `reading_buckets`, `done`. */
  phase: string;
  resources_collected: number;
  /** Logical API calls made so far (SDK retries of one call count once). */
  calls_made: number;
  /** ScanErrors recorded so far. */
  errors: number;
}

export interface ScanOptions {
  /** Called with a fresh snapshot after each call and at each phase change; counts never decrease. */
  onProgress?: (progress: ScanProgress) => void;
  /** Aborting stops the scan before its next call; the scan then rejects with ScanFailedError `ABORTED`. */
  signal?: AbortSignal;
  /** Clock for `collected_at`; tests pass a fixed one. */
  now?: () => Date;
  /**
   * Where provider calls may go (scanners/egress.ts): the API passes the operator's policy, tests one that
   * allowlists their fixture servers. Without one, the scanner's clients connect anywhere.
   */
  egress?: EgressPolicy;
  /** Sustained provider calls per second for this integration; unset, the provider's default. */
  callsPerSecond?: number;
  /**
   * The limiters the scan's calls wait for; unset, each scan context paces itself in this process. The API
   * passes limiters shared by every worker process scanning the same integration.
   */
  rateLimiter?: CallLimiterFactory;
  /**
   * Scan only this part of the integration, one of the keys its provider's `parts` lists (WHOLE_SCAN, the
   * default, is all of it). The parts of one listing together collect exactly what the whole scan collects.
   */
  part?: string;
}

/** The part key of a scan of the whole integration: the one part of a provider that cannot split. */
export const WHOLE_SCAN = 'all';

export interface ScanOutcome {
  /** Normalized resources, each already validated against its schema. */
  resources: Resource[];
  /** Everything the scanner could not read; the matching attributes are absent from the resources. */
  errors: ScanError[];
  progress: ScanProgress;
}

/**
 * Why a whole scan could not proceed. Defined here, in one place, so the API and the app can map
 * each to a message and an HTTP status.
 */
export const SCAN_FAILURE_CODES = {
  INVALID_CREDENTIALS: 'the provider does not accept the access key or its signature',
  EXPIRED_CREDENTIALS: 'the session credentials have expired',
  CLOCK_SKEW: "the provider rejected the request time: this machine's clock is off",
  PERMISSION_DENIED: 'the credentials may not list the resources at all',
  ENDPOINT_UNREACHABLE: 'the provider endpoint could not be reached',
  EGRESS_DENIED: 'the endpoint is an internal address or a host the operator has not allowed',
  PROVIDER_ERROR: 'the provider answered with an unexpected error',
  INVALID_CONFIG: 'the integration configuration is incomplete or malformed',
  UNSUPPORTED_PROVIDER: 'no scanner exists for this provider',
  ABORTED: 'the scan was cancelled',
} as const;

export type ScanFailureCode = keyof typeof SCAN_FAILURE_CODES;

/** Thrown only when the whole scan cannot proceed (bad credentials, unreachable endpoint, cancelled). */
export class ScanFailedError extends Error {
  readonly code: ScanFailureCode;
  /** The IAM action (or equivalent) that would let the scan proceed, when that is the problem. */
  readonly missingPermission: string | null;

  constructor(
    code: ScanFailureCode,
    message: string,
    options: { cause?: unknown; missingPermission?: string | null } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScanFailedError';
    this.code = code;
    this.missingPermission = options.missingPermission ?? null;
  }
}
