/** Decorates `app.integrations`: the integrations service over the tenant transactions, the vault, the ledger and the egress policy. */
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
      new IntegrationService(app.withTenant, app.vault, app.ledger, app.egress.policy),
    );
  },
  { name: 'integrations', dependencies: ['tenancy', 'crypto', 'ledger', 'egress'] },
);
