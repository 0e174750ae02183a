/**
 * Password reset on both backends: the mailed token sets a new password once (the old one is refused, the
 * new one works, every refresh token and session of the account ends), a reused, expired or unknown token is
 * refused with its own code, a weak password is refused without spending the token, the reset is in the
 * ledger of each tenant of the account, and asking for an unknown e-mail answers exactly as for a known one.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { hashMailedToken } from '../../accounts/tokens.ts';
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

describe.each(databaseBackends())('password reset on $name', (backend) => {
  let t: TestApp;
  let carol: SeededUser;

  const outbox = () => join(t.dataDir, 'outbox');
  const requestReset = (email: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { email } });
  const confirm = (token: string, newPassword: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/password-reset/confirm',
      payload: { token, new_password: newPassword },
    });
  const mailedToken = (email: string) => lastTokenSentTo(outbox(), email, '/reset-password');
  const loginStatus = async (email: string, password: string) =>
    (await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password } })).statusCode;

  beforeAll(async () => {
    t = await startTestApp(backend, { worker: false });
    carol = await seedTenant(t.database.knex, { email: 'carol@example.com' });
  });
  afterAll(async () => t?.close());

  it('sets the new password once and signs the account out everywhere', async () => {
    const session = await login(t.app, carol.email, carol.password);
    const answer = await requestReset('Carol@Example.COM');
    expect([answer.statusCode, answer.json()]).toEqual([202, { accepted: true }]);
    expect(answer.body).not.toMatch(/token/i);
    const token = mailedToken(carol.email)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Stored only as its hash.
    const stored = await runAsOwner(t.database.knex, {}, (trx) =>
      trx('password_resets').select('token_hash'),
    );
    expect(stored).toEqual([{ token_hash: hashMailedToken(token) }]);

    const weak = await confirm(token, 'password1234');
    expect([weak.statusCode, weak.json().error.code]).toEqual([400, 'PASSWORD_COMMON']);
    const done = await confirm(token, 'granite-river-lantern-7');
    expect(done.statusCode, done.body).toBe(204);

    expect(await loginStatus(carol.email, carol.password)).toBe(401);
    expect(await loginStatus(carol.email, 'granite-river-lantern-7')).toBe(200);
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect([refreshed.statusCode, refreshed.json().error.code]).toEqual([401, 'INVALID_REFRESH_TOKEN']);
    const me = await t.app.inject({ url: '/api/me', headers: bearer(session.access_token) });
    expect(me.statusCode).toBe(401);

    const again = await confirm(token, 'another-granite-river-8');
    expect([again.statusCode, again.json().error.code]).toEqual([400, 'RESET_TOKEN_USED']);
    expect(again.json().error.message).toMatch(/already used/);
    carol.password = 'granite-river-lantern-7';

    const admin = await login(t.app, carol.email, carol.password);
    const ledger = await t.app.inject({ url: '/api/ledger?limit=5', headers: bearer(admin.access_token) });
    const kinds = (ledger.json().items as { kind: string; payload: { sessions_revoked?: number } }[]).map(
      (e) => e.kind,
    );
    expect(kinds).toContain('auth.password_reset');
  });

  it('refuses an unknown or an expired token with its own code', async () => {
    const unknown = await confirm('A'.repeat(43), 'granite-river-lantern-9');
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'RESET_TOKEN_INVALID']);

    expect((await requestReset(carol.email)).statusCode).toBe(202);
    const token = mailedToken(carol.email)!;
    await runAsOwner(t.database.knex, {}, (trx) =>
      trx('password_resets')
        .where({ token_hash: hashMailedToken(token) })
        .update({ expires_at: new Date(Date.now() - 1000) }),
    );
    const expired = await confirm(token, 'granite-river-lantern-9');
    expect([expired.statusCode, expired.json().error.code]).toEqual([400, 'RESET_TOKEN_EXPIRED']);
    expect(await loginStatus(carol.email, carol.password)).toBe(200);
  });

  it('a later reset spends every earlier pending link of the account', async () => {
    await requestReset(carol.email);
    const first = mailedToken(carol.email)!;
    await requestReset(carol.email);
    const second = mailedToken(carol.email)!;
    expect(first).not.toBe(second);
    expect((await confirm(second, 'granite-river-lantern-10')).statusCode).toBe(204);
    const stale = await confirm(first, 'granite-river-lantern-11');
    expect([stale.statusCode, stale.json().error.code]).toEqual([400, 'RESET_TOKEN_USED']);
    carol.password = 'granite-river-lantern-10';
  });

  it('runs the same statements on the same tables for an unknown e-mail as for a known one', async () => {
    const queries: string[] = [];
    const record = (query: { sql: string }) => queries.push(query.sql.replace(/\$\d+/g, '?'));
    // The known e-mail inserts its reset where the unknown one looks one up: the same table either way.
    const tableOf = (sql: string) => /(?:from|into|update)\s+"(\w+)"/i.exec(sql)?.[1] ?? sql;
    t.database.knex.on('query', record);
    try {
      const tries = async (email: string) => {
        queries.length = 0;
        expect((await requestReset(email)).statusCode).toBe(202);
        return queries.map(tableOf);
      };
      const known = await tries(carol.email);
      const unknown = await tries('nobody.here@example.com');
      expect(unknown).toEqual(known);
      expect(known).toEqual(expect.arrayContaining(['users', 'password_resets']));
    } finally {
      t.database.knex.off('query', record);
    }
  });

  it('answers an unknown e-mail exactly as a known one, and mails it no link', async () => {
    const known = await requestReset(carol.email);
    const unknown = await requestReset('nobody@example.com');
    expect([unknown.statusCode, unknown.body]).toEqual([known.statusCode, known.body]);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());
    const note = readOutbox(outbox()).filter((m) => m.to === 'nobody@example.com');
    expect(note).toHaveLength(1);
    expect(note[0]!.text).toMatch(/no account uses it/);
    expect(note[0]!.text).not.toMatch(/#token=/);
    const rows = await runAsOwner(t.database.knex, {}, (trx) =>
      trx('password_resets').join('users', 'users.id', 'password_resets.user_id').distinct('users.email'),
    );
    expect(rows).toEqual([{ email: carol.email }]);
  });
});
