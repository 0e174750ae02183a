/** Decorates `app.schedules`: the schedules service over the tenant transactions, the job queue, scans and the ledger. */
import fp from 'fastify-plugin';
import { ScheduleService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    schedules: ScheduleService;
  }
}

export const schedulesPlugin = fp(
  async (app) => {
    app.decorate('schedules', new ScheduleService(app.withTenant, app.boss, app.scans, app.ledger));
  },
  { name: 'schedules', dependencies: ['tenancy', 'boss', 'scans', 'ledger'] },
);
