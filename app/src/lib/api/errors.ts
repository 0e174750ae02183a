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

/** What the page says when the server refuses an action for the signed-in role (403). */
export const NOT_FOR_YOUR_ROLE =
  'This is not available for your role. Ask an admin of your organisation if you need it.';

/**
 * A message fit for the page, whatever was thrown. The API's messages are written for people, except a
 * refused role (403), which names permissions, and server failures (5xx), which say nothing useful to a
 * reader: those get the app's own wording. Codes are never shown.
 */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return NOT_FOR_YOUR_ROLE;
    if (error.status >= 500)
      return 'The server could not complete this request. Please try again in a moment.';
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
