/** Decorates `app.explorer`: the findings explorer over the tenant transactions and the frameworks. */
import fp from 'fastify-plugin';
import { ExplorerService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    explorer: ExplorerService;
  }
}

export const explorerPlugin = fp(
  async (app) => {
    app.decorate('explorer', new ExplorerService(app.withTenant, app.engine));
  },
  { name: 'explorer', dependencies: ['tenancy', 'engine'] },
);
