/** Decorates `app.scans`: the scans service over the tenant transactions, the job queue and its wake-ups, the ledger and the evidence store (the resource listing reads snapshots). */
import fp from 'fastify-plugin';
import { ScanService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    scans: ScanService;
  }
}

export const scansPlugin = fp(
  async (app) => {
    app.decorate(
      'scans',
      new ScanService(app.withTenant, app.boss, app.wakeups, app.ledger, app.evidenceStore),
    );
  },
  { name: 'scans', dependencies: ['tenancy', 'boss', 'wakeups', 'ledger', 'evidence'] },
);
