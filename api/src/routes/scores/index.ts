/**
 * /api/scores: framework scores of the tenant's newest succeeded scan. The serialized answer is cached per
 * tenant and scores version and carries an ETag, so a dashboard reload with If-None-Match costs a 304.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { frameworkScoreSchema } from '../scans/schema.ts';
import { AnswerCache } from './answer-cache.ts';
import historyRoutes from './history.ts';

const latestScoresSchema = {
  operationId: 'getLatestScores',
  summary: 'Framework scores of the latest succeeded scan',
  tags: ['scores'],
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
    304: { description: 'Not modified: If-None-Match names the current ETag', type: 'null' },
    401: errorBodySchema,
  },
} as const;

const scoreRoutes: FastifyPluginAsync = async (app) => {
  await app.register(historyRoutes);
  const answers = new AnswerCache();
  app.get(
    '/',
    { schema: latestScoresSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const answer = await app.scans.latestScoresAnswer(tenantId, {
        cached: (version) => answers.get(`${tenantId}|${version}`),
        build: (scores, version) => answers.set(`${tenantId}|${version}`, String(reply.serialize(scores))),
      });
      reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
      if (request.headers['if-none-match'] === answer.etag) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(answer.body);
    },
  );
};

export default scoreRoutes;
