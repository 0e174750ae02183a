/**
 * Reading AWS SDK v3 errors: which provider code they carry, whether they end the whole scan, and a
 * message that is safe to store (never the secret key or session token).
 */
import { describeFailure } from '../scan-context.ts';
import { ScanFailedError, type ScanFailureCode } from '../types.ts';

/** Codes meaning the credentials themselves are refused: every further call would fail the same way. */
const FATAL_PROVIDER_CODES: Record<string, ScanFailureCode> = {
  InvalidAccessKeyId: 'INVALID_CREDENTIALS',
  SignatureDoesNotMatch: 'INVALID_CREDENTIALS',
  InvalidToken: 'INVALID_CREDENTIALS',
  InvalidClientTokenId: 'INVALID_CREDENTIALS',
  UnrecognizedClientException: 'INVALID_CREDENTIALS',
  // EC2's answer to an unknown access key.
  AuthFailure: 'INVALID_CREDENTIALS',
  ExpiredToken: 'EXPIRED_CREDENTIALS',
  ExpiredTokenException: 'EXPIRED_CREDENTIALS',
  TokenRefreshRequired: 'EXPIRED_CREDENTIALS',
  RequestTimeTooSkewed: 'CLOCK_SKEW',
};

/** Node socket error codes that mean nothing answered at the endpoint. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

/** The provider's error code (`AccessDenied`, `NoSuchBucketPolicy`…) or the socket code for network errors. */
export function awsErrorCode(error: unknown): string {
  const e = (error ?? {}) as SdkErrorShape;
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  if (typeof e.code === 'string' && e.code) return e.code;
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  return 'UnknownError';
}

/** HTTP status of the provider's answer, when there was one. */
export function awsHttpStatus(error: unknown): number | undefined {
  return (error as SdkErrorShape | null)?.$metadata?.httpStatusCode;
}

/** How many attempts the SDK made before giving up, when it says. */
export function awsAttempts(error: unknown): number | undefined {
  return (error as SdkErrorShape | null)?.$metadata?.attempts;
}

/** True when the request never got an HTTP answer (refused, reset, DNS, timeout). */
export function isNetworkError(error: unknown): boolean {
  const e = (error ?? {}) as SdkErrorShape;
  if (awsHttpStatus(error) !== undefined) return false;
  return (
    (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) ||
    e.name === 'TimeoutError' ||
    e.name === 'RequestTimeout'
  );
}

/** True when the error came from an AbortSignal rather than from AWS. */
export function isAbortError(error: unknown): boolean {
  const name = (error as SdkErrorShape | null)?.name;
  return name === 'AbortError';
}

/** Replaces every occurrence of the given secrets in a text by `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * A storable one-line account of an SDK error (scanners/scan-context.ts describeFailure): the HTTP status
 * and AWS's error code, never the message body; secrets removed all the same.
 */
export function safeErrorMessage(error: unknown, secrets: readonly (string | undefined)[]): string {
  return redact(describeFailure(awsHttpStatus(error), awsErrorCode(error), !isNetworkError(error)), secrets);
}

/**
 * The ScanFailedError an error means anywhere in a scan, or null when it only concerns one call
 * (credentials refused or expired are fatal wherever they show up).
 */
export function fatalCredentialError(
  error: unknown,
  accessKeyId: string,
  secrets: readonly (string | undefined)[],
): ScanFailedError | null {
  const providerCode = awsErrorCode(error);
  const code = FATAL_PROVIDER_CODES[providerCode];
  if (!code) return null;
  const detail = safeErrorMessage(error, secrets);
  const key = describeAccessKey(accessKeyId);
  const advice: Partial<Record<ScanFailureCode, string>> = {
    INVALID_CREDENTIALS: `AWS refused the credentials for ${key} (${providerCode}): check the access key id and secret access key`,
    EXPIRED_CREDENTIALS: `the session credentials for ${key} have expired (${providerCode}): issue new ones`,
    CLOCK_SKEW: `AWS rejected the request time (${providerCode}): synchronise this machine's clock`,
  };
  return new ScanFailedError(code, `${advice[code]} (AWS answered ${detail})`, { cause: error });
}

/** Names an access key without printing it whole: only its last four characters. */
export function describeAccessKey(accessKeyId: string): string {
  return accessKeyId.length > 4 ? `access key id ending in ${accessKeyId.slice(-4)}` : 'the access key id';
}
