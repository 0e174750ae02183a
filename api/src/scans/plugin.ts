/** Decorates `app.scans`: the scans service over the tenant transactions, the job queue and the ledger. */
import fp from 'fastify-plugin';
import { ScanService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    scans: ScanService;
  }
}

export const scansPlugin = fp(
  async (app) => {
    app.decorate('scans', new ScanService(app.withTenant, app.boss, app.ledger));
  },
  { name: 'scans', dependencies: ['tenancy', 'boss', 'ledger'] },
);
