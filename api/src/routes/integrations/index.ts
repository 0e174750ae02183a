/** /api/integrations: list the tenant's connected accounts; admins connect new ones. */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import type { NewIntegration } from '../../plugins/app/integrations.ts';
import { createIntegrationSchema, listIntegrationsSchema } from './schema.ts';

const integrationRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; cursor?: string; provider?: string } }>(
    '/',
    { schema: listIntegrationsSchema, config: { permission: 'tenant:read' } },
    async (request) => app.integrations.list(principalOf(request).tenantId, request.query),
  );

  app.post<{ Body: NewIntegration }>(
    '/',
    { schema: createIntegrationSchema, config: { permission: 'integration:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const created = await app.integrations.create(tenantId, request.body);
      await app.ledger.record(tenantId, [
        {
          kind: 'integration.created',
          actor: userId,
          payload: { integration_id: created.id, provider: created.provider, name: created.name },
        },
      ]);
      return reply.status(201).send(created);
    },
  );
};

export default integrationRoutes;
