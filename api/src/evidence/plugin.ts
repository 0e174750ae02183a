/** Decorates `app.evidence`: evidence reads and manual evidence over the tenant transactions, the evidence store, the ledger and the engine's catalogs. */
import fp from 'fastify-plugin';
import { EvidenceService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    evidence: EvidenceService;
  }
}

export const evidenceReadsPlugin = fp(
  async (app) => {
    app.decorate('evidence', new EvidenceService(app.withTenant, app.evidenceStore, app.ledger, app.engine));
  },
  { name: 'evidence-reads', dependencies: ['tenancy', 'evidence', 'ledger', 'engine'] },
);
