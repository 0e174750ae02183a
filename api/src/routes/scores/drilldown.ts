/**
 * The drill-down over the tenant's posture: GET /api/scores/controls/:controlId (one control, the policy that
 * decided it, its findings) and GET /api/scores/frameworks/:frameworkId/requirements/:requirementId (one
 * requirement, its controls and the evidence behind them). Finding and resource pages: routes/findings and
 * routes/resources.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { manualEvidenceRecordSchema } from '../evidence/manual.ts';
import { controlResultSchema, findingSchema, mappingSchema } from '../scans/schema.ts';

const readErrors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema } as const;
const state = {
  type: ['string', 'null'],
  enum: ['pass', 'fail', 'needs_evidence', 'not_applicable', 'manual', 'error', null],
} as const;
const resultStatus = {
  type: ['string', 'null'],
  enum: ['pass', 'fail', 'not_applicable', 'error', null],
} as const;

/** The scans the posture merged, one per integration. */
export const postureSourcesSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['integration_id', 'integration_name', 'scan_id', 'finished_at'],
    properties: {
      integration_id: { type: 'string' },
      integration_name: { type: 'string' },
      scan_id: { type: 'string' },
      finished_at: { type: 'string', format: 'date-time' },
    },
  },
} as const;

/** A finding in the posture: the scan finding with its source integration. */
export const postureFindingSchema = {
  ...findingSchema,
  required: [...findingSchema.required, 'scan_id', 'integration_id', 'integration_name'],
  properties: {
    ...findingSchema.properties,
    scan_id: { type: 'string' },
    integration_id: { type: ['string', 'null'] },
    integration_name: { type: ['string', 'null'] },
  },
} as const;

const controlSchema = {
  operationId: 'getPostureControl',
  summary: "One control over the tenant's posture: its result, the policy that decided it, its findings",
  tags: ['scores'],
  params: {
    type: 'object',
    required: ['controlId'],
    properties: { controlId: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['control', 'policy', 'mappings', 'sources', 'findings'],
      properties: {
        control: controlResultSchema,
        policy: {
          type: 'object',
          required: ['mode', 'pass_threshold', 'description'],
          properties: {
            mode: { type: 'string', enum: ['all_pass', 'threshold'] },
            pass_threshold: { type: ['number', 'null'] },
            description: { type: 'string' },
          },
        },
        mappings: { type: 'array', items: mappingSchema },
        sources: postureSourcesSchema,
        findings: { type: 'array', items: postureFindingSchema },
      },
    },
    ...readErrors,
  },
} as const;

const requirementSchema = {
  operationId: 'getPostureRequirement',
  summary: "One framework requirement over the tenant's posture: its controls and the evidence behind them",
  tags: ['scores'],
  params: {
    type: 'object',
    required: ['frameworkId', 'requirementId'],
    properties: {
      frameworkId: { type: 'string', minLength: 1, maxLength: 200 },
      requirementId: { type: 'string', minLength: 1, maxLength: 200 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['framework', 'requirement', 'controls', 'evidence', 'sources'],
      properties: {
        framework: {
          type: 'object',
          required: ['framework_id', 'framework_version', 'title', 'text_policy'],
          properties: {
            framework_id: { type: 'string' },
            framework_version: { type: 'string' },
            title: { type: 'string' },
            text_policy: { type: 'string', enum: ['ids_and_own_summaries', 'official_text'] },
          },
        },
        requirement: {
          type: 'object',
          required: [
            'requirement_id',
            'title',
            'summary',
            'statement',
            'kind',
            'parent',
            'out_of_scope',
            'status',
            'state',
          ],
          properties: {
            requirement_id: { type: 'string' },
            title: { type: 'string' },
            summary: { type: ['string', 'null'] },
            // Official wording, only when the tenant's catalog carries it (imported or public text).
            statement: { type: ['string', 'null'] },
            kind: { type: ['string', 'null'] },
            parent: { type: ['string', 'null'] },
            out_of_scope: { type: ['string', 'null'] },
            status: resultStatus,
            state,
          },
        },
        controls: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'control_id',
              'title',
              'relationship',
              'status',
              'counts',
              'rule_ids',
              'evidence_needed',
            ],
            properties: {
              control_id: { type: 'string' },
              title: { type: 'string' },
              relationship: { type: ['string', 'null'] },
              status: resultStatus,
              counts: { ...controlResultSchema.properties.counts, type: ['object', 'null'] },
              rule_ids: { type: 'array', items: { type: 'string' } },
              evidence_needed: { type: 'boolean' },
            },
          },
        },
        evidence: {
          type: 'object',
          required: ['automated', 'manual'],
          properties: {
            automated: {
              type: 'array',
              items: {
                type: 'object',
                required: [
                  'sha256',
                  'resource_id',
                  'resource_type',
                  'resource_name',
                  'integration_name',
                  'findings',
                ],
                properties: {
                  sha256: { type: 'string' },
                  resource_id: { type: 'string' },
                  resource_type: { type: 'string' },
                  resource_name: { type: 'string' },
                  integration_name: { type: ['string', 'null'] },
                  findings: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['finding_id', 'rule_id', 'status', 'excepted'],
                      properties: {
                        finding_id: { type: 'string' },
                        rule_id: { type: 'string' },
                        status: { type: 'string' },
                        excepted: { type: 'boolean' },
                      },
                    },
                  },
                },
              },
            },
            manual: { type: 'array', items: manualEvidenceRecordSchema },
          },
        },
        sources: postureSourcesSchema,
      },
    },
    ...readErrors,
  },
} as const;

const drilldownRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { controlId: string } }>(
    '/controls/:controlId',
    { schema: controlSchema, config: { permission: 'tenant:read' } },
    async (request) => app.posture.control(principalOf(request).tenantId, request.params.controlId),
  );

  app.get<{ Params: { frameworkId: string; requirementId: string } }>(
    '/frameworks/:frameworkId/requirements/:requirementId',
    { schema: requirementSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const { frameworkId, requirementId } = request.params;
      return app.posture.requirement(principalOf(request).tenantId, frameworkId, requirementId);
    },
  );
};

export default drilldownRoutes;
