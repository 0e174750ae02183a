/**
 * The built app's files and their caching: content-hashed build files may be kept for a year, every other
 * file (index.html above all, which names the hashed ones) is revalidated, and unknown paths get index.html
 * outside /api and a JSON 404 inside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMMUTABLE_CACHE_CONTROL, staticAppPlugin } from './static.ts';

describe('the built app', () => {
  let root: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'complywise-static-'));
    mkdirSync(join(root, '_app', 'immutable', 'entry'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<html><body>app</body></html>');
    writeFileSync(join(root, '_app', 'immutable', 'entry', 'start.B4x9kQ2a.js'), 'export const start = 1;');
    writeFileSync(join(root, '_app', 'version.json'), '{"version":"1"}');
    writeFileSync(join(root, 'robots.txt'), 'User-agent: *\n');
    app = Fastify();
    await app.register(staticAppPlugin, { root });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lets a browser keep the content-hashed build files for a year', async () => {
    const response = await app.inject({ url: '/_app/immutable/entry/start.B4x9kQ2a.js' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('export const start = 1;');
    expect(response.headers['cache-control']).toBe(IMMUTABLE_CACHE_CONTROL);
  });

  it('has every other file revalidated, index.html and the SPA fallback included', async () => {
    for (const url of ['/', '/_app/version.json', '/robots.txt']) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['cache-control'], url).toBe('public, max-age=0');
      expect(response.headers.etag, url).toBeTruthy();
    }
    const route = await app.inject({ url: '/scans/0b5e1d2c' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('app');
    expect(route.headers['cache-control']).toBe('public, max-age=0');
  });

  it('answers an unknown API path and a missing hashed file without index.html', async () => {
    const api = await app.inject({ url: '/api/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    const missing = await app.inject({ url: '/_app/immutable/entry/gone.js' });
    expect(missing.headers['cache-control']).not.toBe(IMMUTABLE_CACHE_CONTROL);
  });
});
