/**
 * /api/rules: the rule-version registry for auditors (any signed-in role). A finding's `rule_id` and
 * `rule_hash` name the version that produced it: GET /api/rules/:ruleId/versions/:hash shows its source.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';

const summaryProperties = {
  rule_id: { type: 'string' },
  version: { type: 'string' },
  hash: { type: 'string' },
  bundle_revision: { type: 'string' },
  git_commit: { type: ['string', 'null'] },
  first_in_force_at: { type: 'string', format: 'date-time' },
  last_in_force_at: { type: ['string', 'null'], format: 'date-time' },
} as const;
const summarySchema = {
  type: 'object',
  required: Object.keys(summaryProperties),
  properties: summaryProperties,
} as const;
const detailSchema = {
  type: 'object',
  required: [...Object.keys(summaryProperties), 'files'],
  properties: {
    ...summaryProperties,
    files: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'text'],
        properties: { name: { type: 'string' }, text: { type: 'string' } },
      },
    },
  },
} as const;
const listSchema = {
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: summarySchema } },
} as const;

/** A deployed rule's metadata (rule.yaml as validated), where its source is and its content hash. */
const ruleProperties = {
  id: { type: 'string' },
  version: { type: 'string' },
  title: { type: 'string' },
  description: { type: 'string' },
  rationale: { type: 'string' },
  severity: { type: 'string', enum: ['critical', 'high', 'medium', 'low', 'info'] },
  resource_types: { type: 'array', items: { type: 'string' } },
  ucf_controls: { type: 'array', items: { type: 'string' } },
  remediation: { type: 'string' },
  kind: { type: 'string', enum: ['dsl', 'rego'] },
  source: { type: 'string' },
  hash: { type: 'string' },
} as const;
const ruleSchema = {
  type: 'object',
  required: Object.keys(ruleProperties),
  properties: ruleProperties,
} as const;

const errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
} as const;
const ruleId = { type: 'string', minLength: 1, maxLength: 200 } as const;
const hashParam = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const ruleRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { from: string; to: string } }>(
    '/in-force',
    {
      schema: {
        operationId: 'getRulesInForce',
        summary: 'Rule versions in force during a time range',
        tags: ['rules'],
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
        },
        response: { 200: listSchema, ...errors },
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      const from = new Date(request.query.from);
      const to = new Date(request.query.to);
      if (from > to) throw new ApiError('VALIDATION_ERROR', '`from` must not be after `to`');
      const { tenantId } = principalOf(request);
      return { items: await app.ruleVersions.inForce(tenantId, from, to) };
    },
  );

  app.get<{ Params: { ruleId: string } }>(
    '/:ruleId',
    {
      schema: {
        operationId: 'getRule',
        summary: 'A rule of the deployed bundle: its metadata, source and content hash',
        tags: ['rules'],
        params: { type: 'object', required: ['ruleId'], properties: { ruleId } },
        response: { 200: ruleSchema, ...errors },
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      const rule = await app.engine.rule(request.params.ruleId);
      if (!rule)
        throw new ApiError('RULE_NOT_FOUND', `the deployed bundle has no rule ${request.params.ruleId}`);
      const { id, version, title, description, rationale, severity, resource_types, ucf_controls } = rule;
      const { remediation, kind, source, hash } = rule;
      return {
        id,
        version,
        title,
        description,
        rationale,
        severity,
        resource_types,
        ucf_controls,
        remediation,
        kind,
        source,
        hash,
      };
    },
  );

  app.get<{ Params: { ruleId: string } }>(
    '/:ruleId/versions',
    {
      schema: {
        operationId: 'listRuleVersions',
        summary: "A rule's version history",
        tags: ['rules'],
        params: { type: 'object', required: ['ruleId'], properties: { ruleId } },
        response: { 200: listSchema, ...errors },
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      return { items: await app.ruleVersions.history(tenantId, request.params.ruleId) };
    },
  );

  app.get<{ Params: { ruleId: string; hash: string } }>(
    '/:ruleId/versions/:hash',
    {
      schema: {
        operationId: 'getRuleVersion',
        summary: 'One version of a rule',
        tags: ['rules'],
        params: {
          type: 'object',
          required: ['ruleId', 'hash'],
          properties: { ruleId, hash: hashParam },
        },
        response: { 200: detailSchema, ...errors },
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      return app.ruleVersions.version(tenantId, request.params.ruleId, request.params.hash);
    },
  );

  app.get<{ Params: { ruleId: string; hash: string; other: string } }>(
    '/:ruleId/versions/:hash/diff/:other',
    {
      schema: {
        operationId: 'diffRuleVersions',
        summary: 'Differences between two versions of a rule',
        tags: ['rules'],
        params: {
          type: 'object',
          required: ['ruleId', 'hash', 'other'],
          properties: { ruleId, hash: hashParam, other: hashParam },
        },
        response: {
          200: {
            type: 'object',
            required: ['rule_id', 'from', 'to', 'files'],
            properties: {
              rule_id: { type: 'string' },
              from: summarySchema,
              to: summarySchema,
              files: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['name', 'changed', 'diff'],
                  properties: {
                    name: { type: 'string' },
                    changed: { type: 'boolean' },
                    diff: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
      config: { permission: 'tenant:read' },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { ruleId: id, hash, other } = request.params;
      return app.ruleVersions.diff(tenantId, id, hash, other);
    },
  );
};

export default ruleRoutes;
