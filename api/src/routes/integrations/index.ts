/** /api/integrations: list the tenant's connected accounts; admins connect new ones. */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf, requireRole } from '../../plugins/app/auth.ts';
import type { NewAwsIntegration } from '../../plugins/app/integrations.ts';
import { createIntegrationSchema, listIntegrationsSchema } from './schema.ts';

const integrationRoutes: FastifyPluginAsync = async (app) => {
  app.addHook('preValidation', app.authenticate);

  app.get('/', { schema: listIntegrationsSchema }, async (request) => ({
    items: await app.integrations.list(principalOf(request).tenantId),
  }));

  app.post<{ Body: NewAwsIntegration }>(
    '/',
    { schema: createIntegrationSchema, preValidation: requireRole('admin') },
    async (request, reply) => {
      const created = await app.integrations.create(principalOf(request).tenantId, request.body);
      return reply.status(201).send(created);
    },
  );
};

export default integrationRoutes;
