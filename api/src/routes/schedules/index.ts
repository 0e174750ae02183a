/**
 * /api/integrations/:integrationId/schedule: read (every role), set and clear (admins) the cron schedule on
 * which the integration is scanned. Another tenant's integration answers 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import { deleteScheduleSchema, getScheduleSchema, putScheduleSchema } from './schema.ts';

type ById = { Params: { integrationId: string } };

const scheduleRoutes: FastifyPluginAsync = async (app) => {
  app.get<ById>(
    '/:integrationId/schedule',
    { schema: getScheduleSchema, config: { permission: 'tenant:read' } },
    async (request) => app.schedules.get(principalOf(request).tenantId, request.params.integrationId),
  );

  app.put<ById & { Body: { cron: string } }>(
    '/:integrationId/schedule',
    { schema: putScheduleSchema, config: { permission: 'integration:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.schedules.set(tenantId, request.params.integrationId, request.body.cron, userId);
    },
  );

  app.delete<ById>(
    '/:integrationId/schedule',
    { schema: deleteScheduleSchema, config: { permission: 'integration:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      await app.schedules.clear(tenantId, request.params.integrationId, userId);
      return reply.status(204).send();
    },
  );
};

export default scheduleRoutes;
