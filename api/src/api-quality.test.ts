/**
 * API plumbing on every backend: request ids (kept when well formed, replaced otherwise, echoed in headers
 * and error bodies), liveness and readiness, the OpenAPI 3.1 document (every /api route, its permission,
 * operationId, summary and tag), its docs page, Prometheus metrics, and the login rate limit answering 429 in the one error shape.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../test/db.ts';
import { OPENAPI_TAGS } from './plugins/external/openapi.ts';
import { bearer, login, seedTenant, startTestApp, type SeededUser, type TestApp } from '../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('API plumbing on $name', (backend) => {
  let t: TestApp;
  let user: SeededUser;

  beforeAll(async () => {
    t = await startTestApp(backend, {
      configOverrides: { loginAttemptsPerMinute: 3, metricsToken: 'metrics-scraper-token' },
    });
    user = await seedTenant(t.database.knex, { slug: 'plumbing' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('keeps a well-formed x-request-id, replaces a bad one, and repeats it in error bodies', async () => {
    const kept = await t.app.inject({ url: '/api/health/live', headers: { 'x-request-id': 'trace-0001.a' } });
    expect(kept.headers['x-request-id']).toBe('trace-0001.a');
    const replaced = await t.app.inject({
      url: '/api/health/live',
      headers: { 'x-request-id': 'bad id\nwith newline' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const fresh = await t.app.inject({ url: '/api/me' });
    expect(fresh.statusCode).toBe(401);
    expect(fresh.json().error).toMatchObject({
      code: 'UNAUTHENTICATED',
      request_id: fresh.headers['x-request-id'],
    });
    const unknown = await t.app.inject({ url: '/api/nope', headers: { 'x-request-id': 'trace-0002.b' } });
    expect(unknown.json().error).toMatchObject({ code: 'ROUTE_NOT_FOUND', request_id: 'trace-0002.b' });
  });

  it('answers liveness and readiness without a token', async () => {
    expect((await t.app.inject({ url: '/api/health/live' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ url: '/api/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('publishes an OpenAPI 3.1 document describing every /api route with its permission', async () => {
    const response = await t.app.inject({ url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json() as Json;
    expect(doc.openapi).toBe('3.1.0');
    const described = new Set<string>();
    for (const [path, operations] of Object.entries(doc.paths as Json)) {
      for (const [method, operation] of Object.entries(operations as Json)) {
        const where = `${method} ${path}`;
        expect(operation['x-permission'], where).toBeTypeOf('string');
        expect(operation.security, where).toEqual(
          operation['x-permission'] === 'public' ? [] : [{ bearer: [] }],
        );
        // Declared in each route's schema (see api/src/plugins/external/openapi.ts): the lint test and the
        // generated app types rely on them.
        expect(operation.operationId, `${where}: schema.operationId`).toMatch(/^[a-z][A-Za-z]+$/);
        expect(operation.summary, `${where}: schema.summary`).toBeTypeOf('string');
        expect(operation.tags, `${where}: schema.tags`).toHaveLength(1);
        expect(Object.keys(OPENAPI_TAGS), `${where}: tag`).toContain(operation.tags[0]);
        described.add(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
    const routes = t.app.routeCatalog
      .filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && r.url !== '/api/openapi.json')
      .map((r) => `${r.method} ${r.url.replace(/\/$/, '')}`);
    expect(routes.length).toBeGreaterThan(10);
    expect([...described].sort()).toEqual([...new Set(routes)].sort());
    const page = await t.app.inject({ url: '/docs/api' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });

  it('exports Prometheus metrics labelled by route pattern, not by concrete URL', async () => {
    const session = await login(t.app, user.email, user.password);
    await t.app.inject({ url: `/api/scans/${crypto.randomUUID()}`, headers: bearer(session.access_token) });
    for (const headers of [{}, bearer('wrong-token'), bearer(session.access_token)]) {
      const refused = await t.app.inject({ url: '/metrics', headers });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error.code).toBe('UNAUTHENTICATED');
    }
    const metrics = await t.app.inject({ url: '/metrics', headers: bearer('metrics-scraper-token') });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('route="/api/scans/:id"');
    expect(metrics.body).not.toMatch(/route="\/api\/scans\/[0-9a-f]{8}-/);
  });

  it('rate-limits login attempts per e-mail and address with a 429 in the error shape', async () => {
    const email = `limited-${crypto.randomUUID()}@plumbing.example`;
    const attempt = () =>
      t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { email, password: 'wrong' } });
    for (let i = 0; i < 3; i += 1) expect((await attempt()).statusCode).toBe(401);
    const limited = await attempt();
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('TOO_MANY_REQUESTS');
    expect(limited.json().error.details.retry_after_seconds).toBeGreaterThan(0);
    expect(limited.headers['retry-after']).toBeDefined();
    // Another e-mail from the same address is not locked out by the first one's attempts.
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.email, password: user.password },
    });
    expect(other.statusCode).toBe(200);
  });
});
