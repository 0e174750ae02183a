/** /api/frameworks: the framework catalogs ComplyWise scores against (global, not tenant data). */
import type { FastifyPluginAsync } from 'fastify';
import { errorBodySchema } from '../../errors.ts';
import coverageRoutes from './coverage.ts';

const frameworksSchema = {
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
            required: ['id', 'version', 'title', 'owner', 'source', 'license', 'text_policy', 'requirements'],
            properties: {
              id: { type: 'string' },
              version: { type: 'string' },
              title: { type: 'string' },
              owner: { type: 'string' },
              source: { type: 'string' },
              license: { type: 'string' },
              text_policy: { type: 'string' },
              requirements: { type: 'integer' },
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
  app.get('/', { schema: frameworksSchema, config: { permission: 'tenant:read' } }, async () => {
    const { ucf_version, controls, frameworks } = await app.engine.frameworks();
    return {
      ucf_version,
      controls: controls.length,
      items: frameworks.map((f) => ({ ...f, requirements: f.requirements.length })),
    };
  });
};

export default frameworkRoutes;
