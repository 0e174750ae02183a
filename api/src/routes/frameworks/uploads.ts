/**
 * Tenant frameworks: POST /api/frameworks (admin) uploads a catalog with its UCF mappings (the YAML or JSON of
 * a frameworks/<id>/<version>.yaml catalog with a `mappings` list, or an OSCAL catalog), checked like
 * `frameworks lint` (400 with every problem and its line; nothing stored), stored for the tenant only as the
 * next revision of that framework version, and scored from the next scan on. Older revisions stay readable
 * (GET /api/frameworks/uploads[/:uploadId]).
 */
import type { FastifyPluginAsync } from 'fastify';
import { SourceError, checkFrameworkUpload, type FrameworkUpload } from '../../../../engine/index.ts';
import { ApiError, errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import { sha256Hex } from '../../canonical.ts';
import {
  getTenantFramework,
  insertTenantFramework,
  listTenantFrameworks,
} from '../../scoring/tenant-frameworks.ts';

const summaryProperties = {
  id: { type: 'string' },
  framework_id: { type: 'string' },
  framework_version: { type: 'string' },
  revision: { type: 'integer' },
  title: { type: 'string' },
  requirements: { type: 'integer' },
  mappings: { type: 'integer' },
  source_format: { type: 'string' },
  sha256: { type: 'string' },
  uploaded_by: { type: 'string' },
  created_at: { type: 'string', format: 'date-time' },
} as const;

const summarySchema = {
  type: 'object',
  required: Object.keys(summaryProperties),
  properties: summaryProperties,
} as const;

const problemSchema = {
  type: 'object',
  required: ['code', 'file', 'line', 'message'],
  properties: {
    code: { type: 'string' },
    file: { type: 'string' },
    line: { type: 'integer' },
    message: { type: 'string' },
  },
} as const;

/** Catalogs of a few thousand requirements with their text. */
const BODY_LIMIT = 8 * 1024 * 1024;

const uploadSchema = {
  operationId: 'uploadFramework',
  summary: 'Upload a framework catalog with its mappings',
  tags: ['frameworks'],
  body: {
    type: 'object',
    required: ['format', 'content'],
    additionalProperties: false,
    properties: {
      format: { type: 'string', enum: ['yaml', 'json', 'oscal'] },
      content: { type: 'string', minLength: 1, maxLength: BODY_LIMIT },
      // OSCAL only: the id, version and title the catalog gets, and its mappings (inside the catalog otherwise).
      framework_id: { type: 'string', minLength: 1, maxLength: 100 },
      framework_version: { type: 'string', minLength: 1, maxLength: 100 },
      title: { type: 'string', minLength: 1, maxLength: 300 },
      mappings: { type: 'array', maxItems: 20000, items: { type: 'object' } },
    },
  },
  response: {
    201: {
      type: 'object',
      required: [...Object.keys(summaryProperties), 'warnings'],
      properties: { ...summaryProperties, warnings: { type: 'array', items: problemSchema } },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    403: errorBodySchema,
    409: errorBodySchema,
    413: errorBodySchema,
  },
} as const;

const listSchema = {
  operationId: 'listFrameworkUploads',
  summary: "List the tenant's uploaded framework revisions",
  tags: ['frameworks'],
  response: {
    200: {
      type: 'object',
      required: ['items'],
      properties: { items: { type: 'array', items: summarySchema } },
    },
    401: errorBodySchema,
  },
} as const;

const getSchema = {
  operationId: 'getFrameworkUpload',
  summary: 'Read one uploaded framework revision',
  tags: ['frameworks'],
  params: {
    type: 'object',
    required: ['uploadId'],
    properties: { uploadId: { type: 'string', format: 'uuid' } },
  },
  response: {
    200: {
      type: 'object',
      required: [...Object.keys(summaryProperties), 'catalog', 'mappings_list'],
      properties: {
        ...summaryProperties,
        catalog: { type: 'object', additionalProperties: true },
        mappings_list: { type: 'array', items: { type: 'object', additionalProperties: true } },
      },
    },
    400: errorBodySchema,
    401: errorBodySchema,
    404: errorBodySchema,
  },
} as const;

const uploadRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Body: FrameworkUpload }>(
    '/',
    { schema: uploadSchema, bodyLimit: BODY_LIMIT, config: { permission: 'scoring:manage' } },
    async (request, reply) => {
      const { tenantId, userId } = principalOf(request);
      const base = await app.engine.frameworks();
      let checked;
      try {
        checked = checkFrameworkUpload(request.body, base);
      } catch (error) {
        if (!(error instanceof SourceError)) throw error;
        throw new ApiError(
          'VALIDATION_ERROR',
          `the framework catalog is invalid: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}, first: line ${error.problems[0]!.line}: ${error.problems[0]!.message}`,
          { problems: error.problems },
        );
      }
      const stored = await app.withTenant(tenantId, async (trx) => {
        const summary = await insertTenantFramework(trx, tenantId, {
          catalog: checked.catalog,
          mappings: checked.mappings,
          source_format: request.body.format,
          sha256: sha256Hex(Buffer.from(request.body.content, 'utf8')),
          uploaded_by: userId,
        });
        await app.ledger.append(trx, tenantId, [
          {
            kind: 'framework.uploaded',
            actor: userId,
            payload: {
              id: summary.id,
              framework_id: summary.framework_id,
              framework_version: summary.framework_version,
              revision: summary.revision,
              sha256: summary.sha256,
              requirements: summary.requirements,
              mappings: summary.mappings,
            },
          },
        ]);
        return summary;
      });
      return reply.status(201).send({ ...stored, warnings: checked.warnings });
    },
  );

  app.get('/uploads', { schema: listSchema, config: { permission: 'tenant:read' } }, async (request) => ({
    items: await app.withTenant(principalOf(request).tenantId, (trx) => listTenantFrameworks(trx)),
  }));

  app.get<{ Params: { uploadId: string } }>(
    '/uploads/:uploadId',
    { schema: getSchema, config: { permission: 'tenant:read' } },
    async (request) => {
      const found = await app.withTenant(principalOf(request).tenantId, (trx) =>
        getTenantFramework(trx, request.params.uploadId),
      );
      if (!found)
        throw new ApiError('FRAMEWORK_NOT_FOUND', `no uploaded framework ${request.params.uploadId}`);
      return found;
    },
  );
};

export default uploadRoutes;
