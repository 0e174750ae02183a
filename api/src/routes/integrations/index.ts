/** /api/integrations: list the tenant's connected accounts; admins connect, change, test and archive them. */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import type { IntegrationChanges, NewIntegration } from '../../integrations/types.ts';
import {
  createIntegrationSchema,
  deleteIntegrationSchema,
  listIntegrationsSchema,
  listProvidersSchema,
  testIntegrationSchema,
  updateIntegrationSchema,
} from './schema.ts';

type ById = { Params: { integrationId: string } };

const integrationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; cursor?: string; provider?: string; include?: 'archived' } }>(
    '/',
    { schema: listIntegrationsSchema, config: { permission: 'tenant:read' } },
    async (request) => app.integrations.list(principalOf(request).tenantId, request.query),
  );

  app.get('/providers', { schema: listProvidersSchema, config: { permission: 'tenant:read' } }, async () =>
    app.integrations.providers(),
  );

  app.post<{ Body: NewIntegration }>(
    '/',
    { schema: createIntegrationSchema, config: { permission: 'integration:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      return reply.status(201).send(await app.integrations.create(tenantId, userId, request.body));
    },
  );

  app.patch<ById & { Body: IntegrationChanges }>(
    '/:integrationId',
    { schema: updateIntegrationSchema, config: { permission: 'integration:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.integrations.update(tenantId, userId, request.params.integrationId, request.body);
    },
  );

  app.post<ById>(
    '/:integrationId/test',
    { schema: testIntegrationSchema, config: { permission: 'integration:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.integrations.test(tenantId, userId, request.params.integrationId);
    },
  );

  // Registered last: the route matrix calls routes in this order, and this one archives its fixture.
  app.delete<ById>(
    '/:integrationId',
    { schema: deleteIntegrationSchema, config: { permission: 'integration:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      await app.integrations.archive(tenantId, userId, request.params.integrationId);
      return reply.status(204).send();
    },
  );
};

export default integrationRoutes;
