/** Request and response schemas of /api/auth. */
import { errorBodySchema } from '../../errors.ts';

const user = {
  type: 'object',
  required: ['id', 'email', 'display_name'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    display_name: { type: ['string', 'null'] },
  },
} as const;

const tenant = {
  type: 'object',
  required: ['id', 'slug', 'name', 'demo'],
  properties: {
    id: { type: 'string' },
    slug: { type: 'string' },
    name: { type: 'string' },
    demo: { type: 'boolean' },
  },
} as const;

export const role = { type: 'string', enum: ['admin', 'auditor', 'user'] } as const;

export const identitySchema = {
  type: 'object',
  required: ['user', 'tenant', 'role'],
  properties: { user, tenant, role },
} as const;

const session = {
  type: 'object',
  required: [
    'access_token',
    'token_type',
    'expires_in',
    'refresh_token',
    'refresh_expires_in',
    'user',
    'tenant',
    'role',
  ],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', const: 'Bearer' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' },
    refresh_expires_in: { type: 'integer' },
    user,
    tenant,
    role,
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

export const loginSchema = {
  operationId: 'login',
  summary: 'Sign in with e-mail and password',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', minLength: 3, maxLength: 320 },
      // A NUL can never be part of a password (the policy refuses it): 400, not a verify.
      password: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[^\\u0000]*$' },
      tenant_id: { type: 'string', format: 'uuid' },
    },
  },
  response: { 200: session, ...errors },
} as const;

/** The refresh token comes in the body (API clients) or the HttpOnly cookie (the app). */
const refreshBody = {
  type: 'object',
  additionalProperties: false,
  properties: { refresh_token: { type: 'string', minLength: 16, maxLength: 512 } },
} as const;

export const refreshSchema = {
  operationId: 'refreshSession',
  summary: 'Exchange the refresh cookie for a new access token',
  tags: ['auth'],
  body: refreshBody,
  response: { 200: session, ...errors },
} as const;
export const logoutSchema = {
  operationId: 'logout',
  summary: 'Revoke the refresh token and clear its cookie',
  tags: ['auth'],
  body: refreshBody,
  response: { 204: { type: 'null' }, 400: errorBodySchema },
} as const;

export const changePasswordSchema = {
  operationId: 'changePassword',
  summary: 'Change your password (every other session is signed out)',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['current_password', 'new_password'],
    additionalProperties: false,
    properties: {
      current_password: { type: 'string', minLength: 1, maxLength: 1024 },
      new_password: { type: 'string', minLength: 1, maxLength: 4096 },
    },
  },
  response: { 204: { type: 'null' }, ...errors },
} as const;

const accepted = {
  type: 'object',
  required: ['accepted'],
  properties: { accepted: { type: 'boolean', const: true } },
} as const;

/** A mailed token as pasted back from a link's fragment. */
const mailedToken = { type: 'string', minLength: 16, maxLength: 512 } as const;

export const requestPasswordResetSchema = {
  operationId: 'requestPasswordReset',
  summary: 'Mail a password-reset link (the same answer whether or not the e-mail has an account)',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['email'],
    additionalProperties: false,
    properties: { email: { type: 'string', format: 'email', maxLength: 320 } },
  },
  response: { 202: accepted, 400: errorBodySchema, 429: errorBodySchema },
} as const;

export const confirmPasswordResetSchema = {
  operationId: 'confirmPasswordReset',
  summary: 'Set a new password with a mailed reset token (every session of the account is signed out)',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['token', 'new_password'],
    additionalProperties: false,
    properties: {
      token: mailedToken,
      new_password: { type: 'string', minLength: 1, maxLength: 4096 },
    },
  },
  response: { 204: { type: 'null' }, 400: errorBodySchema, 429: errorBodySchema },
} as const;

export const signupStatusSchema = {
  operationId: 'getSignupStatus',
  summary: 'Whether this server offers self-service sign-up',
  tags: ['auth'],
  response: {
    200: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } },
  },
} as const;

export const requestSignupSchema = {
  operationId: 'requestSignup',
  summary: 'Sign up an organization: mails a confirmation link to the e-mail (nothing is created yet)',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['organization_name', 'email'],
    additionalProperties: false,
    properties: {
      organization_name: { type: 'string', minLength: 1, maxLength: 200, pattern: '\\S' },
      email: { type: 'string', format: 'email', maxLength: 320 },
    },
  },
  response: { 202: accepted, 400: errorBodySchema, 404: errorBodySchema, 429: errorBodySchema },
} as const;

export const completeSignupSchema = {
  operationId: 'completeSignup',
  summary: 'Create the organization of a mailed sign-up token, with its e-mail as the first admin',
  tags: ['auth'],
  body: {
    type: 'object',
    required: ['token'],
    additionalProperties: false,
    properties: {
      token: mailedToken,
      password: { type: 'string', minLength: 1, maxLength: 4096 },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['tenant_id', 'tenant_name', 'email', 'role', 'account_created'],
      properties: {
        tenant_id: { type: 'string', format: 'uuid' },
        tenant_name: { type: 'string' },
        email: { type: 'string' },
        role: { type: 'string', const: 'admin' },
        account_created: { type: 'boolean' },
      },
    },
    ...errors,
    404: errorBodySchema,
    409: errorBodySchema,
    429: errorBodySchema,
  },
} as const;
