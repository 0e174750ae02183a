/**
 * API tokens and sign-out on every backend: a token authenticates with its own role and tenant, is stored
 * only as sha256, records its last use, and is refused once expired or revoked; only admins manage tokens;
 * logout revokes every refresh token of the user, in every session.
 */
import { createHash } from 'node:crypto';
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
import { runAsOwner } from '../../plugins/app/tenancy.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('API tokens and logout on $name', (backend) => {
  let t: TestApp;
  let admin: SeededUser;
  let adminToken: string;

  const createToken = async (payload: Json, token = adminToken) =>
    t.app.inject({ method: 'POST', url: '/api/tokens', headers: bearer(token), payload });

  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await seedTenant(t.database.knex, { slug: 'tokens' });
    adminToken = (await login(t.app, admin.email, admin.password)).access_token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('authenticates with the token role in its tenant, stores only the hash, and records last use', async () => {
    const created = await createToken({ name: 'ci', role: 'auditor', expires_in_days: 30 });
    expect(created.statusCode, created.body).toBe(201);
    const { token, id } = created.json() as { token: string; id: string };
    expect(token).toMatch(/^cw_pat_[A-Za-z0-9_-]{43}$/);
    expect(created.headers['cache-control']).toBe('no-store');

    const stored = await runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
      trx('api_tokens').where({ id }).first(),
    );
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token.slice(7));
    expect(stored.last_used_at).toBeNull();

    const me = await t.app.inject({ url: '/api/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'auditor', tenant: { id: admin.tenantId } });
    // The auditor scope holds: reading works, starting a scan does not.
    expect((await t.app.inject({ url: '/api/scans', headers: bearer(token) })).statusCode).toBe(200);
    const scan = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(token),
      payload: { integration_id: crypto.randomUUID() },
    });
    expect(scan.statusCode).toBe(403);

    const listed = (await t.app.inject({ url: '/api/tokens', headers: bearer(adminToken) })).json();
    const entry = listed.items.find((i: Json) => i.id === id);
    expect(entry.last_used_at).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(entry).not.toHaveProperty('token');
  });

  it('refuses expired, revoked, unknown and malformed tokens with 401', async () => {
    const expiring = (await createToken({ name: 'expiring', role: 'user', expires_in_days: 1 })).json();
    expect((await t.app.inject({ url: '/api/me', headers: bearer(expiring.token) })).statusCode).toBe(200);
    await runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
      trx('api_tokens')
        .where({ id: expiring.id })
        .update({ expires_at: new Date(Date.now() - 1000) }),
    );
    const expired = await t.app.inject({ url: '/api/me', headers: bearer(expiring.token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API token has expired' });

    const revocable = (await createToken({ name: 'revocable', role: 'admin', expires_in_days: 7 })).json();
    expect((await t.app.inject({ url: '/api/tokens', headers: bearer(revocable.token) })).statusCode).toBe(
      200,
    );
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/tokens/${revocable.id}`,
      headers: bearer(adminToken),
    });
    expect(revoke.statusCode).toBe(204);
    const revoked = await t.app.inject({ url: '/api/me', headers: bearer(revocable.token) });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json().error.message).toBe('API token was revoked');
    const listed = (await t.app.inject({ url: '/api/tokens', headers: bearer(adminToken) })).json();
    expect(listed.items.find((i: Json) => i.id === revocable.id).revoked_at).not.toBeNull();

    const unknown = `cw_pat_${'A'.repeat(43)}`;
    expect((await t.app.inject({ url: '/api/me', headers: bearer(unknown) })).json().error.message).toBe(
      'API token is unknown',
    );
    expect((await t.app.inject({ url: '/api/me', headers: bearer('cw_pat_short') })).statusCode).toBe(401);
    const missing = await t.app.inject({
      method: 'DELETE',
      url: `/api/tokens/${crypto.randomUUID()}`,
      headers: bearer(adminToken),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('API_TOKEN_NOT_FOUND');
  });

  it('validates token requests and refuses duplicate names', async () => {
    for (const payload of [
      { name: 'x', role: 'owner', expires_in_days: 1 },
      { name: 'x', role: 'user', expires_in_days: 0 },
      { name: 'x', role: 'user', expires_in_days: 366 },
      { name: '', role: 'user', expires_in_days: 1 },
      { name: 'x', role: 'user' },
    ]) {
      const response = await createToken(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await createToken({ name: 'dup', role: 'user', expires_in_days: 1 })).statusCode).toBe(201);
    expect((await createToken({ name: 'dup', role: 'user', expires_in_days: 1 })).statusCode).toBe(409);
  });

  it('logout revokes every refresh token of the user, in every session, and ends their access tokens', async () => {
    const first = await login(t.app, admin.email, admin.password);
    const second = await login(t.app, admin.email, admin.password);
    const me = (session: { access_token: string }) =>
      t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(session.access_token) });
    expect((await me(second)).statusCode).toBe(200);
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      payload: { refresh_token: first.refresh_token },
    });
    expect(logout.statusCode).toBe(204);
    for (const session of [first, second]) {
      const refreshed = await t.app.inject({
        method: 'POST',
        url: '/api/auth/refresh',
        payload: { refresh_token: session.refresh_token },
      });
      expect(refreshed.statusCode).toBe(401);
      // The access token is still within its 15 minutes, but its session is over.
      const after = await me(session);
      expect(after.statusCode).toBe(401);
      expect(after.json().error).toMatchObject({
        code: 'UNAUTHENTICATED',
        message: expect.stringMatching(/sign in again/),
      });
    }
  });
});
