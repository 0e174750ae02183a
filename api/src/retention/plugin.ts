/** Decorates `app.retention`: the retention settings service over the tenant transactions and the ledger. */
import fp from 'fastify-plugin';
import { RetentionService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    retention: RetentionService;
  }
}

export const retentionPlugin = fp(
  async (app) => {
    app.decorate('retention', new RetentionService(app.withTenant, app.ledger));
  },
  { name: 'retention', dependencies: ['tenancy', 'ledger'] },
);
