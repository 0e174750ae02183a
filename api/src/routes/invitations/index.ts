/**
 * /api/invitations: admins invite an e-mail with a role, list the pending invitations and revoke one; the
 * invitee accepts with the e-mailed token (public route: a new account sets its own password, an existing
 * account accepts while signed in as itself). The token is never part of an answer: it only travels by mail.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Role } from '../../auth/role.ts';
import { errorBodySchema } from '../../errors.ts';
import { pageQuerySchema, pageResponseSchema } from '../../pagination.ts';
import { principalOf, signedInPersonOf } from '../../plugins/app/auth.ts';
import { role } from '../auth/schema.ts';

const invitationSchema = {
  type: 'object',
  required: ['id', 'email', 'role', 'invited_by', 'created_at', 'expires_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: { type: 'string' },
    role,
    invited_by: { type: ['string', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
  },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

const listSchema = {
  operationId: 'listInvitations',
  summary: 'List pending invitations',
  tags: ['members'],
  querystring: { type: 'object', additionalProperties: false, properties: pageQuerySchema(100, 500) },
  response: { 200: pageResponseSchema(invitationSchema), ...errors },
} as const;

const inviteSchema = {
  operationId: 'inviteMember',
  summary: 'Invite an e-mail to the tenant with a role (the link goes by e-mail)',
  tags: ['members'],
  body: {
    type: 'object',
    required: ['email', 'role'],
    additionalProperties: false,
    properties: { email: { type: 'string', format: 'email', maxLength: 320 }, role },
  },
  response: { 201: invitationSchema, ...errors, 409: errorBodySchema },
} as const;

const revokeSchema = {
  operationId: 'revokeInvitation',
  summary: 'Withdraw a pending invitation',
  tags: ['members'],
  params: {
    type: 'object',
    required: ['invitationId'],
    properties: { invitationId: { type: 'string', format: 'uuid' } },
  },
  response: { 204: { type: 'null' }, ...errors, 404: errorBodySchema },
} as const;

const acceptSchema = {
  operationId: 'acceptInvitation',
  summary: 'Accept an invitation: set a password for a new account, or consent while signed in',
  tags: ['members'],
  body: {
    type: 'object',
    required: ['token'],
    additionalProperties: false,
    properties: {
      token: { type: 'string', minLength: 16, maxLength: 512 },
      password: { type: 'string', minLength: 1, maxLength: 4096 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['tenant_id', 'email', 'role', 'account_created'],
      properties: {
        tenant_id: { type: 'string', format: 'uuid' },
        email: { type: 'string' },
        role,
        account_created: { type: 'boolean' },
      },
    },
    ...errors,
    404: errorBodySchema,
    409: errorBodySchema,
    410: errorBodySchema,
  },
} as const;

const invitationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/',
    { schema: listSchema, config: { permission: 'member:read' } },
    async (request) => app.invitations.list(principalOf(request).tenantId, request.query),
  );

  app.post<{ Body: { email: string; role: Role } }>(
    '/',
    { schema: inviteSchema, config: { permission: 'member:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(201).send(await app.invitations.invite(tenantId, userId, request.body));
    },
  );

  app.delete<{ Params: { invitationId: string } }>(
    '/:invitationId',
    { schema: revokeSchema, config: { permission: 'member:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      await app.invitations.revoke(tenantId, userId, request.params.invitationId);
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { token: string; password?: string } }>(
    '/accept',
    { schema: acceptSchema, config: { permission: 'public' } },
    async (request) => {
      const signedInUserId = await signedInPersonOf(app, request, 'accept an invitation');
      return app.invitations.accept(request.body.token, {
        ...(request.body.password !== undefined ? { password: request.body.password } : {}),
        ...(signedInUserId ? { signedInUserId } : {}),
      });
    },
  );
};

export default invitationRoutes;
