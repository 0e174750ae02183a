/** Decorates `app.posture`: the drill-down reads over the tenant's posture (requirement, control, finding, resource). */
import fp from 'fastify-plugin';
import { PostureService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    posture: PostureService;
  }
}

export const posturePlugin = fp(
  async (app) => {
    app.decorate('posture', new PostureService(app.withTenant, app.engine, app.evidenceStore));
  },
  { name: 'posture', dependencies: ['tenancy', 'evidence', 'engine'] },
);
