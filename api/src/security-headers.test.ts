/**
 * Browser-facing headers and proxy trust on every backend: the CSP (inline scripts only by the hash of the
 * built app's bootstrap), no framing, nosniff, no referrer; HSTS and the Secure refresh cookie only over TLS
 * as reported by a trusted proxy; the login rate limit keyed on the client behind that proxy; /metrics
 * closed without its token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../test/db.ts';
import { seedTenant, startTestApp, type SeededUser, type TestApp } from '../test/helpers.ts';
import { loadConfig } from './config.ts';
import { inlineScriptHashes } from './security-headers.ts';

describe('COMPLYWISE_TRUST_PROXY', () => {
  const trustOf = (value?: string) =>
    loadConfig({
      COMPLYWISE_DATA_DIR: tmpdir(),
      ...(value === undefined ? {} : { COMPLYWISE_TRUST_PROXY: value }),
    }).trustProxy;
  it('trusts no proxy by default and takes true, a hop count or addresses', () => {
    expect(trustOf()).toBe(false);
    expect(trustOf('false')).toBe(false);
    expect(trustOf('true')).toBe(true);
    expect(trustOf('2')).toBe(2);
    expect(trustOf('10.0.0.0/8, 127.0.0.1')).toBe('10.0.0.0/8, 127.0.0.1');
    expect(() => trustOf('every proxy please')).toThrow(/COMPLYWISE_TRUST_PROXY must be/);
  });
});

describe('inline script hashes of the built app', () => {
  it('hashes each inline script body and ignores scripts with a src', () => {
    const dir = mkdtempSync(join(tmpdir(), 'complywise-csp-'));
    try {
      writeFileSync(
        join(dir, 'index.html'),
        '<html><head><script type="module" src="/_app/start.js"></script></head><body><script>\n\tboot();\n</script></body></html>',
      );
      // sha256 of "\n\tboot();\n", base64.
      expect(inlineScriptHashes(dir)).toEqual(["'sha256-ei3NNZKH59dyyn5MsZbds+kIRs2J0DEflkHXc2YeP1w='"]);
      expect(inlineScriptHashes(join(dir, 'absent'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseBackends())('security headers and proxy trust on $name', (backend) => {
  let direct: TestApp;
  let proxied: TestApp;
  let user: SeededUser;

  beforeAll(async () => {
    direct = await startTestApp(backend);
    proxied = await startTestApp(backend, {
      configOverrides: { trustProxy: true, loginAttemptsPerMinute: 2 },
    });
    user = await seedTenant(proxied.database.knex, { slug: 'proxied' });
  }, 180_000);
  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
  });

  it('sends the CSP, no-framing, nosniff and referrer headers on API answers and errors', async () => {
    for (const url of ['/api/health/live', '/api/no-such-route']) {
      const response = await direct.app.inject({ url });
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toMatch(/script-src 'self'(;| 'sha256-)/);
      expect(csp).not.toContain("'unsafe-inline' 'unsafe-eval'");
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
    }
  });

  it('sends HSTS only over TLS, and believes X-Forwarded-Proto only from a trusted proxy', async () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
    expect(
      (await direct.app.inject({ url: '/api/health/live' })).headers['strict-transport-security'],
    ).toBeUndefined();
    const spoofed = await direct.app.inject({ url: '/api/health/live', headers: forwarded });
    expect(spoofed.headers['strict-transport-security']).toBeUndefined();
    const behindTls = await proxied.app.inject({ url: '/api/health/live', headers: forwarded });
    expect(behindTls.headers['strict-transport-security']).toMatch(/^max-age=31536000; includeSubDomains$/);
  });

  it('marks the refresh cookie Secure behind a TLS proxy', async () => {
    const login = await proxied.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.10' },
      payload: { email: user.email, password: user.password },
    });
    expect(login.statusCode, login.body).toBe(200);
    expect(String(login.headers['set-cookie'])).toMatch(/; Secure/);
  });

  it('keys the login rate limit on the client behind the proxy, not on the proxy', async () => {
    const attempt = (client: string) =>
      proxied.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-for': client },
        payload: { email: user.email, password: 'wrong password here' },
      });
    for (let i = 0; i < 2; i += 1) expect((await attempt('198.51.100.1')).statusCode).toBe(401);
    expect((await attempt('198.51.100.1')).statusCode).toBe(429);
    // Same proxy, same e-mail, another client: not locked out by the first one.
    expect((await attempt('198.51.100.2')).statusCode).toBe(401);
  });

  it('does not serve /metrics without a configured token', async () => {
    expect((await direct.app.inject({ url: '/metrics' })).statusCode).toBe(404);
  });
});
