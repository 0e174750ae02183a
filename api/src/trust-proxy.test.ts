/**
 * Behind a TLS proxy (COMPLYWISE_TRUST_PROXY): the proxy's X-Forwarded-Proto makes the refresh cookie Secure
 * and its X-Forwarded-For is the client address; from a peer that is not trusted both headers are ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../test/db.ts';
import { seedTenant, startTestApp, type SeededUser, type TestApp } from '../test/helpers.ts';
import { loadConfig } from './config.ts';

describe('COMPLYWISE_TRUST_PROXY', () => {
  it('reads true, or addresses and CIDR ranges, and refuses anything else', () => {
    const trust = (value?: string) => loadConfig({ COMPLYWISE_TRUST_PROXY: value }).trustProxy;
    expect(trust()).toBeUndefined();
    expect(trust('false')).toBeUndefined();
    expect(trust('true')).toBe(true);
    expect(trust('10.0.0.0/8, 127.0.0.1,::1,fd00::/8')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    for (const bad of ['proxy.internal', '10.0.0.0/33', '2', '127.0.0.1/8/8', 'yes'])
      expect(() => trust(bad), bad).toThrow(/COMPLYWISE_TRUST_PROXY/);
  });
});

describe.each(databaseBackends())('behind a TLS proxy on $name', (backend) => {
  let trusting: TestApp;
  let direct: TestApp;
  let userOfTrusting: SeededUser;
  let userOfDirect: SeededUser;
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };

  beforeAll(async () => {
    // inject() connects from 127.0.0.1: the proxy in the first app, an untrusted peer in the second.
    trusting = await startTestApp(backend, { worker: false, configOverrides: { trustProxy: ['127.0.0.1'] } });
    direct = await startTestApp(backend, { worker: false });
    userOfTrusting = await seedTenant(trusting.database.knex, {
      email: 'proxied@example.com',
      role: 'admin',
    });
    userOfDirect = await seedTenant(direct.database.knex, { email: 'direct@example.com', role: 'admin' });
  });
  afterAll(async () => {
    await trusting?.close();
    await direct?.close();
  });

  const login = (t: TestApp, user: SeededUser) =>
    t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: forwarded,
      payload: { email: user.email, password: user.password },
    });

  it('sets the Secure flag on the refresh cookie when the trusted proxy says https', async () => {
    const response = await login(trusting, userOfTrusting);
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).toMatch(/cw_refresh=.*; Secure/);
  });

  it('ignores forwarded headers from a peer it does not trust', async () => {
    const response = await login(direct, userOfDirect);
    expect(response.statusCode).toBe(200);
    expect(String(response.headers['set-cookie'])).not.toMatch(/Secure/);
  });

  it('takes the client address from the trusted proxy, so each client has its own login limit', async () => {
    const attempt = (t: TestApp, client: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { ...forwarded, 'x-forwarded-for': client },
        payload: { email: 'limited@example.com', password: 'wrong password' },
      });
    const limit = trusting.config.loginAttemptsPerMinute;
    for (let i = 0; i < limit; i++) expect((await attempt(trusting, '198.51.100.1')).statusCode).toBe(401);
    expect((await attempt(trusting, '198.51.100.1')).statusCode).toBe(429);
    // Another client behind the same proxy is not limited by the first one's attempts.
    expect((await attempt(trusting, '198.51.100.2')).statusCode).toBe(401);
  });
});
