/** Decorates `app.frameworks`: the frameworks service over the tenant transactions, the engine's shared catalogs and the ledger. */
import fp from 'fastify-plugin';
import { FrameworkService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    frameworks: FrameworkService;
  }
}

export const frameworksPlugin = fp(
  async (app) => {
    app.decorate('frameworks', new FrameworkService(app.withTenant, app.engine, app.ledger));
  },
  { name: 'frameworks', dependencies: ['tenancy', 'engine', 'ledger'] },
);
