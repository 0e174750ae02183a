/**
 * Invitations replace adding accounts: an admin invites an e-mail with a role, the invitee gets a link with a
 * random single-use token (7 days), and accepting it either creates their account with the password they
 * choose, or (for an existing account) adds the membership once they are signed in as that account. No admin
 * ever sets or learns another person's password, and inviting answers the same whether or not an account
 * with that e-mail exists. Each invite, acceptance and revocation is one transaction with its ledger entry.
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
import type { Role } from '../auth/role.ts';
import { ApiError } from '../errors.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { WithContext } from '../plugins/app/tenancy.ts';
import {
  findByTokenHash,
  insertInvitation,
  isMemberEmail,
  listPendingPage,
  markAccepted,
  revokeInvitation,
  revokePendingOf,
  type InvitationRow,
  type InvitationView,
} from './store.ts';

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** What accepting did. */
export interface Acceptance {
  tenant_id: string;
  email: string;
  role: Role;
  account_created: boolean;
}

const THEN = 'accept the invitation';
const invitationUsed = () =>
  new ApiError(
    'INVITATION_USED',
    'this invitation was already used or withdrawn: ask an admin for a new one',
  );
const refusals = {
  invalid: () =>
    new ApiError('INVITATION_NOT_FOUND', 'this invitation link is not valid: check that it was copied whole'),
  used: invitationUsed,
  expired: () =>
    new ApiError('INVITATION_EXPIRED', 'this invitation has expired: ask an admin for a new one'),
};
const isSpent = (invitation: InvitationRow) => Boolean(invitation.accepted_at || invitation.revoked_at);

export class InvitationService {
  readonly #withContext: WithContext;
  readonly #ledger: LedgerService;
  readonly #mailer: Mailer;
  readonly #publicUrl: string;
  constructor(withContext: WithContext, ledger: LedgerService, mailer: Mailer, publicUrl: string) {
    this.#withContext = withContext;
    this.#ledger = ledger;
    this.#mailer = mailer;
    this.#publicUrl = publicUrl;
  }

  /** The link an invitee opens; the token travels in the fragment, so it never reaches logs or referrers. */
  acceptLink(token: string): string {
    return `${this.#publicUrl}/accept-invitation#token=${token}`;
  }

  /**
   * Invites `email` with `role` and mails the link. A pending invitation of the same e-mail is replaced. An
   * e-mail that already is a member here answers 409 ALREADY_MEMBER (the member list shows that anyway);
   * nothing in the answer depends on whether an account exists elsewhere. `actor` null is the operator (the
   * CLI inviting a new tenant's first admin).
   */
  async invite(
    tenantId: string,
    actor: string | null,
    input: { email: string; role: Role },
    tenantName?: string,
  ): Promise<InvitationView> {
    const email = normalizeEmail(input.email);
    const { token, hash } = newMailedToken();
    const invitation = await this.#withContext({ tenantId }, async (trx) => {
      if (await isMemberEmail(trx, email))
        throw new ApiError('ALREADY_MEMBER', 'an account with this e-mail is already a member');
      const replaced = await revokePendingOf(trx, email, actor);
      const view = await insertInvitation(trx, {
        tenant_id: tenantId,
        email,
        role: input.role,
        token_hash: hash,
        invited_by: actor,
        expires_at: new Date(Date.now() + INVITATION_TTL_MS),
      });
      await this.#ledger.append(trx, tenantId, [
        {
          kind: 'invitation.created',
          actor: actor ?? 'operator',
          payload: { invitation_id: view.id, email, role: input.role, replaced },
        },
      ]);
      return view;
    });
    await this.#mailer.send({
      to: email,
      subject: `You are invited to ${tenantName ?? 'a ComplyWise tenant'}`,
      text: [
        `You have been invited to join ${tenantName ?? 'a ComplyWise tenant'} as ${input.role}.`,
        '',
        `Accept the invitation (valid for 7 days, once): ${this.acceptLink(token)}`,
        '',
        'If you did not expect this, ignore this message.',
      ].join('\n'),
    });
    return invitation;
  }

  list(tenantId: string, options: { limit: number; cursor?: string }) {
    return this.#withContext({ tenantId }, (trx) => listPendingPage(trx, options));
  }

  async revoke(tenantId: string, actor: string, invitationId: string): Promise<void> {
    await this.#withContext({ tenantId }, async (trx) => {
      if (!(await revokeInvitation(trx, invitationId, actor)))
        throw new ApiError('INVITATION_NOT_FOUND', `no pending invitation ${invitationId} in this tenant`);
      await this.#ledger.append(trx, tenantId, [
        { kind: 'invitation.revoked', actor, payload: { invitation_id: invitationId } },
      ]);
    });
  }

  /**
   * Accepts the invitation of `token`. Without an account for its e-mail, `password` creates one (the
   * password policy applies). With an account, the caller must be signed in as it (`signedInUserId`): 409
   * SIGN_IN_TO_ACCEPT otherwise, and a password is never set on an existing account.
   */
  async accept(token: string, input: { password?: string; signedInUserId?: string }): Promise<Acceptance> {
    const invitationTokenHash = hashMailedToken(token);
    const found = await this.#withContext({ invitationTokenHash }, (trx) =>
      findByTokenHash(trx, invitationTokenHash),
    );
    assertTokenUsable(found, isSpent, refusals);
    const invitation = found;
    const joiner = await prepareJoiner(this.#withContext, invitation.email, input, {
      then: THEN,
      otherAccount: () =>
        new ApiError(
          'INVITATION_OTHER_ACCOUNT',
          'this invitation is for another account: sign in as its e-mail',
        ),
    });
    const context = { tenantId: invitation.tenant_id, loginEmail: invitation.email };
    try {
      return await this.#withContext(context, async (trx) => {
        const { userId } = joiner;
        // The account first: accepted_by refers to it. A lost race rolls both back.
        const accountCreated = await createJoinerAccount(trx, joiner, invitation.email);
        if (!(await markAccepted(trx, invitation.id, userId))) throw invitationUsed();
        const joined = await insertMembership(trx, invitation.tenant_id, userId, invitation.role);
        await this.#ledger.append(trx, invitation.tenant_id, [
          {
            kind: 'invitation.accepted',
            actor: userId,
            payload: {
              invitation_id: invitation.id,
              user_id: userId,
              role: invitation.role,
              account_created: accountCreated,
              already_member: !joined,
            },
          },
        ]);
        return {
          tenant_id: invitation.tenant_id,
          email: invitation.email,
          role: invitation.role,
          account_created: accountCreated,
        };
      });
    } catch (error) {
      // The account was created by another acceptance meanwhile: this one must sign in instead.
      if (isUniqueViolation(error)) throw signInToAccept(THEN);
      throw error;
    }
  }
}
