/** Request and response schemas of /api/integrations. Credentials are accepted, never returned. */
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
    properties: { ...pageQuerySchema(100, 500), provider: { type: 'string', enum: ['aws'] } },
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
      provider: { type: 'string', const: 'aws' },
      name: { type: 'string', minLength: 1, maxLength: 200 },
      config: {
        type: 'object',
        required: ['accountId', 'region'],
        additionalProperties: false,
        properties: {
          accountId: { type: 'string', pattern: '^[0-9]{12}$' },
          region: { type: 'string', pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]+$' },
          endpoint: { type: 'string', format: 'uri', pattern: '^https?://' },
        },
      },
      credentials: {
        type: 'object',
        required: ['accessKeyId', 'secretAccessKey'],
        additionalProperties: false,
        properties: {
          accessKeyId: { type: 'string', minLength: 16, maxLength: 128 },
          secretAccessKey: { type: 'string', minLength: 1, maxLength: 256 },
          sessionToken: { type: 'string', minLength: 1, maxLength: 4096 },
        },
      },
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
