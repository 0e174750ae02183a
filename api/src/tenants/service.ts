/**
 * Operators create tenants (`complywise tenants create`): the tenant and its ledger entry as the database
 * owner, then an admin invitation mailed to the first admin, who sets their own password through the link.
 * Nobody, the operator included, ever chooses or sees that password or the token.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { InvitationService } from '../invitations/service.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';
import { insertTenant } from './store.ts';

/** What creating a tenant did. */
export interface CreatedTenant {
  tenant_id: string;
  name: string;
  admin_email: string;
  invitation_id: string;
}

/** Creates a tenant named `name` and invites `adminEmail` as its first admin (the link goes by mail). */
export async function createTenant(
  knex: Knex,
  services: { ledger: LedgerService; invitations: InvitationService },
  input: { name: string; adminEmail: string },
): Promise<CreatedTenant> {
  const tenantId = randomUUID();
  const name = input.name.trim();
  await runAsOwner(knex, { tenantId }, async (trx) => {
    await insertTenant(trx, { id: tenantId, name });
    await services.ledger.append(trx, tenantId, [
      { kind: 'tenant.created', actor: 'operator', payload: { name, via: 'cli' } },
    ]);
  });
  const invitation = await services.invitations.invite(
    tenantId,
    null,
    { email: input.adminEmail, role: 'admin' },
    name,
  );
  return { tenant_id: tenantId, name, admin_email: invitation.email, invitation_id: invitation.id };
}
