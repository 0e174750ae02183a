/**
 * /api/evidence/manual: evidence people attach to a UCF control they assess or to a framework requirement (a
 * file, sent base64 in JSON, or a JSON note). Admins and users attach; everyone in the tenant lists. Attaching
 * recomputes the latest scan's scores (docs/scoring.md, "Manual evidence").
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import type { AttachInput } from '../../evidence/manual.ts';
import { MANUAL_EVIDENCE_COLUMNS } from '../../evidence/store.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';

const nullableString = { type: ['string', 'null'] } as const;

/** A manual evidence row as the API shows it (also in the requirement drill-down). */
export const manualEvidenceRecordSchema = {
  type: 'object',
  required: [...MANUAL_EVIDENCE_COLUMNS],
  properties: {
    id: { type: 'string' },
    control_id: nullableString,
    framework_id: nullableString,
    framework_version: nullableString,
    requirement_id: nullableString,
    verdict: { type: 'string', enum: ['pass', 'fail'] },
    sha256: { type: 'string' },
    kind: { type: 'string', enum: ['file', 'note'] },
    filename: nullableString,
    description: nullableString,
    attested_by: { type: 'string' },
    collected_at: { type: 'string', format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
} as const;

const text = (max: number) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

/** Files up to 5 MiB: base64 makes the body a third larger. */
const BODY_LIMIT = 7 * 1024 * 1024;

const attachSchema = {
  operationId: 'attachManualEvidence',
  summary: 'Attach a file or a note as manual evidence',
  tags: ['evidence'],
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      control_id: text(200),
      framework_id: text(200),
      framework_version: text(100),
      requirement_id: text(200),
      verdict: { type: 'string', enum: ['pass', 'fail'] },
      collected_at: { type: 'string', format: 'date-time' },
      description: text(2000),
      file: {
        type: 'object',
        additionalProperties: false,
        required: ['filename', 'content_base64'],
        properties: {
          filename: text(255),
          content_type: text(200),
          content_base64: { type: 'string', maxLength: BODY_LIMIT },
        },
      },
      note: { type: 'object', additionalProperties: true },
    },
  },
  response: {
    201: {
      type: 'object',
      required: ['evidence', 'rescored'],
      properties: {
        evidence: manualEvidenceRecordSchema,
        rescored: {
          type: ['object', 'null'],
          required: ['event_id', 'scan_id', 'scores'],
          properties: {
            // The scoring event the evidence caused, and the newest scan the posture was computed from.
            event_id: { type: 'string' },
            scan_id: { type: 'string' },
            scores: {
              type: 'array',
              items: {
                type: 'object',
                required: ['framework_id', 'framework_version', 'score', 'needs_evidence'],
                properties: {
                  framework_id: { type: 'string' },
                  framework_version: { type: 'string' },
                  score: { type: ['number', 'null'] },
                  needs_evidence: { type: 'integer' },
                },
              },
            },
          },
        },
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    403: errorBodySchema,
    413: errorBodySchema,
  },
} as const;

interface ListQuery {
  limit: number;
  cursor?: string;
  control_id?: string;
  framework_id?: string;
}

const listSchema = {
  operationId: 'listManualEvidence',
  summary: 'List manual evidence',
  tags: ['evidence'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { ...pageQuerySchema(100, 500), control_id: text(200), framework_id: text(200) },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: {
        items: { type: 'array', items: manualEvidenceRecordSchema },
        next_cursor: nextCursorSchema,
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
  },
} as const;

const manualEvidenceRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: AttachInput }>(
    '/manual',
    { schema: attachSchema, bodyLimit: BODY_LIMIT, config: { permission: 'evidence:attach' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const result = await app.evidence.attachManual(tenantId, userId, request.body, new Date());
      return reply.status(201).send(result);
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/manual',
    { schema: listSchema, config: { permission: 'tenant:read' } },
    async (request) => app.evidence.listManual(principalOf(request).tenantId, request.query),
  );
};

export default manualEvidenceRoutes;
