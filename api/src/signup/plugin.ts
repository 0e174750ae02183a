/** Decorates `app.signup`: self-service sign-up over the mailer and the ledger (off unless the setting says). */
import fp from 'fastify-plugin';
import { SignupService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    signup: SignupService;
  }
}

export const signupPlugin = fp<{ publicUrl: string; enabled: boolean }>(
  async (app, settings) => {
    app.decorate('signup', new SignupService(app.withContext, app.ledger, app.mailer, settings));
  },
  { name: 'signup', dependencies: ['tenancy', 'ledger', 'invitations'] },
);
