/**
 * /api/evidence/:sha256: a stored artifact (a resource snapshot or attached manual evidence), only when the
 * caller's tenant recorded it; /api/evidence/manual: see manual.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import manualEvidenceRoutes from './manual.ts';

const evidenceSchema = {
  operationId: 'getEvidence',
  summary: 'Download one stored evidence artifact',
  tags: ['evidence'],
  params: {
    type: 'object',
    required: ['sha256'],
    properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
  },
  response: {
    200: {
      type: 'object',
      required: ['sha256', 'size', 'content_type', 'created_at', 'verified', 'content'],
      properties: {
        sha256: { type: 'string' },
        // The stored bytes hashed again on this read: true when they still have this sha256.
        verified: { type: 'boolean' },
        size: { type: 'integer' },
        content_type: { type: 'string' },
        created_at: { type: 'string', format: 'date-time' },
        content: {},
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const evidenceRoutes: FastifyPluginAsync = async (app) => {
  await app.register(manualEvidenceRoutes);
  app.get<{ Params: { sha256: string } }>(
    '/:sha256',
    { schema: evidenceSchema, config: { permission: 'tenant:read' } },
    async (request) => app.evidence.read(principalOf(request).tenantId, request.params.sha256),
  );
};

export default evidenceRoutes;
