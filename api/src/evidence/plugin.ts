/** Decorates `app.evidence`: tenant-scoped evidence reads over the tenant transactions and the evidence store. */
import fp from 'fastify-plugin';
import { EvidenceService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    evidence: EvidenceService;
  }
}

export const evidenceReadsPlugin = fp(
  async (app) => {
    app.decorate('evidence', new EvidenceService(app.withTenant, app.evidenceStore));
  },
  { name: 'evidence-reads', dependencies: ['tenancy', 'evidence'] },
);
