/** Decorates `app.audits`: audit periods, their scoped reads and packages, over the other domains' services. */
import fp from 'fastify-plugin';
import { AuditService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    audits: AuditService;
  }
}

export const auditsPlugin = fp(
  async (app) => {
    app.decorate(
      'audits',
      new AuditService({
        withTenant: app.withTenant,
        ledger: app.ledger,
        invitations: app.invitations,
        scans: app.scans,
        reports: app.reports,
        ruleVersions: app.ruleVersions,
        evidence: app.evidence,
        store: app.evidenceStore,
        engine: app.engine,
      }),
    );
  },
  {
    name: 'audits',
    dependencies: [
      'tenancy',
      'ledger',
      'invitations',
      'scans',
      'reports',
      'rule-versions',
      'evidence-reads',
      'evidence',
      'engine',
    ],
  },
);
