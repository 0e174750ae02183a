/**
 * Self-service sign-up (COMPLYWISE_SIGNUP=1, or the demo): an organization name and an e-mail get a link with
 * a random single-use token (24 hours; only its sha256 is stored), and nothing else happens until the link
 * comes back, so whoever types someone else's e-mail creates nothing and learns nothing (the answer is the
 * same for every e-mail). Completing creates the tenant and makes the e-mail's account its first admin: a new
 * account with the password chosen now, or an existing one whose owner is signed in (its password is never
 * set here, exactly as for invitations). One transaction, with the tenant's first ledger entries.
 */
import {
  createJoinerAccount,
  isUniqueViolation,
  normalizeEmail,
  prepareJoiner,
  signInToAccept,
} from '../accounts/service.ts';
import { insertMembership } from '../accounts/store.ts';
import { assertTokenUsable, hashMailedToken, newMailedToken } from '../accounts/tokens.ts';
import { randomUUID } from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { WithContext } from '../plugins/app/tenancy.ts';
import { insertTenant } from '../tenants/store.ts';
import { findSignupByHash, insertSignup, markSignupCompleted } from './store.ts';

export const SIGNUP_TTL_MS = 24 * 60 * 60 * 1000;

/** What completing a sign-up did. */
export interface CompletedSignup {
  tenant_id: string;
  tenant_name: string;
  email: string;
  role: 'admin';
  account_created: boolean;
}

const THEN = 'complete the sign-up';
const signupUsed = () =>
  new ApiError('SIGNUP_TOKEN_USED', 'this sign-up link was already used: sign in to reach your organization');
const refusals = {
  invalid: () =>
    new ApiError('SIGNUP_TOKEN_INVALID', 'this sign-up link is not valid: check that it was copied whole'),
  used: signupUsed,
  expired: () =>
    new ApiError('SIGNUP_TOKEN_EXPIRED', 'this sign-up link has expired (after 24 hours): sign up again'),
};

export class SignupService {
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService;
  readonly #mailer: Mailer;
  readonly #publicUrl: string;
  readonly enabled: boolean;
  constructor(
    withContext: WithContext,
    ledger: LedgerService,
    mailer: Mailer,
    settings: { publicUrl: string; enabled: boolean },
  ) {
    this.#withContext = withContext;
    this.#ledger = ledger;
    this.#mailer = mailer;
    this.#publicUrl = settings.publicUrl;
    this.enabled = settings.enabled;
  }

  #assertEnabled(): void {
    if (!this.enabled)
      throw new ApiError('SIGNUP_DISABLED', 'self-service sign-up is off on this server: ask its operator');
  }

  /** Records a pending sign-up and mails its link to `email` (whether or not it has an account). */
  async request(input: { organization_name: string; email: string }): Promise<void> {
    this.#assertEnabled();
    const email = normalizeEmail(input.email);
    const organizationName = input.organization_name.trim();
    const { token, hash } = newMailedToken();
    await this.#withContext({}, (trx) =>
      insertSignup(trx, {
        email,
        organization_name: organizationName,
        token_hash: hash,
        expires_at: new Date(Date.now() + SIGNUP_TTL_MS),
      }),
    );
    await this.#mailer.send({
      to: email,
      subject: `Confirm the sign-up of ${organizationName} on ComplyWise`,
      text: [
        `Someone asked to create the organization "${organizationName}" on ComplyWise with this e-mail address as its admin.`,
        '',
        `Create it (link valid for 24 hours, once): ${this.#publicUrl}/signup#token=${token}`,
        '',
        'If you did not ask, ignore this message: nothing is created without this link.',
      ].join('\n'),
    });
  }

  /**
   * Completes the sign-up of `token`: creates the tenant and its first admin (see the file comment). 400
   * SIGNUP_TOKEN_INVALID, _USED or _EXPIRED; 409 SIGN_IN_TO_ACCEPT for an existing account not signed in.
   */
  async complete(
    token: string,
    input: { password?: string; signedInUserId?: string },
  ): Promise<CompletedSignup> {
    this.#assertEnabled();
    const signupTokenHash = hashMailedToken(token);
    const found = await this.#withContext({ signupTokenHash }, (trx) =>
      findSignupByHash(trx, signupTokenHash),
    );
    assertTokenUsable(found, (signup) => signup.completed_at !== null, refusals);
    const signup = found;
    const joiner = await prepareJoiner(this.#withContext, signup.email, input, {
      then: THEN,
      otherAccount: () =>
        new ApiError('SIGNUP_OTHER_ACCOUNT', 'this sign-up is for another account: sign in as its e-mail'),
    });
    const tenantId = randomUUID();
    const name = signup.organization_name;
    try {
      return await this.#withContext({ tenantId, signupTokenHash, loginEmail: signup.email }, async (trx) => {
        // The account first (completed_by refers to it), then the sign-up names the tenant the insert may create.
        const accountCreated = await createJoinerAccount(trx, joiner, signup.email);
        if (!(await markSignupCompleted(trx, signup.id, tenantId, joiner.userId))) throw signupUsed();
        await insertTenant(trx, { id: tenantId, name });
        await insertMembership(trx, tenantId, joiner.userId, 'admin');
        await this.#ledger.append(trx, tenantId, [
          {
            kind: 'tenant.created',
            actor: joiner.userId,
            payload: { name, via: 'signup', signup_id: signup.id },
          },
          {
            kind: 'member.joined',
            actor: joiner.userId,
            payload: { user_id: joiner.userId, role: 'admin', account_created: accountCreated },
          },
        ]);
        return {
          tenant_id: tenantId,
          tenant_name: name,
          email: signup.email,
          role: 'admin' as const,
          account_created: accountCreated,
        };
      });
    } catch (error) {
      // An account for the e-mail was created meanwhile: this one must sign in as it instead.
      if (isUniqueViolation(error)) throw signInToAccept(THEN);
      throw error;
    }
  }
}
