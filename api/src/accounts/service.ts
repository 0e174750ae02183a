/**
 * Joining a tenant through a mailed token (an invitation or a sign-up), shared by both: holding the token
 * proves the e-mail. Without an account for that e-mail, the joiner chooses its password (the password policy
 * applies) and the account is created with it; with an account, the joiner must be signed in as it, and its
 * password is never set or changed. So whoever sends a token to someone else's e-mail learns no password.
 */
import { randomUUID } from 'node:crypto';
import { assertPasswordAcceptable } from '../auth/password-policy.ts';
import { ApiError } from '../errors.ts';
import { hashPassword } from '../plugins/app/passwords.ts';
import type { Trx, WithContext } from '../plugins/app/tenancy.ts';
import { accountIdOf, insertAccount } from './store.ts';

/** The user id looked up for an unknown e-mail: a valid UUID no account has (ids are random v4). */
export const NO_ONE = '00000000-0000-0000-0000-000000000000';

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Whether a database error is a unique violation (e.g. an account created meanwhile). */
export const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';

/** 409 for a token of an e-mail that has an account, presented without being signed in as it. */
export const signInToAccept = (then: string) =>
  new ApiError('SIGN_IN_TO_ACCEPT', `an account with this e-mail exists: sign in as it, then ${then}`);

/** Who joins: an existing account, or a new one with this id and password hash. */
export interface Joiner {
  userId: string;
  /** Set for a new account only. */
  passwordHash?: string;
}

/**
 * Decides who joins for `email`. An existing account needs `signedInUserId` to be it (409 SIGN_IN_TO_ACCEPT
 * when absent, `otherAccount()` when another); a new one needs `password`. Hashes outside any transaction:
 * the embedded database has a single connection.
 */
export async function prepareJoiner(
  withContext: WithContext,
  email: string,
  input: { password?: string; signedInUserId?: string },
  refusals: { then: string; otherAccount: () => ApiError },
): Promise<Joiner> {
  const existing = await withContext({ loginEmail: email }, (trx) => accountIdOf(trx, email));
  if (existing !== undefined) {
    if (input.signedInUserId === undefined) throw signInToAccept(refusals.then);
    if (input.signedInUserId !== existing) throw refusals.otherAccount();
    return { userId: existing };
  }
  if (input.password === undefined)
    throw new ApiError('VALIDATION_ERROR', 'choose a password for your new account', [
      { field: 'password', message: 'is required to create your account' },
    ]);
  assertPasswordAcceptable(input.password, email);
  return { userId: randomUUID(), passwordHash: await hashPassword(input.password) };
}

/** Creates the joiner's account when it is new (inside the joining transaction); true when it did. */
export async function createJoinerAccount(trx: Trx, joiner: Joiner, email: string): Promise<boolean> {
  if (joiner.passwordHash === undefined) return false;
  await insertAccount(trx, { id: joiner.userId, email, password_hash: joiner.passwordHash });
  return true;
}
