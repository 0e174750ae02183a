/**
 * /api/health: liveness (the process answers) and readiness (the database answers and the process is not
 * shutting down). Public and cheap, for load balancers and orchestrators.
 */
import type { FastifyPluginAsync } from 'fastify';
import { pingDatabase } from '../../plugins/external/db.ts';

const statusSchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const healthRoutes: FastifyPluginAsync = async (app) => {
  let closing = false;
  // Readiness turns false as soon as shutdown starts, so a load balancer stops sending new requests.
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.get(
    '/live',
    {
      config: { permission: 'public' },
      schema: {
        operationId: 'getLiveness',
        summary: 'Liveness: the process answers',
        tags: ['health'],
        response: { 200: statusSchema },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      config: { permission: 'public' },
      schema: {
        operationId: 'getReadiness',
        summary: 'Readiness: the database answers and the server is not shutting down',
        tags: ['health'],
        response: { 200: statusSchema, 503: statusSchema },
      },
    },
    async (_request, reply) => {
      if (closing)
        return reply.status(503).send({ status: 'unavailable', checks: { process: 'shutting down' } });
      try {
        await pingDatabase(app.db);
      } catch {
        return reply.status(503).send({ status: 'unavailable', checks: { database: 'unreachable' } });
      }
      return { status: 'ok', checks: { database: 'ok' } };
    },
  );
};

export default healthRoutes;
