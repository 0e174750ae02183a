/**
 * The password-reset store: one row per mailed reset token (its sha256, account, expiry, when spent). A
 * reset is found by its hash alone (the context's `resetTokenHash`: the presented_reset policy shows only
 * that row); everything else runs as the account (`userId`: the own_resets policy).
 */
import type { Trx } from '../plugins/app/tenancy.ts';

/** A reset as confirming reads it. */
export interface ResetRow {
  id: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
}

export async function insertReset(
  trx: Trx,
  row: { user_id: string; token_hash: string; expires_at: Date },
): Promise<void> {
  await trx('password_resets').insert(row);
}

/** The reset with this token hash, if the policies show it. */
export function findResetByHash(trx: Trx, tokenHash: string): Promise<ResetRow | undefined> {
  return trx('password_resets')
    .select('id', 'user_id', 'expires_at', 'used_at')
    .where({ token_hash: tokenHash })
    .first();
}

/** Spends one unspent, unexpired reset; false when another request spent it first (or it expired). */
export async function markResetUsed(trx: Trx, id: string): Promise<boolean> {
  const count = await trx('password_resets')
    .where({ id })
    .whereNull('used_at')
    .where('expires_at', '>', trx.fn.now())
    .update({ used_at: trx.fn.now() });
  return count === 1;
}

/** Spends every other pending reset of the account: a reset link mailed earlier dies with this one. */
export function spendPendingResetsOf(trx: Trx, userId: string): Promise<number> {
  return trx('password_resets')
    .where({ user_id: userId })
    .whereNull('used_at')
    .update({ used_at: trx.fn.now() });
}
