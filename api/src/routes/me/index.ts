/** /api/me: who the access token belongs to. */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../../plugins/app/auth.ts';
import { errorBodySchema } from '../../errors.ts';
import { identitySchema } from '../auth/schema.ts';

const meRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/',
    {
      config: { permission: 'tenant:read' },
      schema: {
        operationId: 'getMe',
        summary: 'Who the access token belongs to',
        tags: ['auth'],
        response: { 200: identitySchema, 401: errorBodySchema },
      },
    },
    async (request) => app.auth.me(principalOf(request)),
  );
};

export default meRoutes;
