/**
 * /api/evidence/:sha256: what the caller's tenant records of a stored artifact of any media type (a resource
 * snapshot, manual evidence, a report PDF, an audit package zip): its record, the bytes hashed again, what
 * recorded and what cites it, and the content of a JSON artifact; /api/evidence/:sha256/download: its bytes;
 * /api/evidence/manual: see manual.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import manualEvidenceRoutes from './manual.ts';

const params = {
  type: 'object',
  required: ['sha256'],
  properties: { sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
} as const;

const nullableString = { type: ['string', 'null'] } as const;

const subjectKind = { type: 'string', enum: ['scan', 'report', 'audit_package', 'manual'] } as const;

const evidenceSchema = {
  operationId: 'getEvidence',
  summary: 'One stored evidence artifact: its record, checks, what recorded and cites it, JSON content',
  tags: ['evidence'],
  params,
  response: {
    200: {
      type: 'object',
      required: [
        'sha256',
        'size',
        'content_type',
        'created_at',
        'verified',
        'stored',
        'content',
        'recorded',
        'cited_by',
      ],
      properties: {
        sha256: { type: 'string' },
        // The stored bytes hashed again on this read: true when they still have this sha256.
        verified: { type: 'boolean' },
        stored: { type: 'string', enum: ['verified', 'altered', 'missing'] },
        size: { type: 'integer' },
        content_type: { type: 'string' },
        created_at: { type: 'string', format: 'date-time' },
        // Only for application/json artifacts whose bytes were verified; null otherwise.
        content: {},
        recorded: {
          type: 'object',
          required: ['by', 'subject_id', 'actor', 'ledger_seq'],
          properties: {
            by: { type: 'string', enum: [...subjectKind.enum, 'unknown'] },
            subject_id: { type: ['string', 'null'] },
            actor: { type: ['string', 'null'] },
            ledger_seq: { type: ['integer', 'null'] },
          },
        },
        cited_by: {
          type: 'object',
          required: ['scans', 'items'],
          properties: {
            scans: { type: 'integer' },
            items: {
              type: 'array',
              items: {
                type: 'object',
                required: [
                  'kind',
                  'id',
                  'at',
                  'label',
                  'resource_id',
                  'framework_id',
                  'framework_version',
                  'requirement_id',
                  'control_id',
                ],
                properties: {
                  kind: subjectKind,
                  id: { type: 'string' },
                  at: { type: 'string', format: 'date-time' },
                  label: { type: 'string' },
                  // A scan's snapshot: the resource it describes.
                  resource_id: nullableString,
                  // A report's framework; manual evidence's control or framework requirement.
                  framework_id: nullableString,
                  framework_version: nullableString,
                  requirement_id: nullableString,
                  control_id: nullableString,
                },
              },
            },
          },
        },
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const downloadSchema = {
  operationId: 'downloadEvidence',
  summary: "Download one stored evidence artifact's bytes",
  tags: ['evidence'],
  params,
  response: {
    200: {
      description:
        'The stored bytes, hashed again on this read, as a file download (sha256 in x-content-sha256; the recorded media type in GET /api/evidence/:sha256 and the file name extension).',
      content: { 'application/octet-stream': { schema: { type: 'string' } } },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
    409: errorBodySchema,
  },
} as const;

const evidenceRoutes: FastifyPluginAsync = async (app) => {
  await app.register(manualEvidenceRoutes);
  app.get<{ Params: { sha256: string } }>(
    '/:sha256',
    { schema: evidenceSchema, config: { permission: 'tenant:read' } },
    async (request) => app.evidence.read(principalOf(request).tenantId, request.params.sha256),
  );
  app.get<{ Params: { sha256: string } }>(
    '/:sha256/download',
    { schema: downloadSchema, config: { permission: 'tenant:read' } },
    async (request, reply) => {
      const file = await app.evidence.file(principalOf(request).tenantId, request.params.sha256);
      // One answer type for every artifact: a download, whatever it holds (the file name says the kind).
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${file.filename}"`)
        .header('x-content-sha256', request.params.sha256)
        .header('cache-control', 'no-store')
        .send(file.bytes);
    },
  );
};

export default evidenceRoutes;
