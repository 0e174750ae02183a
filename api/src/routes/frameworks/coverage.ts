/**
 * GET /api/frameworks/coverage and /api/frameworks/coverage/:frameworkId: how far automated rules cover each
 * requirement (engine/coverage.ts), the numbers `complywise frameworks coverage --format json` prints.
 */
import type { FastifyPluginAsync } from 'fastify';
import { COVERAGE_LEVELS } from '../../../../engine/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';

const countsSchema = {
  type: 'object',
  required: COVERAGE_LEVELS,
  properties: Object.fromEntries(COVERAGE_LEVELS.map((level) => [level, { type: 'integer' }])),
} as const;

const frameworkCoverageSchema = {
  type: 'object',
  required: ['framework_id', 'framework_version', 'title', 'total', 'counts', 'groups', 'requirements'],
  properties: {
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    title: { type: 'string' },
    total: { type: 'integer' },
    counts: countsSchema,
    // The catalog's groups in catalog order; with each requirement's parent they make the requirement tree.
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'kind', 'parent'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string' },
          kind: { type: 'string' },
          parent: { type: ['string', 'null'] },
        },
      },
    },
    requirements: {
      type: 'array',
      items: {
        type: 'object',
        required: ['requirement_id', 'parent', 'coverage', 'controls'],
        properties: {
          requirement_id: { type: 'string' },
          parent: { type: ['string', 'null'] },
          coverage: { type: 'string', enum: COVERAGE_LEVELS },
          controls: {
            type: 'array',
            items: {
              type: 'object',
              required: ['control_id', 'relationship', 'tested_by_rules'],
              properties: {
                control_id: { type: 'string' },
                relationship: { type: 'string' },
                tested_by_rules: { type: 'boolean' },
              },
            },
          },
        },
      },
    },
  },
} as const;

const listSchema = {
  operationId: 'listFrameworkCoverage',
  summary: 'Rule coverage of every framework',
  tags: ['frameworks'],
  response: {
    200: {
      type: 'object',
      required: ['frameworks'],
      properties: { frameworks: { type: 'array', items: frameworkCoverageSchema } },
    },
    401: errorBodySchema,
  },
} as const;

const oneSchema = {
  operationId: 'getFrameworkCoverage',
  summary: 'Rule coverage of one framework',
  tags: ['frameworks'],
  params: {
    type: 'object',
    required: ['frameworkId'],
    properties: { frameworkId: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { version: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  response: { ...listSchema.response, 400: errorBodySchema, 404: errorBodySchema },
} as const;

/** `soc2` or `soc2@2017` → id and optional version (the CLI's --framework spelling). */
function parseFrameworkRef(ref: string, version?: string): { id: string; version?: string } {
  const [id, inline] = ref.split('@') as [string, string | undefined];
  const v = version ?? inline;
  return v === undefined ? { id } : { id, version: v };
}

const coverageRoutes: FastifyPluginAsync = async (app) => {
  app.get('/coverage', { schema: listSchema, config: { permission: 'tenant:read' } }, async (request) => ({
    frameworks: await app.frameworks.coverage(principalOf(request).tenantId),
  }));

  app.get<{ Params: { frameworkId: string }; Querystring: { version?: string } }>(
    '/coverage/:frameworkId',
    { schema: oneSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const only = parseFrameworkRef(request.params.frameworkId, request.query.version);
      return { frameworks: await app.frameworks.coverage(principalOf(request).tenantId, only) };
    },
  );
};

export default coverageRoutes;
