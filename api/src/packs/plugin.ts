/** Decorates `app.rulePacks`: the rule packs service over the tenant transactions, the ledger and the engine. */
import fp from 'fastify-plugin';
import { RulePackService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    rulePacks: RulePackService;
  }
}

export const rulePacksPlugin = fp(
  async (app) => {
    app.decorate('rulePacks', new RulePackService(app.withTenant, app.ledger, app.engine));
  },
  { name: 'rule-packs', dependencies: ['tenancy', 'ledger', 'engine'] },
);
