/**
 * /api/frameworks: the framework catalogs the tenant is scored against: the shared ones and the tenant's own
 * uploads (uploads.ts); coverage in coverage.ts.
 */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import { principalOf } from '../../plugins/app/auth.ts';
import coverageRoutes from './coverage.ts';
import uploadRoutes from './uploads.ts';

const frameworksSchema = {
  operationId: 'listFrameworks',
  summary: 'List the framework catalogs the tenant is scored against',
  tags: ['frameworks'],
  response: {
    200: {
      type: 'object',
      required: ['ucf_version', 'controls', 'items'],
      properties: {
        ucf_version: { type: 'string' },
        controls: { type: 'integer' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            required: [
              'id',
              'version',
              'title',
              'owner',
              'source',
              'license',
              'text_policy',
              'requirements',
              'uploaded',
            ],
            properties: {
              id: { type: 'string' },
              version: { type: 'string' },
              title: { type: 'string' },
              owner: { type: 'string' },
              source: { type: 'string' },
              license: { type: 'string' },
              text_policy: { type: 'string' },
              requirements: { type: 'integer' },
              // True for a catalog the tenant uploaded (POST /api/frameworks), false for a shared one.
              uploaded: { type: 'boolean' },
            },
          },
        },
      },
    },
    401: errorBodySchema,
  },
} as const;

const frameworkRoutes: FastifyPluginAsync = async (app) => {
  await app.register(coverageRoutes);
  await app.register(uploadRoutes);
  app.get('/', { schema: frameworksSchema, config: { permission: 'tenant:read' } }, async (request) =>
    app.frameworks.list(principalOf(request).tenantId),
  );
};

export default frameworkRoutes;
