/**
 * /api/settings/scoring: the tenant's scoring policy (docs/scoring.md). Everyone in the tenant reads it; admins
 * replace it. A change is a new stored version and a ledger event; the scan worker applies it from the next
 * scan on, and each score snapshot records the policy it was computed with.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ScoringPolicy } from '../../../../schemas/index.ts';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { policyProblems, type StoredPolicy } from '../../scoring/policy.ts';
import { currentPolicy, insertPolicy } from '../../scoring/store.ts';
import { tenantFrameworks } from '../../frameworks/catalogs.ts';

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
    app.withTenant(principalOf(request).tenantId, (trx) => currentPolicy(trx)),
  );

  app.put<{ Body: ScoringPolicy }>(
    '/scoring',
    { schema: putSchema, config: { permission: 'scoring:manage' } },
    async (request): Promise<StoredPolicy> => {
      const { tenantId, userId } = principalOf(request);
      const base = await app.engine.frameworks();
      return app.withTenant(tenantId, async (trx) => {
        const problems = policyProblems(request.body, await tenantFrameworks(trx, base));
        if (problems.length > 0) {
          throw new ApiError(
            'VALIDATION_ERROR',
            `scoring policy is invalid: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
            { problems },
          );
        }
        const previous = await currentPolicy(trx);
        const stored = await insertPolicy(trx, tenantId, request.body, userId);
        if (stored.sha256 !== previous.sha256) {
          await app.ledger.append(trx, tenantId, [
            {
              kind: 'scoring_policy.changed',
              actor: userId,
              payload: { sha256: stored.sha256, previous_sha256: previous.sha256, policy: request.body },
            },
          ]);
        }
        return stored;
      });
    },
  );
};

export default scoringSettingsRoutes;
