/**
 * Decorates `app.posture`: the drill-down reads over the tenant's posture (requirement, control, finding,
 * resource); and `app.scoringPolicy`: the tenant's scoring policy, read and replaced.
 */
import fp from 'fastify-plugin';
import { ScoringPolicyService } from './policy-service.ts';
import { PostureService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    posture: PostureService;
    scoringPolicy: ScoringPolicyService;
  }
}

export const posturePlugin = fp(
  async (app) => {
    app.decorate('posture', new PostureService(app.withTenant, app.engine, app.evidenceStore));
    app.decorate('scoringPolicy', new ScoringPolicyService(app.withTenant, app.engine, app.ledger));
  },
  { name: 'posture', dependencies: ['tenancy', 'evidence', 'engine', 'ledger'] },
);
