/**
 * GET /api/findings/:findingId: one finding of the tenant (any scan), with its rule's title, its exception,
 * its integration, the controls its rule tests and whether the posture counts it. Another tenant's finding
 * answers 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { postureFindingSchema } from '../scores/drilldown.ts';

const findingDetailSchema = {
  operationId: 'getFinding',
  summary: 'One finding with its exception, its integration and the controls its rule tests',
  tags: ['findings'],
  params: {
    type: 'object',
    required: ['findingId'],
    properties: { findingId: { type: 'string', format: 'uuid' } },
  },
  response: {
    200: {
      ...postureFindingSchema,
      required: [...postureFindingSchema.required, 'scan_finished_at', 'in_posture', 'control_ids'],
      properties: {
        ...postureFindingSchema.properties,
        scan_finished_at: { type: ['string', 'null'], format: 'date-time' },
        // Whether the finding's scan is one the tenant's posture merged (its integration's latest good scan).
        in_posture: { type: 'boolean' },
        control_ids: { type: 'array', items: { type: 'string' } },
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const findingDetailRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { findingId: string } }>(
    '/:findingId',
    { schema: findingDetailSchema, config: { permission: 'tenant:read' } },
    async (request) => app.posture.finding(principalOf(request).tenantId, request.params.findingId),
  );
};

export default findingDetailRoutes;
