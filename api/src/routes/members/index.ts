/**
 * /api/members: who belongs to the tenant and with which role. Admins and auditors read the list; admins
 * change roles and remove members. New members come in through /api/invitations only: no admin creates an
 * account or sets a password for someone else.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { pageQuerySchema, pageResponseSchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import type { Role } from '../../auth/role.ts';
import { role } from '../auth/schema.ts';

const memberSchema = {
  type: 'object',
  required: ['user_id', 'email', 'display_name', 'role', 'created_at'],
  properties: {
    user_id: { type: 'string' },
    email: { type: 'string' },
    display_name: { type: ['string', 'null'] },
    role,
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;
const userIdParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: { type: 'string', format: 'uuid' } },
} as const;

const listSchema = {
  operationId: 'listMembers',
  summary: 'List members and their roles',
  tags: ['members'],
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(100, 500) },
  response: {
    200: pageResponseSchema(memberSchema),
    ...errors,
  },
} as const;

const changeSchema = {
  operationId: 'changeMemberRole',
  summary: "Change a member's role",
  tags: ['members'],
  params: userIdParams,
  body: { type: 'object', required: ['role'], additionalProperties: false, properties: { role } },
  response: { 200: memberSchema, ...errors, 404: errorBodySchema, 409: errorBodySchema },
} as const;

const removeSchema = {
  operationId: 'removeMember',
  summary: 'Remove a member (their tokens are revoked)',
  tags: ['members'],
  params: userIdParams,
  response: { 204: { type: 'null' }, ...errors, 404: errorBodySchema, 409: errorBodySchema },
} as const;

const memberRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/',
    { schema: listSchema, config: { permission: 'member:read' } },
    async (request) => app.members.list(principalOf(request).tenantId, request.query),
  );

  app.patch<{ Params: { userId: string }; Body: { role: Role } }>(
    '/:userId',
    { schema: changeSchema, config: { permission: 'member:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      const member = await app.members.changeRole(tenantId, userId, request.params.userId, request.body.role);
      app.auth.forgetSessions(request.params.userId, tenantId);
      return member;
    },
  );

  app.delete<{ Params: { userId: string } }>(
    '/:userId',
    { schema: removeSchema, config: { permission: 'member:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      await app.members.remove(tenantId, userId, request.params.userId);
      app.auth.forgetSessions(request.params.userId, tenantId);
      return reply.status(204).send();
    },
  );
};

export default memberRoutes;
