/** Decorates `app.integrations`: the integrations service over the tenant transactions, the vault, the ledger, the egress policy, the job queue and the engine's catalogs. */
import fp from 'fastify-plugin';
import { IntegrationService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    integrations: IntegrationService;
  }
}

export const integrationsPlugin = fp(
  async (app) => {
    app.decorate(
      'integrations',
      new IntegrationService(app.withTenant, app.vault, app.ledger, app.egress.policy, app.boss, app.engine),
    );
  },
  { name: 'integrations', dependencies: ['tenancy', 'crypto', 'ledger', 'egress', 'boss', 'engine'] },
);
