/**
 * GET /api/scores/history?framework=soc2[@2017]: the tenant's posture of one framework over time, one point
 * per scoring event, each naming the integration and scan that changed it; GET /api/scores/events/:eventId:
 * the posture recorded at one of those events, each requirement with the status it had then.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { nextCursorSchema, pageQuerySchema } from '../../pagination.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { postureAt, scoreHistory, type ScoreHistoryOptions } from '../../scoring/store.ts';
import { frameworkScoreSchema, scoreBasisSchema, statusCountsSchema } from '../scans/schema.ts';

/** The scan of each integration a scoring event was computed from (also a pack's scores' sources). */
export const eventSourcesSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['integration_id', 'scan_id', 'finished_at'],
    properties: {
      integration_id: { type: 'string' },
      scan_id: { type: 'string' },
      finished_at: { type: 'string', format: 'date-time' },
    },
  },
} as const;

/** A scoring event: what caused it and what it was computed from (a history point and a past snapshot). */
const eventProperties = {
  event_id: { type: 'string' },
  // What caused the point: a scan that succeeded, manual evidence, or a per-scan snapshot from before.
  reason: { type: 'string', enum: ['scan', 'manual_evidence', 'migrated', 'integration_archived'] },
  // The integration and scan that changed the posture (null when manual evidence did).
  integration_id: { type: ['string', 'null'] },
  scan_id: { type: ['string', 'null'] },
  // The scan of each integration the point was computed from.
  sources: eventSourcesSchema,
  scored_at: { type: 'string', format: 'date-time' },
} as const;

const snapshotSchema = {
  type: 'object',
  required: [
    'event_id',
    'reason',
    'integration_id',
    'scan_id',
    'sources',
    'finished_at',
    'scored_at',
    'framework_id',
    'framework_version',
    'title',
    'score',
    'passed',
    'failed',
    'not_applicable',
    'needs_evidence',
    'weighted',
    'policy',
    'policy_sha256',
    'manual_evidence',
    'status_counts',
    'score_basis',
  ],
  properties: {
    ...eventProperties,
    // When the triggering scan finished (when the event happened, for manual evidence).
    finished_at: { type: 'string', format: 'date-time' },
    framework_id: { type: 'string' },
    framework_version: { type: 'string' },
    title: { type: 'string' },
    score: { type: ['number', 'null'] },
    passed: { type: 'integer' },
    failed: { type: 'integer' },
    not_applicable: { type: 'integer' },
    needs_evidence: { type: 'integer' },
    weighted: { type: 'boolean' },
    // The framework's effective scoring policy when the snapshot was computed (null before policies existed).
    policy: { type: ['object', 'null'], additionalProperties: true },
    policy_sha256: { type: ['string', 'null'] },
    manual_evidence: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: {
          evidence_id: { type: 'string' },
          control_id: { type: 'string' },
          verdict: { type: 'string' },
          collected_at: { type: 'string' },
        },
      },
    },
    status_counts: statusCountsSchema,
    score_basis: scoreBasisSchema,
  },
} as const;

const historySchema = {
  operationId: 'getScoreHistory',
  summary: "A framework's posture over time, one point per scoring event",
  tags: ['scores'],
  querystring: {
    type: 'object',
    required: ['framework'],
    additionalProperties: false,
    properties: {
      ...pageQuerySchema(50, 500),
      framework: { type: 'string', minLength: 1, maxLength: 200 },
      version: { type: 'string', minLength: 1, maxLength: 100 },
    },
  },
  response: {
    200: {
      type: 'object',
      required: ['items', 'next_cursor'],
      properties: { items: { type: 'array', items: snapshotSchema }, next_cursor: nextCursorSchema },
    },
    400: errorBodySchema,
    401: errorBodySchema,
  },
} as const;

const eventSchema = {
  operationId: 'getScoringEvent',
  summary: 'The posture recorded at one scoring event, each requirement with the status it had then',
  tags: ['scores'],
  params: {
    type: 'object',
    required: ['eventId'],
    properties: { eventId: { type: 'string', format: 'uuid' } },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    // Keeps one framework (`id` or `id@version`); without it, every framework scored at the event.
    properties: { framework: { type: 'string', minLength: 1, maxLength: 200 } },
  },
  response: {
    200: {
      type: 'object',
      required: ['event_id', 'reason', 'integration_id', 'scan_id', 'sources', 'scored_at', 'items'],
      properties: { ...eventProperties, items: { type: 'array', items: frameworkScoreSchema } },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const historyRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: ScoreHistoryOptions }>(
    '/history',
    { schema: historySchema, config: { permission: 'tenant:read' } },
    async (request) =>
      app.withTenant(principalOf(request).tenantId, (trx) => scoreHistory(trx, request.query)),
  );
  app.get<{ Params: { eventId: string }; Querystring: { framework?: string } }>(
    '/events/:eventId',
    { schema: eventSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const { eventId } = request.params;
      const snapshot = await app.withTenant(principalOf(request).tenantId, (trx) =>
        postureAt(trx, eventId, request.query.framework),
      );
      if (!snapshot) throw new ApiError('SCORING_EVENT_NOT_FOUND', `no scoring event ${eventId}`);
      return snapshot;
    },
  );
};

export default historyRoutes;
