/**
 * /api/settings/scoring: the tenant's scoring policy (docs/scoring.md). Everyone in the tenant reads it; admins
 * replace it. A change is a new stored version and a ledger event; the scan worker applies it from the next
 * scan on, and each score snapshot records the policy it was computed with.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ScoringPolicy } from '../../../../schemas/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import type { StoredPolicy } from '../../scoring/policy.ts';

const policyViewSchema = {
  type: 'object',
  required: ['policy', 'sha256', 'updated_at', 'updated_by'],
  properties: {
    // The document as stored (schemas/scoring-policy.schema.json); passed through as is.
    policy: { type: 'object', additionalProperties: true },
    sha256: { type: ['string', 'null'] },
    updated_at: { type: ['string', 'null'], format: 'date-time' },
    updated_by: { type: ['string', 'null'] },
  },
} as const;

const getSchema = {
  operationId: 'getScoringPolicy',
  summary: "Read the tenant's scoring policy",
  tags: ['settings'],
  response: { 200: policyViewSchema, 401: errorBodySchema },
} as const;

const putSchema = {
  operationId: 'setScoringPolicy',
  summary: "Change the tenant's scoring policy",
  tags: ['settings'],
  // Validated in the handler against the scoring-policy schema and the tenant's frameworks, so every problem
  // names its field in the client's own terms.
  body: { type: 'object' },
  response: {
    200: policyViewSchema,
    400: errorBodySchema,
    401: errorBodySchema,
    403: errorBodySchema,
  },
} as const;

const scoringSettingsRoutes: FastifyPluginAsync = async (app) => {
  app.get('/scoring', { schema: getSchema, config: { permission: 'tenant:read' } }, async (request) =>
    app.scoringPolicy.current(principalOf(request).tenantId),
  );

  app.put<{ Body: ScoringPolicy }>(
    '/scoring',
    { schema: putSchema, config: { permission: 'scoring:manage' } },
    async (request): Promise<StoredPolicy> => {
      const { tenantId, userId } = principalOf(request);
      return app.scoringPolicy.replace(tenantId, userId, request.body);
    },
  );
};

export default scoringSettingsRoutes;
