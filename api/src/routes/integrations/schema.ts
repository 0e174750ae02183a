/** Request and response schemas of /api/integrations. Credentials are accepted, never returned. */
import { SCANNABLE_PROVIDERS } from '../../../../scanners/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';

export const integrationSchema = {
  type: 'object',
  required: ['id', 'provider', 'name', 'config', 'demo', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    name: { type: 'string' },
    config: { type: 'object', additionalProperties: true },
    demo: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const listIntegrationsSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(100, 500),
      provider: { type: 'string', enum: [...SCANNABLE_PROVIDERS] },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: integrationSchema }, next_cursor: nextCursorSchema },
    },
    400: errorBodySchema,
    401: errorBodySchema,
  },
} as const;

export const createIntegrationSchema = {
  body: {
    type: 'object',
    required: ['provider', 'name', 'config', 'credentials'],
    additionalProperties: false,
    properties: {
      provider: { type: 'string', enum: [...SCANNABLE_PROVIDERS] },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      // The provider's own shape rules (scanners/validate.ts) check these after the request is parsed,
      // so every problem is reported by field, never by value.
      config: { type: 'object', maxProperties: 20 },
      credentials: { type: 'object', maxProperties: 20 },
    },
  },
  response: {
    201: integrationSchema,
    400: errorBodySchema,
    401: errorBodySchema,
    403: errorBodySchema,
    409: errorBodySchema,
  },
} as const;
