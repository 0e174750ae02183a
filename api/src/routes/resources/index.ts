/**
 * GET /api/resources/:resourceId: one resource as the tenant's posture sees it (the resource id URL-encoded:
 * ARNs hold slashes and colons): its normalized attributes from its evidence snapshot, and every finding on it
 * in the scans the posture merged. A resource no source has a finding on answers 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { postureFindingSchema } from '../scores/drilldown.ts';

const nullableString = { type: ['string', 'null'] } as const;

const resourceSchema = {
  operationId: 'getResource',
  summary: "One resource of the tenant's posture: its normalized attributes and every finding on it",
  tags: ['resources'],
  params: {
    type: 'object',
    required: ['resourceId'],
    properties: { resourceId: { type: 'string', minLength: 1, maxLength: 2048 } },
  },
  response: {
    200: {
      type: 'object',
      required: [
        'resource_id',
        'resource_type',
        'resource_name',
        'provider',
        'account',
        'region',
        'collected_at',
        'attributes',
        'evidence_sha256',
        'integration_id',
        'integration_name',
        'findings',
      ],
      properties: {
        resource_id: { type: 'string' },
        resource_type: { type: 'string' },
        resource_name: { type: 'string' },
        provider: nullableString,
        account: nullableString,
        region: nullableString,
        collected_at: nullableString,
        attributes: { type: ['object', 'null'], additionalProperties: true },
        evidence_sha256: nullableString,
        integration_id: nullableString,
        integration_name: nullableString,
        findings: { type: 'array', items: postureFindingSchema },
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const resourceRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { resourceId: string } }>(
    '/:resourceId',
    { schema: resourceSchema, config: { permission: 'tenant:read' } },
    async (request) => app.posture.resource(principalOf(request).tenantId, request.params.resourceId),
  );
};

export default resourceRoutes;
