/**
 * Every error code the API answers with, in one place, and the one error handler that turns any thrown error
 * into `{ error: { code, message, details? } }`. A client mistake never becomes a 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** HTTP status of each error code. */
export const errorStatus = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  BODY_TOO_DEEP: 400,
  PASSWORD_TOO_SHORT: 400,
  PASSWORD_TOO_LONG: 400,
  PASSWORD_REPETITIVE: 400,
  PASSWORD_COMMON: 400,
  PASSWORD_CONTAINS_EMAIL: 400,
  PASSWORD_INVALID_CHARACTER: 400,
  CURRENT_PASSWORD_WRONG: 400,
  RESET_TOKEN_INVALID: 400,
  RESET_TOKEN_USED: 400,
  RESET_TOKEN_EXPIRED: 400,
  SIGNUP_TOKEN_INVALID: 400,
  SIGNUP_TOKEN_USED: 400,
  SIGNUP_TOKEN_EXPIRED: 400,
  UNAUTHENTICATED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_REFRESH_TOKEN: 401,
  FORBIDDEN: 403,
  NO_MEMBERSHIP: 403,
  INVITATION_OTHER_ACCOUNT: 403,
  SIGNUP_OTHER_ACCOUNT: 403,
  ROUTE_NOT_FOUND: 404,
  INTEGRATION_NOT_FOUND: 404,
  SCAN_NOT_FOUND: 404,
  CONTROL_NOT_FOUND: 404,
  EVIDENCE_NOT_FOUND: 404,
  API_TOKEN_NOT_FOUND: 404,
  MEMBER_NOT_FOUND: 404,
  OVERRIDE_NOT_FOUND: 404,
  RULE_NOT_FOUND: 404,
  RULE_VERSION_NOT_FOUND: 404,
  REQUIREMENT_NOT_FOUND: 404,
  FINDING_NOT_FOUND: 404,
  RESOURCE_NOT_FOUND: 404,
  FRAMEWORK_NOT_FOUND: 404,
  INVITATION_NOT_FOUND: 404,
  SIGNUP_DISABLED: 404,
  REPORT_NOT_FOUND: 404,
  AUDIT_NOT_FOUND: 404,
  AUDIT_SAMPLE_NOT_FOUND: 404,
  PACK_NOT_FOUND: 404,
  SCORING_EVENT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  ALREADY_MEMBER: 409,
  LAST_ADMIN: 409,
  SCAN_NOT_CANCELLABLE: 409,
  SIGN_IN_TO_ACCEPT: 409,
  REPORT_NOT_READY: 409,
  AUDIT_CLOSED: 409,
  EVIDENCE_UNAVAILABLE: 409,
  PACK_NOT_ENABLED: 409,
  INVITATION_EXPIRED: 410,
  INVITATION_USED: 410,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown; request_id?: string };
}

/** A problem with one field of a request body, named the way the client wrote it. */
export interface FieldProblem {
  field: string;
  message: string;
}

/** An error meant for the client: its code decides the status, its message is shown as is. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.statusCode = errorStatus[code];
    this.details = details;
  }
}

/** JSON schema of the error body, for route response schemas. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {},
        request_id: { type: 'string' },
      },
    },
  },
} as const;

/** Fastify's own client-error codes, mapped to ours. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_ERROR',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION_ERROR',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_BAD_URL: 'ROUTE_NOT_FOUND',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_NOT_FOUND: 'ROUTE_NOT_FOUND',
};

/** PostgreSQL SQLSTATEs that can only come from a malformed client value (e.g. a non-uuid id). */
const clientSqlStates = new Set([
  '22P02',
  '22007',
  '22008',
  '22003',
  // A NUL character in a text value (22021) or a \u0000 escape in a JSON value (22P05): PostgreSQL stores
  // neither, and only a client sends them.
  '22021',
  '22P05',
]);

function codeForStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'ROUTE_NOT_FOUND';
  if (status === 405) return 'METHOD_NOT_ALLOWED';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 414) return 'URI_TOO_LONG';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (status === 429) return 'TOO_MANY_REQUESTS';
  return 'VALIDATION_ERROR';
}

/** Turns any error into the API's error body and status. */
export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { status: error.statusCode, body };
  }
  const err = error as Partial<FastifyError> & { code?: string };
  if (err.validation) {
    return {
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_ERROR',
          message: err.message ?? 'request is invalid',
          details: err.validation.map((v) => ({
            in: err.validationContext ?? 'body',
            path: v.instancePath || '/',
            message: v.message ?? 'invalid',
          })),
        },
      },
    };
  }
  if (err.code && clientSqlStates.has(err.code)) {
    return {
      status: 400,
      body: { error: { code: 'VALIDATION_ERROR', message: 'a value has an invalid format' } },
    };
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    const mapped = err.code ? fastifyCodes[err.code] : undefined;
    // A mapped Fastify code answers with our code's status, so code and status always agree.
    const code = mapped ?? codeForStatus(status);
    return {
      status: mapped ? errorStatus[mapped] : status,
      body: { error: { code, message: err.message ?? 'bad request' } },
    };
  }
  return { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'internal error' } } };
}

/** The Fastify error handler: logs server faults, answers every error in the one JSON shape. */
export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body } = toErrorBody(error);
  // The id a user can quote to an operator; the same one is in the logs and the x-request-id header.
  body.error.request_id = request.id;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: body.error.code, status }, 'client error');
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}
