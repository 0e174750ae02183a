/** /api/scores: framework scores of the tenant's newest succeeded scan. */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { frameworkScoreSchema } from '../scans/schema.ts';
import historyRoutes from './history.ts';

const latestScoresSchema = {
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'finished_at', 'items'],
      properties: {
        scan_id: { type: ['string', 'null'] },
        finished_at: { type: ['string', 'null'], format: 'date-time' },
        items: { type: 'array', items: frameworkScoreSchema },
      },
    },
    401: errorBodySchema,
  },
} as const;

const scoreRoutes: FastifyPluginAsync = async (app) => {
  await app.register(historyRoutes);
  app.get('/', { schema: latestScoresSchema, config: { permission: 'tenant:read' } }, async (request) =>
    app.scans.latestScores(principalOf(request).tenantId),
  );
};

export default scoreRoutes;
