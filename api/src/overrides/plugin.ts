/** Decorates `app.overrides`: the overrides service over the tenant transactions, the ledger and the engine. */
import fp from 'fastify-plugin';
import { OverrideService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    overrides: OverrideService;
  }
}

export const overridesPlugin = fp(
  async (app) => {
    app.decorate('overrides', new OverrideService(app.withTenant, app.ledger, app.engine));
  },
  { name: 'overrides', dependencies: ['tenancy', 'ledger', 'engine'] },
);
