/**
 * Self-service sign-up on both backends: off unless the setting turns it on (404 SIGNUP_DISABLED); on, the
 * e-mailed link creates a tenant whose first admin can sign in and sees only that tenant; nothing exists
 * before the link comes back; the token is single use and expires; an existing account must be signed in
 * as itself and its password is never set; whoever signs up with someone else's e-mail gets nothing.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { hashMailedToken } from '../../accounts/tokens.ts';
import { lastTokenSentTo, readOutbox } from '../../mail/mailer.ts';
import { runAsApp, runAsOwner } from '../../plugins/app/tenancy.ts';
import {
  bearer,
  login,
  seedTenant,
  startTestApp,
  type SeededUser,
  type TestApp,
} from '../../../test/helpers.ts';

const PASSWORD = 'orchard-copper-kettle-42';

describe.each(databaseBackends())('self-service sign-up on $name', (backend) => {
  let t: TestApp;
  let existing: SeededUser;

  const outbox = () => join(t.dataDir, 'outbox');
  const requestSignup = (email: string, organization_name = 'Acme Widgets') =>
    t.app.inject({ method: 'POST', url: '/api/auth/signup', payload: { organization_name, email } });
  const complete = (payload: object, accessToken?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/signup/complete',
      payload,
      ...(accessToken ? { headers: bearer(accessToken) } : {}),
    });
  const mailedToken = (email: string) => lastTokenSentTo(outbox(), email, '/signup');
  const count = (table: string) =>
    runAsOwner(t.database.knex, {}, async (trx) => Number((await trx(table).count({ n: '*' }))[0]!.n));

  beforeAll(async () => {
    t = await startTestApp(backend, {
      worker: false,
      configOverrides: { signup: true, loginAttemptsPerMinute: 100 },
    });
    existing = await seedTenant(t.database.knex, { email: 'dana@example.com', name: 'Dana Co' });
  });
  afterAll(async () => t?.close());

  it('mails a link and creates nothing until it comes back; then the new admin sees only the new tenant', async () => {
    expect((await t.app.inject({ url: '/api/auth/signup' })).json()).toEqual({ enabled: true });
    const [tenantsBefore, usersBefore] = [await count('tenants'), await count('users')];
    const answer = await requestSignup('Erin@Example.com', '  Erin Labs ');
    expect([answer.statusCode, answer.json()]).toEqual([202, { accepted: true }]);
    expect([await count('tenants'), await count('users')]).toEqual([tenantsBefore, usersBefore]);
    const token = mailedToken('erin@example.com')!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await runAsOwner(t.database.knex, {}, (trx) => trx('signups').pluck('token_hash'));
    expect(stored).toContain(hashMailedToken(token));
    expect(stored).not.toContain(token);

    const noPassword = await complete({ token });
    expect([noPassword.statusCode, noPassword.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);
    const weak = await complete({ token, password: 'erin@example.com-secret' });
    expect([weak.statusCode, weak.json().error.code]).toEqual([400, 'PASSWORD_CONTAINS_EMAIL']);
    const done = await complete({ token, password: PASSWORD });
    expect(done.statusCode, done.body).toBe(201);
    const created = done.json();
    expect(created).toEqual({
      tenant_id: expect.any(String),
      tenant_name: 'Erin Labs',
      email: 'erin@example.com',
      role: 'admin',
      account_created: true,
    });

    const session = await login(t.app, 'erin@example.com', PASSWORD);
    expect([session.tenant.id, session.role]).toEqual([created.tenant_id, 'admin']);
    const members = await t.app.inject({ url: '/api/members', headers: bearer(session.access_token) });
    expect((members.json().items as { email: string }[]).map((m) => m.email)).toEqual(['erin@example.com']);
    const elsewhere = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'erin@example.com', password: PASSWORD, tenant_id: existing.tenantId },
    });
    expect([elsewhere.statusCode, elsewhere.json().error.code]).toEqual([403, 'NO_MEMBERSHIP']);
    const ledger = await t.app.inject({ url: '/api/ledger', headers: bearer(session.access_token) });
    expect((ledger.json().items as { kind: string }[]).map((e) => e.kind).sort()).toEqual([
      'auth.login.succeeded',
      'member.joined',
      'tenant.created',
    ]);

    const reused = await complete({ token, password: PASSWORD });
    expect([reused.statusCode, reused.json().error.code]).toEqual([400, 'SIGNUP_TOKEN_USED']);
  });

  it('refuses an unknown or an expired token with its own code', async () => {
    const unknown = await complete({ token: 'B'.repeat(43), password: PASSWORD });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'SIGNUP_TOKEN_INVALID']);
    await requestSignup('frank@example.com');
    const token = mailedToken('frank@example.com')!;
    await runAsOwner(t.database.knex, {}, (trx) =>
      trx('signups')
        .where({ token_hash: hashMailedToken(token) })
        .update({ expires_at: new Date(Date.now() - 1000) }),
    );
    const expired = await complete({ token, password: PASSWORD });
    expect([expired.statusCode, expired.json().error.code]).toEqual([400, 'SIGNUP_TOKEN_EXPIRED']);
    expect(expired.json().error.message).toMatch(/expired/);
  });

  it('an existing account must be signed in as itself, and its password is never set', async () => {
    const known = await requestSignup(existing.email, 'Dana Second Org');
    const unknown = await requestSignup(`nobody-${randomUUID()}@example.com`);
    expect([known.statusCode, known.body]).toEqual([unknown.statusCode, unknown.body]);
    const token = mailedToken(existing.email)!;

    const anonymous = await complete({ token, password: PASSWORD });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([409, 'SIGN_IN_TO_ACCEPT']);
    const stranger = await seedTenant(t.database.knex, { email: 'stranger@example.com' });
    const strangerSession = await login(t.app, stranger.email, stranger.password);
    const asOther = await complete({ token }, strangerSession.access_token);
    expect([asOther.statusCode, asOther.json().error.code]).toEqual([403, 'SIGNUP_OTHER_ACCOUNT']);

    const own = await login(t.app, existing.email, existing.password);
    const done = await complete({ token, password: PASSWORD }, own.access_token);
    expect(done.statusCode, done.body).toBe(201);
    expect(done.json()).toMatchObject({
      account_created: false,
      role: 'admin',
      tenant_name: 'Dana Second Org',
    });
    // The password sent along was not set: the account keeps its own.
    await login(t.app, existing.email, existing.password, done.json().tenant_id);
    const withSent = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: existing.email, password: PASSWORD },
    });
    expect(withSent.statusCode).toBe(401);
  });

  it('signing up with a victim’s e-mail gives the attacker no token, no account and no password', async () => {
    const victim = `victim-${randomUUID()}@example.com`;
    const [tenantsBefore, usersBefore] = [await count('tenants'), await count('users')];
    const answer = await requestSignup(victim, 'Evil Corp');
    expect(answer.statusCode).toBe(202);
    expect(answer.body).toBe(JSON.stringify({ accepted: true }));
    // The link went to the victim's mailbox only; nothing was created.
    expect(
      readOutbox(outbox())
        .filter((m) => m.text.includes('Evil Corp'))
        .map((m) => m.to),
    ).toEqual([victim]);
    expect([await count('tenants'), await count('users')]).toEqual([tenantsBefore, usersBefore]);
    // The attacker's own sign-up token does not complete the victim's.
    await requestSignup('mallory@example.com', 'Mallory Org');
    const mallorysToken = mailedToken('mallory@example.com')!;
    const mallory = await complete({ token: mallorysToken, password: PASSWORD });
    expect(mallory.json().email).toBe('mallory@example.com');
    // The victim later signs up and chooses their own password; the attacker's does not open the account.
    await requestSignup(victim, 'Victim Inc');
    const victimsToken = mailedToken(victim)!;
    const victimPassword = 'lighthouse-meadow-basalt-3';
    expect((await complete({ token: victimsToken, password: victimPassword })).statusCode).toBe(201);
    const attackerTry = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: victim, password: PASSWORD },
    });
    expect(attackerTry.statusCode).toBe(401);
    await login(t.app, victim, victimPassword);
  });

  it('the runtime role cannot create a tenant without presenting a sign-up that names it', async () => {
    const tenantId = randomUUID();
    await expect(
      runAsApp(t.database.knex, { tenantId }, (trx) =>
        trx('tenants').insert({ id: tenantId, slug: `forged-${tenantId.slice(0, 8)}`, name: 'Forged' }),
      ),
    ).rejects.toThrow(/row-level security/);
  });
});

describe.each(databaseBackends())('sign-up switched off on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(backend, { worker: false });
  });
  afterAll(async () => t?.close());

  it('answers 404 SIGNUP_DISABLED and says it is off', async () => {
    expect((await t.app.inject({ url: '/api/auth/signup' })).json()).toEqual({ enabled: false });
    const requested = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { organization_name: 'Acme', email: 'someone@example.com' },
    });
    expect([requested.statusCode, requested.json().error.code]).toEqual([404, 'SIGNUP_DISABLED']);
    const completed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/signup/complete',
      payload: { token: 'C'.repeat(43), password: PASSWORD },
    });
    expect([completed.statusCode, completed.json().error.code]).toEqual([404, 'SIGNUP_DISABLED']);
    expect(readOutbox(join(t.dataDir, 'outbox'))).toEqual([]);
  });
});
