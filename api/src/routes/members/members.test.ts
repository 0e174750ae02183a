/**
 * /api/members on both backends: members join through invitations (new or existing accounts), admins re-role
 * and remove members;
 * a tenant keeps its last admin (409 LAST_ADMIN); a removed member's refresh and API tokens are refused at
 * once while their membership of another tenant is untouched; every change is in the ledger.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { lastTokenSentTo } from '../../mail/mailer.ts';
import { join } from 'node:path';
import {
  bearer,
  inviteAndAccept,
  login,
  seedTenant,
  startTestApp,
  type SeededUser,
  type TestApp,
} from '../../../test/helpers.ts';
import { runAsOwner } from '../../plugins/app/tenancy.ts';

describe.each(databaseBackends())('/api/members on $name', (backend) => {
  let t: TestApp;
  let admin: SeededUser;
  let adminToken: string;
  /** A user of another tenant, added to this one by e-mail. */
  let outsider: SeededUser;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
  const ledgerKinds = async (): Promise<{ kind: string; payload: Record<string, unknown> }[]> =>
    (await call('GET', '/api/ledger?limit=50', adminToken)).json().items;

  beforeAll(async () => {
    t = await startTestApp(backend);
    admin = await seedTenant(t.database.knex);
    outsider = await seedTenant(t.database.knex);
    adminToken = (await login(t.app, admin.email, admin.password)).access_token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('adds a new account through an invitation, who then signs in with the given role', async () => {
    const password = 'initial-password-123';
    const userId = await inviteAndAccept(t, adminToken, {
      email: 'New.Auditor@Example.com',
      role: 'auditor',
      password,
    });
    const session = await login(t.app, 'new.auditor@example.com', password);
    expect(session.tenant.id).toBe(admin.tenantId);
    const listed = await call('GET', '/api/members', session.access_token);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().items.map((m: { email: string }) => m.email)).toEqual([
      admin.email,
      'new.auditor@example.com',
    ]);
    const entry = (await ledgerKinds()).find((e) => e.kind === 'invitation.accepted');
    expect(entry?.payload).toMatchObject({ user_id: userId, account_created: true });
  });

  it('adds an account of another tenant once it accepts signed in as itself; no admin sets its password', async () => {
    expect(
      (await call('POST', '/api/members', adminToken, { email: outsider.email, role: 'user' })).statusCode,
    ).toBe(404);
    const invited = await call('POST', '/api/invitations', adminToken, {
      email: outsider.email,
      role: 'user',
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const token = lastTokenSentTo(join(t.dataDir, 'outbox'), outsider.email, '/accept-invitation')!;
    const withPassword = await t.app.inject({
      method: 'POST',
      url: '/api/invitations/accept',
      payload: { token, password: 'attacker-chosen-password' },
    });
    expect(withPassword.statusCode).toBe(409);
    expect(withPassword.json().error.code).toBe('SIGN_IN_TO_ACCEPT');
    // The outsider's password is unchanged; signed in, the outsider consents.
    const own = await login(t.app, outsider.email, outsider.password);
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/api/invitations/accept',
      headers: bearer(own.access_token),
      payload: { token },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    expect(accepted.json()).toMatchObject({ tenant_id: admin.tenantId, account_created: false });
    const again = await call('POST', '/api/invitations', adminToken, { email: outsider.email, role: 'user' });
    expect(again.json().error.code).toBe('ALREADY_MEMBER');
    const bad = await call('POST', '/api/invitations', adminToken, { email: 'not-an-email', role: 'owner' });
    expect(bad.statusCode).toBe(400);
  });

  it('changes a role (applied from the next request) and never demotes or removes the last admin', async () => {
    const session = await login(t.app, outsider.email, outsider.password);
    expect(session.tenant.id).toBe(outsider.tenantId);
    const here = await login(t.app, outsider.email, outsider.password, admin.tenantId);
    expect(here.role).toBe('user');
    expect((await call('GET', '/api/me', here.access_token)).json().role).toBe('user');
    const changed = await call('PATCH', `/api/members/${outsider.userId}`, adminToken, { role: 'auditor' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().role).toBe('auditor');
    // The access token issued as `user` now acts as an auditor, without a refresh.
    const me = await call('GET', '/api/me', here.access_token);
    expect(me.json().role).toBe('auditor');
    const entry = (await ledgerKinds()).find((e) => e.kind === 'member.role_changed');
    expect(entry?.payload).toMatchObject({ user_id: outsider.userId, from: 'user', to: 'auditor' });

    const demote = await call('PATCH', `/api/members/${admin.userId}`, adminToken, { role: 'user' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().error.code).toBe('LAST_ADMIN');
    const remove = await call('DELETE', `/api/members/${admin.userId}`, adminToken);
    expect(remove.statusCode).toBe(409);
    expect(remove.json().error.code).toBe('LAST_ADMIN');
    // Another tenant's member is not found here.
    const foreign = await call('PATCH', `/api/members/${randomUUID()}`, adminToken, { role: 'user' });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('MEMBER_NOT_FOUND');
  });

  it("removal revokes the member's refresh and API tokens here and leaves their other tenant alone", async () => {
    const password = 'second-admin-password';
    const secondId = await inviteAndAccept(t, adminToken, {
      email: 'second.admin@example.com',
      role: 'admin',
      password,
    });
    const session = await login(t.app, 'second.admin@example.com', password);
    const apiToken = (
      await call('POST', '/api/tokens', session.access_token, {
        name: 'ci',
        role: 'auditor',
        expires_in_days: 1,
      })
    ).json().token as string;
    expect((await call('GET', '/api/scans', apiToken)).statusCode).toBe(200);

    expect((await call('GET', '/api/scans', session.access_token)).statusCode).toBe(200);
    const removed = await call('DELETE', `/api/members/${secondId}`, adminToken);
    expect(removed.statusCode, removed.body).toBe(204);
    // Their access token, minutes old, is refused at once.
    expect((await call('GET', '/api/scans', session.access_token)).statusCode).toBe(401);
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: session.refresh_token },
    });
    expect(refreshed.statusCode).toBe(401);
    // Revoked, not merely orphaned: no live refresh token of theirs is left for this tenant.
    const live = await runAsOwner(t.database.knex, { userId: secondId }, (trx) =>
      trx('refresh_tokens').where({ user_id: secondId, tenant_id: admin.tenantId }).whereNull('revoked_at'),
    );
    expect(live).toEqual([]);
    expect((await call('GET', '/api/scans', apiToken)).statusCode).toBe(401);
    const entry = (await ledgerKinds()).find((e) => e.kind === 'member.removed');
    expect(entry?.payload).toMatchObject({ user_id: secondId, role: 'admin', api_tokens_revoked: 1 });
    expect(entry?.payload.refresh_tokens_revoked).toBeGreaterThanOrEqual(1);
    expect((await call('DELETE', `/api/members/${secondId}`, adminToken)).statusCode).toBe(404);

    // The outsider, removed here, keeps their own tenant: a session there still refreshes.
    const ownSession = await login(t.app, outsider.email, outsider.password);
    expect((await call('DELETE', `/api/members/${outsider.userId}`, adminToken)).statusCode).toBe(204);
    const stillThere = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refresh_token: ownSession.refresh_token },
    });
    expect(stillThere.statusCode, stillThere.body).toBe(200);
    expect(stillThere.json().tenant.id).toBe(outsider.tenantId);
  });

  it('lets auditors read members but not change them', async () => {
    const auditor = await login(t.app, 'new.auditor@example.com', 'initial-password-123');
    const refused = await call('POST', '/api/invitations', auditor.access_token, {
      email: 'x@example.com',
      role: 'user',
    });
    expect(refused.statusCode).toBe(403);
  });
});
