import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from './client.ts';
import { ApiError } from './errors.ts';
import { fetchWithCookieJar, startFixtureServer, type FixtureServer } from './fixture-server.ts';
import type { Session } from './types.ts';

let server: FixtureServer;
beforeEach(async () => {
  server = await startFixtureServer();
});
afterEach(async () => {
  await server.close();
});

function client(extra: Parameters<typeof createApiClient>[0] = {}) {
  return createApiClient({ baseUrl: server.url, fetch: fetchWithCookieJar(), ...extra });
}

describe('createApiClient', () => {
  it('signs in, reports the session and sends the access token as a bearer token', async () => {
    const seen: Array<Session | null> = [];
    const api = client({ onSessionChange: (s) => seen.push(s) });
    const session = await api.login('ada@example.test', 'right');
    expect(session.tenant.name).toBe('Example Org');
    expect(seen).toEqual([session]);

    const { items } = await api.listIntegrations();
    expect(items[0]?.name).toBe('Sandbox');
    expect(server.state.authorizations).toEqual([`Bearer ${session.access_token}`]);
  });

  it('turns a wrong password into an ApiError with the API code and message', async () => {
    const api = client();
    const error = await api.login('ada@example.test', 'wrong').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 401,
      code: 'INVALID_CREDENTIALS',
      message: 'Email or password is wrong.',
    });
    expect(api.session).toBeNull();
  });

  it('restores a session from the refresh cookie alone', async () => {
    const fetch = fetchWithCookieJar();
    await createApiClient({ baseUrl: server.url, fetch }).login('ada@example.test', 'right');
    // A page reload: a new client, nothing in memory, the same cookie jar.
    const reloaded = createApiClient({ baseUrl: server.url, fetch });
    const restored = await reloaded.restore();
    expect(restored?.user.email).toBe('ada@example.test');
    await expect(reloaded.listIntegrations()).resolves.toHaveProperty('items');
  });

  it('answers null on restore when there is no refresh cookie', async () => {
    await expect(client().restore()).resolves.toBeNull();
  });

  it('refreshes once on 401 and retries, sharing one refresh among concurrent requests', async () => {
    const api = client();
    const first = await api.login('ada@example.test', 'right');
    server.state.validTokens.delete(first.access_token); // the access token expires
    const results = await Promise.all([
      api.listIntegrations(),
      api.listIntegrations(),
      api.listIntegrations(),
    ]);
    expect(results.every((r) => r.items.length === 1)).toBe(true);
    expect(server.state.refreshCalls).toBe(1);
    expect(api.session?.access_token).not.toBe(first.access_token);
  });

  it('ends the session and calls onSessionExpired when the refresh is refused', async () => {
    let expired = 0;
    const api = client({ onSessionExpired: () => expired++ });
    const session = await api.login('ada@example.test', 'right');
    server.state.validTokens.delete(session.access_token);
    server.state.validRefresh.clear();
    const error = await api.listIntegrations().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, code: 'SESSION_EXPIRED' });
    expect(expired).toBe(1);
    expect(api.session).toBeNull();
  });

  it('forgets the session on logout and the server revokes the cookie', async () => {
    const api = client();
    await api.login('ada@example.test', 'right');
    await api.logout();
    expect(api.session).toBeNull();
    await expect(api.restore()).resolves.toBeNull();
  });

  it('describes an error answer that is not the JSON error shape', async () => {
    const api = client();
    await api.login('ada@example.test', 'right');
    await expect(api.request('/api/not-json')).rejects.toMatchObject({ status: 500, code: 'BAD_RESPONSE' });
  });

  it('reports an unreachable API as a network error', async () => {
    const url = server.url;
    await server.close();
    const api = createApiClient({ baseUrl: url });
    await expect(api.login('a@b.c', 'x')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
    server = await startFixtureServer(); // for afterEach
  });
});
