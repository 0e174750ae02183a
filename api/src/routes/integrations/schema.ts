/** Request and response schemas of /api/integrations. Credentials are accepted, never returned. */
import { SCANNABLE_PROVIDERS } from '../../../../scanners/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';

export const integrationSchema = {
  type: 'object',
  required: ['id', 'provider', 'name', 'config', 'demo', 'created_at', 'updated_at', 'archived_at'],
  properties: {
    id: { type: 'string' },
    provider: { type: 'string' },
    name: { type: 'string' },
    config: { type: 'object', additionalProperties: true },
    demo: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    /** When it was archived (DELETE): its history stays, its results no longer count. Null while active. */
    archived_at: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const listIntegrationsSchema = {
  operationId: 'listIntegrations',
  summary: 'List integrations (without secrets)',
  tags: ['integrations'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(100, 500),
      provider: { type: 'string', enum: [...SCANNABLE_PROVIDERS] },
      include: {
        type: 'string',
        enum: ['archived'],
        description: 'List archived integrations too (hidden by default); they carry `archived_at`.',
      },
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

/** One JSON Schema (an object schema of settings), answered as it is. */
const settingsSchema = {
  type: 'object',
  required: ['type', 'properties', 'required'],
  properties: {
    type: { type: 'string', enum: ['object'] },
    properties: { type: 'object', additionalProperties: true },
    required: { type: 'array', items: { type: 'string' } },
    additionalProperties: { type: 'boolean' },
    description: { type: 'string' },
  },
} as const;

export const listProvidersSchema = {
  operationId: 'listIntegrationProviders',
  summary: 'List the providers an integration can be made for, with the schema of their settings',
  description:
    'Each provider with the JSON Schema of its `config` and of its `credentials`; a credential marked ' +
    '`writeOnly` is a secret: sent when an integration is made or its credentials are replaced, never answered.',
  tags: ['integrations'],
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'name', 'config', 'credentials'],
            properties: {
              id: { type: 'string', enum: [...SCANNABLE_PROVIDERS] },
              name: { type: 'string' },
              config: settingsSchema,
              credentials: settingsSchema,
            },
          },
        },
      },
    },
    401: errorBodySchema,
  },
} as const;

export const createIntegrationSchema = {
  operationId: 'createIntegration',
  summary: 'Connect an integration',
  tags: ['integrations'],
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

const integrationParams = {
  type: 'object',
  required: ['integrationId'],
  properties: { integrationId: { type: 'string', format: 'uuid' } },
} as const;

const refusals = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
} as const;

export const updateIntegrationSchema = {
  operationId: 'updateIntegration',
  summary: "Change an integration's name, settings or credentials",
  tags: ['integrations'],
  params: integrationParams,
  body: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      name: createIntegrationSchema.body.properties.name,
      config: createIntegrationSchema.body.properties.config,
      credentials: createIntegrationSchema.body.properties.credentials,
    },
  },
  response: { 200: integrationSchema, ...refusals, 409: errorBodySchema },
} as const;

export const deleteIntegrationSchema = {
  operationId: 'deleteIntegration',
  summary: 'Archive an integration',
  description:
    'Archives the integration: its credentials are destroyed, its schedule cleared, its queued and running ' +
    'scans cancelled, and the posture recomputed without it at once. Its scans, findings and evidence stay ' +
    'readable for audit; `GET /api/integrations?include=archived` lists it with `archived_at`.',
  tags: ['integrations'],
  params: integrationParams,
  response: { 204: { type: 'null' }, ...refusals },
} as const;

export const testIntegrationSchema = {
  operationId: 'testIntegration',
  summary: "Test an integration's credentials",
  tags: ['integrations'],
  params: integrationParams,
  body: { type: 'object', additionalProperties: false, properties: {} },
  response: {
    200: {
      type: 'object',
      required: ['ok'],
      properties: {
        ok: { type: 'boolean' },
        identity: { type: 'string' },
        code: { type: 'string' },
        message: { type: 'string' },
      },
    },
    ...refusals,
  },
} as const;
