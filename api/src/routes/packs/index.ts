/**
 * /api/rule-packs: the rule packs of the deployed bundle (docs/rules.md, "Rule packs"). Every role reads them
 * and an enabled pack's scores; admins, who manage the rules' overrides, enable and disable packs. Enabling a
 * pack runs nothing more and silences nothing: every rule keeps running and the tenant's scores stay as they
 * are; the pack adds a per-pack score. Each change enters the ledger.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { frameworkScoreSchema } from '../scans/schema.ts';
import { eventSourcesSchema } from '../scores/history.ts';

const packProperties = {
  id: { type: 'string' },
  version: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  // The benchmark the references point into; null for a ComplyWise baseline.
  reference_source: { type: ['string', 'null'] },
  // sha256 of the pack file in the deployed bundle: the pack definition in force.
  hash: { type: 'string' },
  rule_count: { type: 'integer' },
  rules: {
    type: 'array',
    items: {
      type: 'object',
      required: ['id', 'title', 'severity', 'references'],
      properties: {
        id: { type: 'string' },
        title: { type: 'string' },
        severity: { type: 'string' },
        references: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  enabled: { type: 'boolean' },
  enabled_at: { type: ['string', 'null'], format: 'date-time' },
  enabled_by: { type: ['string', 'null'] },
} as const;
const packSchema = {
  type: 'object',
  required: Object.keys(packProperties),
  properties: packProperties,
} as const;

const packIdParams = {
  type: 'object',
  required: ['packId'],
  additionalProperties: false,
  properties: { packId: { type: 'string', pattern: '^[a-z0-9]+([.-][a-z0-9]+)*$', maxLength: 100 } },
} as const;

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

const listSchema = {
  operationId: 'listRulePacks',
  summary: 'Rule packs of the deployed rules, with whether the tenant enabled each',
  tags: ['rule-packs'],
  response: {
    200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: packSchema } } },
    ...errors,
  },
} as const;

const enableSchema = {
  operationId: 'enableRulePack',
  summary: 'Enable a rule pack (adds its per-pack scores; every rule keeps running either way)',
  tags: ['rule-packs'],
  params: packIdParams,
  response: { 200: packSchema, ...errors, 404: errorBodySchema },
} as const;

const disableSchema = {
  operationId: 'disableRulePack',
  summary: 'Disable a rule pack',
  tags: ['rule-packs'],
  params: packIdParams,
  response: { 200: packSchema, ...errors, 404: errorBodySchema },
} as const;

const scoresSchema = {
  operationId: 'getRulePackScores',
  summary: "An enabled pack's framework scores over the posture, counting only the pack's rules",
  tags: ['rule-packs'],
  params: packIdParams,
  response: {
    200: {
      type: 'object',
      required: ['pack_id', 'pack_version', 'rule_ids', 'scored_at', 'sources', 'items'],
      properties: {
        pack_id: { type: 'string' },
        pack_version: { type: 'string' },
        rule_ids: { type: 'array', items: { type: 'string' } },
        scored_at: { type: 'string', format: 'date-time' },
        // Each integration's latest succeeded scan, as the main posture reads them.
        sources: eventSourcesSchema,
        items: { type: 'array', items: frameworkScoreSchema },
      },
    },
    ...errors,
    404: errorBodySchema,
    409: errorBodySchema,
  },
} as const;

type PackParams = { Params: { packId: string } };

const rulePackRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: listSchema, config: { permission: 'tenant:read' } }, async (request) =>
    app.rulePacks.list(principalOf(request).tenantId),
  );

  app.put<PackParams>(
    '/:packId',
    { schema: enableSchema, config: { permission: 'pack:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.rulePacks.enable(tenantId, userId, request.params.packId);
    },
  );

  app.delete<PackParams>(
    '/:packId',
    { schema: disableSchema, config: { permission: 'pack:manage' } },
    async (request) => {
      const { tenantId, userId } = principalOf(request);
      return app.rulePacks.disable(tenantId, userId, request.params.packId);
    },
  );

  app.get<PackParams>(
    '/:packId/scores',
    { schema: scoresSchema, config: { permission: 'tenant:read' } },
    async (request) => app.rulePacks.scores(principalOf(request).tenantId, request.params.packId),
  );
};

export default rulePackRoutes;
