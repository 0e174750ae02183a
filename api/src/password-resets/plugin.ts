/** Decorates `app.passwordResets`: password reset by e-mail over the mailer, the ledger and the auth service. */
import fp from 'fastify-plugin';
import { PasswordResetService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    passwordResets: PasswordResetService;
  }
}

export const passwordResetsPlugin = fp<{ publicUrl: string }>(
  async (app, { publicUrl }) => {
    app.decorate(
      'passwordResets',
      new PasswordResetService(app.withContext, app.ledger, app.mailer, publicUrl, (userId) =>
        app.auth.forgetSessions(userId),
      ),
    );
  },
  { name: 'password-resets', dependencies: ['tenancy', 'ledger', 'invitations', 'auth'] },
);
