/**
 * Password reset by e-mail. Requesting mails a link with a random single-use token (1 hour; only its sha256
 * is stored) to an e-mail that has an account, and a note that there is none to an e-mail without: the
 * answer is the same, and so is the work (one account lookup, one transaction touching the resets, one
 * message), so neither the answer nor its time tells which e-mails have accounts. Confirming sets the new
 * password (the password policy applies), spends every pending reset of the account, signs it out
 * everywhere (every refresh token revoked; access tokens end with their sessions) and records the reset in
 * the ledger of each tenant the account belongs to, all in one transaction.
 */
import { NO_ONE, normalizeEmail } from '../accounts/service.ts';
import {
  accountIdOf,
  emailOf,
  revokeRefreshTokensOf,
  setPasswordHash,
  tenantIdsOf,
} from '../accounts/store.ts';
import { assertTokenUsable, hashMailedToken, newMailedToken } from '../accounts/tokens.ts';
import { assertPasswordAcceptable } from '../auth/password-policy.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { Mailer } from '../mail/mailer.ts';
import { hashPassword } from '../plugins/app/passwords.ts';
import { skipCommitFlush, switchTenant, type WithContext } from '../plugins/app/tenancy.ts';
import { findResetByHash, insertReset, markResetUsed, spendPendingResetsOf } from './store.ts';

export const RESET_TTL_MS = 60 * 60 * 1000;

const resetUsed = () =>
  new ApiError('RESET_TOKEN_USED', 'this reset link was already used: ask for a new one if you need it');
const refusals = {
  invalid: () =>
    new ApiError('RESET_TOKEN_INVALID', 'this reset link is not valid: check that it was copied whole'),
  used: resetUsed,
  expired: () =>
    new ApiError('RESET_TOKEN_EXPIRED', 'this reset link has expired (after 1 hour): ask for a new one'),
};

export class PasswordResetService {
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService;
  readonly #mailer: Mailer;
  readonly #publicUrl: string;
  readonly #signedOut: (userId: string) => void;
  /** `signedOut` is told of each account whose sessions a reset ended (this process's session cache). */
  constructor(
    withContext: WithContext,
    ledger: LedgerService,
    mailer: Mailer,
    publicUrl: string,
    signedOut: (userId: string) => void,
  ) {
    this.#withContext = withContext;
    this.#ledger = ledger;
    this.#mailer = mailer;
    this.#publicUrl = publicUrl;
    this.#signedOut = signedOut;
  }

  /** Mails a reset link to `email` when it has an account, and a note that it has none otherwise. */
  async request(email: string): Promise<void> {
    const loginEmail = normalizeEmail(email);
    const userId = await this.#withContext({ loginEmail }, (trx) => accountIdOf(trx, loginEmail));
    const { token, hash } = newMailedToken();
    // The same transaction either way: a lost reset row (a crash right after) only means asking again.
    await this.#withContext({ userId: userId ?? NO_ONE }, async (trx) => {
      await skipCommitFlush(trx);
      if (userId === undefined) await findResetByHash(trx, hash);
      else
        await insertReset(trx, {
          user_id: userId,
          token_hash: hash,
          expires_at: new Date(Date.now() + RESET_TTL_MS),
        });
    });
    await this.#mailer.send({
      to: loginEmail,
      subject: 'Reset your ComplyWise password',
      text: (userId === undefined
        ? [
            'Someone asked to reset the ComplyWise password of this e-mail address, but no account uses it.',
            '',
            'If it was you, you may have signed up with another address. Otherwise ignore this message.',
          ]
        : [
            'Someone asked to reset the ComplyWise password of this e-mail address.',
            '',
            `Choose a new password (link valid for 1 hour, once): ${this.#publicUrl}/reset-password#token=${token}`,
            '',
            'Every session of the account is signed out when you do. If you did not ask, ignore this message.',
          ]
      ).join('\n'),
    });
  }

  /**
   * Sets `newPassword` on the account of the reset `token` and signs it out everywhere. 400 RESET_TOKEN_INVALID,
   * _USED or _EXPIRED for a token that cannot be used; the password policy's 400 for a weak password (the
   * token stays usable then).
   */
  async confirm(token: string, newPassword: string): Promise<void> {
    const resetTokenHash = hashMailedToken(token);
    const found = await this.#withContext({ resetTokenHash }, (trx) => findResetByHash(trx, resetTokenHash));
    assertTokenUsable(found, (reset) => reset.used_at !== null, refusals);
    const userId = found.user_id;
    const email = await this.#withContext({ userId }, (trx) => emailOf(trx, userId));
    if (email === undefined) throw refusals.invalid();
    assertPasswordAcceptable(newPassword, email);
    // Hashed outside any transaction: the embedded database has a single connection.
    const passwordHash = await hashPassword(newPassword);
    await this.#withContext({ userId }, async (trx) => {
      if (!(await markResetUsed(trx, found.id))) throw resetUsed();
      await spendPendingResetsOf(trx, userId);
      await setPasswordHash(trx, userId, passwordHash);
      const revoked = await revokeRefreshTokensOf(trx, userId);
      for (const tenantId of await tenantIdsOf(trx, userId)) {
        await switchTenant(trx, tenantId);
        await this.#ledger.append(trx, tenantId, [
          { kind: 'auth.password_reset', actor: userId, payload: { sessions_revoked: revoked } },
        ]);
      }
    });
    this.#signedOut(userId);
  }
}
