/**
 * /api/tokens: API tokens for automation (admins). The clear token is answered once, at creation; lists
 * show name, role, expiry, revocation and last use, never the token.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import type { Role } from '../../auth/role.ts';
import { role } from '../auth/schema.ts';

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = { type: ['string', 'null'], format: 'date-time' } as const;

const tokenSchema = {
  type: 'object',
  required: ['id', 'name', 'role', 'created_by', 'created_at', 'expires_at', 'revoked_at', 'last_used_at'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role,
    created_by: { type: 'string' },
    created_at: timestamp,
    expires_at: timestamp,
    revoked_at: nullableTimestamp,
    last_used_at: nullableTimestamp,
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

const listSchema = {
  operationId: 'listApiTokens',
  summary: 'List API tokens',
  tags: ['tokens'],
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(100, 500) },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: tokenSchema }, next_cursor: nextCursorSchema },
    },
    ...errors,
  },
} as const;

const createSchema = {
  operationId: 'createApiToken',
  summary: 'Create an API token',
  tags: ['tokens'],
  body: {
    type: 'object',
    required: ['name', 'role', 'expires_in_days'],
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      role,
      expires_in_days: { type: 'integer', minimum: 1, maximum: 365 },
    },
  },
  response: {
    201: {
      ...tokenSchema,
      required: [...tokenSchema.required, 'token'],
      properties: { ...tokenSchema.properties, token: { type: 'string' } },
    },
    ...errors,
    409: errorBodySchema,
  },
} as const;

const revokeSchema = {
  operationId: 'revokeApiToken',
  summary: 'Revoke an API token',
  tags: ['tokens'],
  params: {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'string', format: 'uuid' } },
  },
  response: { 204: { type: 'null' }, ...errors, 404: errorBodySchema },
} as const;

const tokenRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/',
    { schema: listSchema, config: { permission: 'token:manage' } },
    async (request) => app.apiTokens.list(principalOf(request).tenantId, request.query),
  );

  app.post<{ Body: { name: string; role: Role; expires_in_days: number } }>(
    '/',
    { schema: createSchema, config: { permission: 'token:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const created = await app.apiTokens.create(tenantId, userId, request.body);
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/:id',
    { schema: revokeSchema, config: { permission: 'token:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      await app.apiTokens.revoke(tenantId, userId, request.params.id);
      return reply.status(204).send();
    },
  );
};

export default tokenRoutes;
