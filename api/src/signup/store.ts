/**
 * The sign-up store: pending sign-ups (organization name, e-mail, token hash, expiry), readable and
 * completable only by whoever presents the token (the context's `signupTokenHash`).
 */
import type { Trx } from '../plugins/app/tenancy.ts';

/** A sign-up as completing reads it. */
export interface SignupRow {
  id: string;
  email: string;
  organization_name: string;
  expires_at: Date;
  completed_at: Date | null;
}

export async function insertSignup(
  trx: Trx,
  row: { email: string; organization_name: string; token_hash: string; expires_at: Date },
): Promise<void> {
  // No RETURNING: nobody may read a pending sign-up without its token.
  await trx('signups').insert(row);
}

export function findSignupByHash(trx: Trx, tokenHash: string): Promise<SignupRow | undefined> {
  return trx('signups')
    .select('id', 'email', 'organization_name', 'expires_at', 'completed_at')
    .where({ token_hash: tokenHash })
    .first();
}

/**
 * Completes a pending, unexpired sign-up, recording the tenant it creates and its admin; false when another
 * request completed it first. The tenant insert that follows is admitted only for that id.
 */
export async function markSignupCompleted(
  trx: Trx,
  id: string,
  tenantId: string,
  userId: string,
): Promise<boolean> {
  const count = await trx('signups')
    .where({ id })
    .whereNull('completed_at')
    .where('expires_at', '>', trx.fn.now())
    .update({ completed_at: trx.fn.now(), completed_by: userId, created_tenant_id: tenantId });
  return count === 1;
}
