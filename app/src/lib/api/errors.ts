/** Error codes the app raises itself, beside the codes the API sends in `{ error: { code } }`. */
export const CLIENT_ERROR_CODES = {
  /** The request never got an answer (server down, connection refused, offline). */
  NETWORK: 'NETWORK_ERROR',
  /** The server answered with a body that is not the JSON the contract promises. */
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** The session ended and a refresh could not renew it. */
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  /** The caller stopped waiting (an AbortSignal fired). */
  ABORTED: 'ABORTED',
} as const;

/** A failed API call: the HTTP status (0 when there was no answer) and the error code and message. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Reads `{ error: { code, message, details } }` from an error response, or describes what came instead. */
export async function apiErrorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string') {
    return new ApiError(response.status, error.code, error.message, error.details);
  }
  return new ApiError(
    response.status,
    CLIENT_ERROR_CODES.BAD_RESPONSE,
    `The server answered ${response.status} ${response.statusText} without an error description.`,
  );
}

/** A message fit for the page, whatever was thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
