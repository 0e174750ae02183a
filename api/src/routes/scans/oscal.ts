/**
 * GET /api/scans/:id/oscal/assessment-results and /api/scans/latest/oscal/assessment-results: the OSCAL 1.1.3
 * assessment-results document of one finished scan (engine/oscal-export.ts): its findings as observations,
 * its UCF control results as findings and its framework scores as props. Tenant-scoped like every scan read.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';

const response = {
  // The OSCAL document as the engine builds it (validated against the official schema in the tests).
  200: {
    type: 'object',
    required: ['assessment-results'],
    properties: { 'assessment-results': { type: 'object', additionalProperties: true } },
  },
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
} as const;

const byIdSchema = {
  operationId: 'getScanAssessmentResults',
  summary: 'A scan as OSCAL assessment results',
  tags: ['scans'],
  params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
  response,
} as const;

const oscalRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { id: string } }>(
    '/:id/oscal/assessment-results',
    { schema: byIdSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      return app.scans.assessmentResults(principalOf(request).tenantId, request.params.id);
    },
  );

  app.get(
    '/latest/oscal/assessment-results',
    {
      schema: {
        operationId: 'getLatestAssessmentResults',
        summary: 'The latest succeeded scan as OSCAL assessment results',
        tags: ['scans'],
        response,
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      return app.scans.assessmentResults(principalOf(request).tenantId, 'latest');
    },
  );
};

export default oscalRoutes;
