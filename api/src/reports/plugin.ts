/** Decorates `app.reports`: report jobs and CSV exports over the scans service, the queue and the evidence store. */
import fp from 'fastify-plugin';
import { ReportService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    reports: ReportService;
  }
}

export const reportsPlugin = fp(
  async (app) => {
    app.decorate(
      'reports',
      new ReportService({
        withTenant: app.withTenant,
        boss: app.boss,
        wakeups: app.wakeups,
        ledger: app.ledger,
        store: app.evidenceStore,
        scans: app.scans,
        explorer: app.explorer,
        engine: app.engine,
      }),
    );
  },
  {
    name: 'reports',
    dependencies: ['tenancy', 'boss', 'wakeups', 'ledger', 'evidence', 'scans', 'explorer', 'engine'],
  },
);
