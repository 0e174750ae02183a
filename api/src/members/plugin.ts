/** Decorates `app.members`: the tenant's member list, role changes and removals. */
import fp from 'fastify-plugin';
import { MemberService } from './service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    members: MemberService;
  }
}

export const membersPlugin = fp(
  async (app) => {
    app.decorate('members', new MemberService(app.withContext, app.ledger));
  },
  { name: 'members', dependencies: ['tenancy', 'ledger'] },
);
