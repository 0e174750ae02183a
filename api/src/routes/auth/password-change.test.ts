/**
 * POST /api/auth/password on both backends: the current password is required, the password policy applies,
 * every other session of the user is revoked while the one making the change stays signed in, API tokens
 * cannot change a person's password, and the change is in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import {
  bearer,
  login,
  seedTenant,
  startTestApp,
  type SeededUser,
  type TestApp,
} from '../../../test/helpers.ts';

describe.each(databaseBackends())('password change on $name', (backend) => {
  let t: TestApp;
  let bob: SeededUser;

  const change = (token: string, payload: object) =>
    t.app.inject({ method: 'POST', url: '/api/auth/password', headers: bearer(token), payload });
  const refresh = (refreshToken: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refresh_token: refreshToken } });

  beforeAll(async () => {
    t = await startTestApp(backend, { worker: false });
    bob = await seedTenant(t.database.knex, { email: 'bob@example.com' });
  });
  afterAll(async () => t?.close());

  it('needs the current password and a new one that passes the policy', async () => {
    const session = await login(t.app, bob.email, bob.password);
    const wrong = await change(session.access_token, {
      current_password: 'not-it',
      new_password: 'granite-river-lantern-7',
    });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([400, 'CURRENT_PASSWORD_WRONG']);
    const weak = await change(session.access_token, {
      current_password: bob.password,
      new_password: 'password1234',
    });
    expect([weak.statusCode, weak.json().error.code]).toEqual([400, 'PASSWORD_COMMON']);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/password', payload: {} })).statusCode).toBe(
      401,
    );
    await login(t.app, bob.email, bob.password);
  });

  it('revokes every other session, keeps this one, and refuses API tokens', async () => {
    const other = await login(t.app, bob.email, bob.password);
    const current = await login(t.app, bob.email, bob.password);
    const apiToken = (
      await t.app.inject({
        method: 'POST',
        url: '/api/tokens',
        headers: bearer(current.access_token),
        payload: { name: 'ci', role: 'admin', expires_in_days: 1 },
      })
    ).json().token as string;
    const byToken = await change(apiToken, {
      current_password: bob.password,
      new_password: 'granite-river-lantern-7',
    });
    expect(byToken.statusCode).toBe(403);

    const changed = await change(current.access_token, {
      current_password: bob.password,
      new_password: 'granite-river-lantern-7',
    });
    expect(changed.statusCode, changed.body).toBe(204);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(other.access_token) })).statusCode).toBe(
      401,
    );
    expect((await refresh(other.refresh_token)).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/me', headers: bearer(current.access_token) })).statusCode).toBe(
      200,
    );
    expect((await refresh(current.refresh_token)).statusCode).toBe(200);
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: bob.email, password: bob.password },
    });
    expect(old.statusCode).toBe(401);
    const fresh = await login(t.app, bob.email, 'granite-river-lantern-7');
    const ledger = await t.app.inject({ url: '/api/ledger?limit=50', headers: bearer(fresh.access_token) });
    const entry = ledger.json().items.find((e: { kind: string }) => e.kind === 'auth.password_changed');
    expect(entry?.payload.sessions_revoked).toBeGreaterThanOrEqual(1);
  });
});
