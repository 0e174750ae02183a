/**
 * /api/invitations on both backends, each attack performed: no admin can pre-create an account and keep its
 * password (the pre-hijack across tenants), inviting answers the same for known and unknown e-mails, the
 * token is single-use, expires, is withdrawn by revocation, never appears in an answer and is stored only
 * as its sha256; a weak password is refused; each step is in the ledger.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { lastTokenSentTo, readOutbox } from '../../mail/mailer.ts';
import { runAsOwner } from '../../plugins/app/tenancy.ts';
import {
  bearer,
  login,
  seedTenant,
  startTestApp,
  type SeededUser,
  type TestApp,
} from '../../../test/helpers.ts';

describe.each(databaseBackends())('/api/invitations on $name', (backend) => {
  let t: TestApp;
  let admin: SeededUser;
  let adminToken: string;
  let other: SeededUser;
  let otherToken: string;

  const outbox = () => join(t.dataDir, 'outbox');
  const invite = (token: string, email: string, role = 'auditor') =>
    t.app.inject({
      method: 'POST',
      url: '/api/invitations',
      headers: bearer(token),
      payload: { email, role },
    });
  const accept = (payload: object, token?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/invitations/accept',
      payload,
      ...(token ? { headers: bearer(token) } : {}),
    });
  const tokenFor = (email: string) => lastTokenSentTo(outbox(), email, '/accept-invitation')!;

  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await seedTenant(t.database.knex);
    other = await seedTenant(t.database.knex);
    adminToken = (await login(t.app, admin.email, admin.password)).access_token;
    otherToken = (await login(t.app, other.email, other.password)).access_token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers inviting a known and an unknown e-mail alike, and mails the link instead of returning it', async () => {
    const known = await invite(adminToken, other.email);
    const unknown = await invite(adminToken, 'nobody.yet@example.com');
    expect([known.statusCode, unknown.statusCode]).toEqual([201, 201]);
    expect(Object.keys(known.json()).sort()).toEqual(Object.keys(unknown.json()).sort());
    const token = tokenFor('nobody.yet@example.com');
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(unknown.body).not.toContain(token);
    const mail = readOutbox(outbox()).find((m) => m.to === 'nobody.yet@example.com')!;
    expect(mail.text).toContain(`${t.config.publicUrl}/accept-invitation#token=${token}`);
    // Only the hash is stored.
    const rows = await runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
      trx('invitations').select('token_hash').where({ email: 'nobody.yet@example.com' }),
    );
    expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex') }]);
    expect(JSON.stringify(rows)).not.toContain(token);
    const listed = await t.app.inject({ url: '/api/invitations', headers: bearer(adminToken) });
    expect(listed.json().items.map((i: { email: string }) => i.email)).toEqual([
      other.email,
      'nobody.yet@example.com',
    ]);
    expect(listed.body).not.toContain(token);
  });

  it('refuses the pre-hijack: an account exists only once its owner sets the password', async () => {
    // The attacker (admin of this tenant) invites the victim's future e-mail; the link goes to the victim.
    const victim = 'victim@example.com';
    expect((await invite(adminToken, victim, 'user')).statusCode).toBe(201);
    // The old route that let an admin set a password is gone.
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/members',
      headers: bearer(adminToken),
      payload: { email: victim, role: 'user', password: 'attacker-chosen-password' },
    });
    expect(old.statusCode).toBe(404);
    // Another tenant invites the victim as admin; the victim accepts that one with their own password.
    expect((await invite(otherToken, victim, 'admin')).statusCode).toBe(201);
    const victimToken = tokenFor(victim);
    const created = await accept({ token: victimToken, password: 'rainy-harbour-lantern-9' });
    expect(created.statusCode, created.body).toBe(200);
    expect(created.json()).toMatchObject({ tenant_id: other.tenantId, role: 'admin', account_created: true });
    // Nobody but the victim knows a password of the account: the attacker's guess fails.
    const guess = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: victim, password: 'attacker-chosen-password' },
    });
    expect(guess.statusCode).toBe(401);
    // The attacker's own invitation, were its token known, cannot set a password on the existing account.
    const first = readOutbox(outbox()).filter((m) => m.to === victim)[0]!;
    const firstToken = /#token=([A-Za-z0-9_-]+)/.exec(first.text)![1]!;
    const overwrite = await accept({ token: firstToken, password: 'attacker-chosen-password' });
    expect(overwrite.statusCode).toBe(409);
    expect(overwrite.json().error.code).toBe('SIGN_IN_TO_ACCEPT');
    await login(t.app, victim, 'rainy-harbour-lantern-9');
  });

  it('is single-use, refuses a reused, revoked, expired or unknown token with a clear code', async () => {
    expect((await invite(adminToken, 'once@example.com')).statusCode).toBe(201);
    const token = tokenFor('once@example.com');
    expect((await accept({ token, password: 'quiet-meadow-river-1' })).statusCode).toBe(200);
    const reused = await accept({ token, password: 'quiet-meadow-river-2' });
    expect([reused.statusCode, reused.json().error.code]).toEqual([410, 'INVITATION_USED']);

    const revokedInvite = await invite(adminToken, 'revoked@example.com');
    const revokedToken = tokenFor('revoked@example.com');
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/invitations/${revokedInvite.json().id}`,
      headers: bearer(adminToken),
    });
    expect(revoke.statusCode).toBe(204);
    const afterRevoke = await accept({ token: revokedToken, password: 'amber-compass-stone-1' });
    expect([afterRevoke.statusCode, afterRevoke.json().error.code]).toEqual([410, 'INVITATION_USED']);

    expect((await invite(adminToken, 'late@example.com')).statusCode).toBe(201);
    const lateToken = tokenFor('late@example.com');
    await runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
      trx('invitations')
        .where({ email: 'late@example.com' })
        .update({ expires_at: new Date(Date.now() - 1000) }),
    );
    const late = await accept({ token: lateToken, password: 'silver-orchard-wind-1' });
    expect([late.statusCode, late.json().error.code]).toEqual([410, 'INVITATION_EXPIRED']);

    const unknown = await accept({ token: 'x'.repeat(43), password: 'unknown-passphrase-1' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'INVITATION_NOT_FOUND']);
  });

  it('applies the password policy and refuses an API token or another account as consent', async () => {
    expect((await invite(adminToken, 'weak@example.com')).statusCode).toBe(201);
    const token = tokenFor('weak@example.com');
    for (const [password, code] of [
      ['aaaaaaaaaaaa', 'PASSWORD_REPETITIVE'],
      ['password1234', 'PASSWORD_COMMON'],
      ['weak@example.com', 'PASSWORD_CONTAINS_EMAIL'],
      ['correct horse\u0000battery', 'PASSWORD_INVALID_CHARACTER'],
    ]) {
      const refused = await accept({ token, password });
      expect([refused.statusCode, refused.json().error.code], JSON.stringify(password)).toEqual([400, code]);
    }
    const none = await accept({ token });
    expect([none.statusCode, none.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);

    // An existing account (other's admin) invited here: someone else signed in cannot consent for it.
    expect((await invite(adminToken, other.email, 'user')).statusCode).toBe(201);
    const otherInvitation = tokenFor(other.email);
    const wrongPerson = await accept({ token: otherInvitation }, adminToken);
    expect([wrongPerson.statusCode, wrongPerson.json().error.code]).toEqual([
      403,
      'INVITATION_OTHER_ACCOUNT',
    ]);
    const apiToken = (
      await t.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: bearer(otherToken),
        payload: { name: 'ci', role: 'auditor', expires_in_days: 1 },
      })
    ).json().token as string;
    expect((await accept({ token: otherInvitation }, apiToken)).statusCode).toBe(403);
    const consent = await accept({ token: otherInvitation }, otherToken);
    expect(consent.statusCode, consent.body).toBe(200);
    expect(consent.json()).toMatchObject({ tenant_id: admin.tenantId, account_created: false });
    expect((await login(t.app, other.email, other.password, admin.tenantId)).role).toBe('user');
  });

  it('writes invite, accept and revoke to the ledger, and refuses non-admins', async () => {
    const ledger = await t.app.inject({ url: '/api/ledger?limit=100', headers: bearer(adminToken) });
    const kinds = new Set(ledger.json().items.map((e: { kind: string }) => e.kind));
    for (const kind of ['invitation.created', 'invitation.accepted', 'invitation.revoked'])
      expect(kinds.has(kind), kind).toBe(true);
    const auditor = await login(t.app, 'once@example.com', 'quiet-meadow-river-1');
    expect((await invite(auditor.access_token, 'x@example.com')).statusCode).toBe(403);
    expect(
      (await t.app.inject({ url: '/api/invitations', headers: bearer(auditor.access_token) })).statusCode,
    ).toBe(200);
  });
});
