/**
 * Tenant frameworks: POST /api/frameworks (admin) uploads a catalog with its UCF mappings (the YAML or JSON of
 * a frameworks/<id>/<version>.yaml catalog with a `mappings` list, or an OSCAL catalog), checked like
 * `frameworks lint` (400 with every problem and its line; nothing stored), stored for the tenant only as the
 * next revision of that framework version, and scored from the next scan on. Older revisions stay readable
 * (GET /api/frameworks/uploads[/:uploadId]).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { FrameworkUpload } from '../../../../engine/index.ts';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';

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
      return reply.status(201).send(await app.frameworks.upload(tenantId, userId, request.body));
    },
  );

  app.get('/uploads', { schema: listSchema, config: { permission: 'tenant:read' } }, async (request) => ({
    items: await app.frameworks.uploads(principalOf(request).tenantId),
  }));

  app.get<{ Params: { uploadId: string } }>(
    '/uploads/:uploadId',
    { schema: getSchema, config: { permission: 'tenant:read' } },
    async (request) => app.frameworks.uploadById(principalOf(request).tenantId, request.params.uploadId),
  );
};

export default uploadRoutes;
