/**
 * /api/scores: the tenant's posture, its score per framework over the latest succeeded scan of every
 * integration plus manual evidence, with each integration's age. The serialized answer is cached per tenant
 * and posture version and carries an ETag, so a dashboard reload with If-None-Match costs a 304.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { frameworkScoreSchema } from '../scans/schema.ts';
import { AnswerCache } from './answer-cache.ts';
import drilldownRoutes from './drilldown.ts';
import historyRoutes from './history.ts';

const postureSchema = {
  type: ['object', 'null'],
  description:
    'Where the scores come from: the newest scoring event and the scan of each integration it merged',
  required: [
    'event_id',
    'reason',
    'integration_id',
    'event_scan_id',
    'scored_at',
    'stale_after_days',
    'integrations',
  ],
  properties: {
    event_id: { type: 'string' },
    reason: { type: 'string', enum: ['scan', 'manual_evidence', 'migrated', 'integration_archived'] },
    integration_id: { type: ['string', 'null'] },
    event_scan_id: { type: ['string', 'null'] },
    scored_at: { type: 'string', format: 'date-time' },
    stale_after_days: { type: 'integer' },
    integrations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['integration_id', 'scan_id', 'finished_at', 'age_days', 'stale'],
        properties: {
          integration_id: { type: 'string' },
          scan_id: { type: 'string' },
          finished_at: { type: 'string', format: 'date-time' },
          age_days: { type: 'integer' },
          stale: { type: 'boolean' },
        },
      },
    },
  },
} as const;

const latestScoresSchema = {
  operationId: 'getLatestScores',
  summary: "The tenant's posture: framework scores over every integration's latest succeeded scan",
  tags: ['scores'],
  response: {
    200: {
      type: 'object',
      required: ['scan_id', 'finished_at', 'items', 'posture'],
      properties: {
        // The newest succeeded scan, whose control results the dashboard lists.
        scan_id: { type: ['string', 'null'] },
        finished_at: { type: ['string', 'null'], format: 'date-time' },
        items: { type: 'array', items: frameworkScoreSchema },
        posture: postureSchema,
      },
    },
    304: { description: 'Not modified: If-None-Match names the current ETag', type: 'null' },
    401: errorBodySchema,
  },
} as const;

const scoreRoutes: FastifyPluginAsync = async (app) => {
  await app.register(historyRoutes);
  await app.register(drilldownRoutes);
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
