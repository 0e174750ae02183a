/**
 * /api/ledger: the tenant's audit log (ledger entries, newest first) and the evidence-bundle export for a
 * period, for admins and auditors. Verify a bundle offline with `complywise evidence verify <file>`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { ledgerPageQuerySchema, ledgerPageSchema } from './schema.ts';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema } as const;

const listSchema = {
  operationId: 'listLedgerEntries',
  summary: 'Read the audit log, newest first',
  tags: ['ledger'],
  querystring: ledgerPageQuerySchema,
  response: {
    200: ledgerPageSchema,
    ...errors,
  },
} as const;

const freeForm = { type: 'object', additionalProperties: true } as const;

const exportSchema = {
  operationId: 'exportEvidenceBundle',
  summary: 'Export the evidence bundle of a time range',
  tags: ['ledger'],
  querystring: {
    type: 'object',
    required: ['from', 'to'],
    additionalProperties: false,
    properties: {
      from: { type: 'string', format: 'date-time' },
      to: { type: 'string', format: 'date-time' },
    },
  },
  // The bundle is returned as stored: its sections are named here, their contents (payloads, artifacts) are
  // free-form and serialized as they are.
  response: {
    200: {
      type: 'object',
      required: ['format', 'manifest', 'public_key', 'entries', 'checkpoints', 'artifacts'],
      additionalProperties: true,
      properties: {
        format: { type: 'string' },
        manifest: freeForm,
        public_key: freeForm,
        entries: { type: 'array', items: freeForm },
        checkpoints: { type: 'array', items: freeForm },
        artifacts: { type: 'array', items: freeForm },
      },
    },
    ...errors,
  },
} as const;

const ledgerRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { limit: number; before_seq?: number } }>(
    '/',
    { schema: listSchema, config: { permission: 'audit:read' } },
    async (request) => {
      const { limit, before_seq } = request.query;
      const items = await app.ledger.entries(principalOf(request).tenantId, limit + 1, before_seq);
      const page = items.slice(0, limit);
      return { items: page, next_before_seq: items.length > limit ? page[page.length - 1]!.seq : null };
    },
  );

  app.get<{ Querystring: { from: string; to: string } }>(
    '/export',
    { schema: exportSchema, config: { permission: 'audit:read' } },
    async (request, reply) => {
      const from = new Date(request.query.from);
      const to = new Date(request.query.to);
      if (from > to) throw new ApiError('VALIDATION_ERROR', '"from" must not be after "to"');
      const { tenantId } = principalOf(request);
      const bundle = await app.ledger.exportBundle(tenantId, from, to);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="evidence-${tenantId}.json"`)
        .send(bundle);
    },
  );
};

export default ledgerRoutes;
