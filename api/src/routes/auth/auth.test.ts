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

describe.each(databaseBackends())('auth on $name', (backend) => {
  let t: TestApp;
  let alice: SeededUser;

  beforeAll(async () => {
    t = await startTestApp(backend, { worker: false });
    alice = await seedTenant(t.database.knex, { email: 'alice@example.com', role: 'auditor' });
  });
  afterAll(async () => t?.close());

  it('logs in with the right password and answers /api/me', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'Alice@Example.com ', password: alice.password },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 900,
      user: { id: alice.userId, email: 'alice@example.com' },
      tenant: { id: alice.tenantId },
      role: 'auditor',
    });
    expect(body.refresh_token).toEqual(expect.any(String));
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toContain('cw_refresh=');
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/api/auth');

    const me = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(body.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      user: { id: alice.userId },
      tenant: { id: alice.tenantId },
      role: 'auditor',
    });
  });

  it('refuses a NUL inside a login password with 400 before any verify', async () => {
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: alice.email, password: `${alice.password}\u0000` },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('VALIDATION_ERROR');
  });

  it('runs the same lookups for an unknown e-mail as for a wrong password (no timing oracle)', async () => {
    const queries: string[] = [];
    const record = (query: { sql: string }) => queries.push(query.sql.replace(/\$\d+/g, '?'));
    t.database.knex.on('query', record);
    try {
      const tries = async (email: string) => {
        queries.length = 0;
        const answer = await t.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email, password: 'not-the-password' },
        });
        expect(answer.statusCode).toBe(401);
        return queries.filter((sql) => !/ledger/i.test(sql));
      };
      const known = await tries(alice.email);
      const unknown = await tries('nobody.here@example.com');
      // The known account's ledger entries aside, both ran the same statements.
      expect(unknown).toEqual(known);
      expect(known.some((sql) => sql.includes('memberships'))).toBe(true);
    } finally {
      t.database.knex.off('query', record);
    }
  });

  it('answers 401 INVALID_CREDENTIALS as JSON for a wrong password and an unknown e-mail alike', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: alice.email, password: 'not-the-password' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nobody@example.com', password: 'not-the-password' },
    });
    for (const response of [wrong, unknown]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.json()).toEqual({
        error: {
          code: 'INVALID_CREDENTIALS',
          message: 'e-mail or password is wrong',
          request_id: response.headers['x-request-id'],
        },
      });
    }
  });

  it('answers 400 VALIDATION_ERROR for a malformed login body and 401 without a token', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 42 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_ERROR');
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('INVALID_JSON');
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/me' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('UNAUTHENTICATED');
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: bearer('eyJhbGciOiJub25lIn0.e30.'),
    });
    expect(forged.statusCode).toBe(401);
  });

  it('rotates refresh tokens, and reuse of a spent one revokes the whole family', async () => {
    const first = await login(t.app, alice.email, alice.password);

    const second = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: first.refresh_token },
    });
    expect(second.statusCode).toBe(200);
    const secondBody = second.json();
    expect(secondBody.refresh_token).not.toBe(first.refresh_token);

    // The app's way: the cookie, no body.
    const third = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: { cw_refresh: secondBody.refresh_token },
    });
    expect(third.statusCode).toBe(200);
    const thirdBody = third.json();

    // Replaying the first (spent) token: refused, and the family is revoked.
    const replay = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: first.refresh_token },
    });
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error.code).toBe('INVALID_REFRESH_TOKEN');

    // The newest token of that family no longer works either.
    const afterRevoke = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: thirdBody.refresh_token },
    });
    expect(afterRevoke.statusCode).toBe(401);

    // Another login (another family) is unaffected.
    const other = await login(t.app, alice.email, alice.password);
    const otherRefresh = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: other.refresh_token },
    });
    expect(otherRefresh.statusCode).toBe(200);
  });

  it('logout revokes the refresh token', async () => {
    const session = await login(t.app, alice.email, alice.password);
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: { cw_refresh: session.refresh_token },
    });
    expect(out.statusCode).toBe(204);
    const refresh = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect(refresh.statusCode).toBe(401);
  });
});
