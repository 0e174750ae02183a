/** Decorates `app.mailer` and `app.invitations`: the invitation service over tenant transactions, the ledger and the mailer. */
import fp from 'fastify-plugin';
import { mailerFor, type Mailer } from '../mail/mailer.ts';
import { InvitationService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer;
    invitations: InvitationService;
  }
}

export interface InvitationsPluginOptions {
  dataDir: string;
  smtpUrl?: string;
  mailFrom: string;
  publicUrl: string;
}

export const invitationsPlugin = fp<InvitationsPluginOptions>(
  async (app, { dataDir, smtpUrl, mailFrom, publicUrl }) => {
    const mailer = mailerFor({ dataDir, mailFrom, ...(smtpUrl ? { smtpUrl } : {}) });
    app.decorate('mailer', mailer);
    app.decorate('invitations', new InvitationService(app.withContext, app.ledger, mailer, publicUrl));
  },
  { name: 'invitations', dependencies: ['tenancy', 'ledger'] },
);
