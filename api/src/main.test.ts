/**
 * The whole product as `npm start` runs it: migrations, API, worker, the demo sandbox and the demo tenant,
 * the static app with its SPA fallback, a restart on the same data dir (idempotent seed), and shutdown.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoS3Account } from '../../scanners/aws/fixtures/s3-fixture-account.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { startProduct, type RunningProduct } from './main.ts';
import type { DemoSandboxUrls } from './seed/demo-sandboxes.ts';
import {
  DEMO_INTEGRATION_NAME,
  DEMO_INTEGRATION_NAMES,
  DEMO_LOGIN,
  DEMO_TENANT_ID,
  DEMO_TENANT_NAME,
} from './seed/demo.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The sandbox address each provider's config names. */
const endpointOf = (integration: Json): string =>
  integration.config.endpoint ?? integration.config.baseUrl ?? integration.config.orgUrl;

/** Every demo integration, flagged demo, pointing at the sandbox of this start. */
function expectDemoIntegrations(integrations: Json[], urls: DemoSandboxUrls): void {
  const expected = Object.entries(DEMO_INTEGRATION_NAMES).map(([key, name]) => ({
    name,
    demo: true,
    endpoint: urls[key as keyof DemoSandboxUrls],
  }));
  const actual = integrations.map((i) => ({ name: i.name, demo: i.demo, endpoint: endpointOf(i) }));
  expect(actual).toEqual(expect.arrayContaining(expected));
  expect(actual).toHaveLength(expected.length);
}

describe.each(databaseBackends())('startProduct on $name', (backend) => {
  let dataDir: string;
  let appDir: string;
  let testDb: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let product: RunningProduct | null = null;

  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.body) headers['content-type'] = 'application/json';
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const response = await fetch(`${product!.url}${path}`, { ...init, headers });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      text,
      json: () => JSON.parse(text) as Json,
    };
  };

  async function signIn(): Promise<string> {
    const response = await call('/api/auth/login', { method: 'POST', body: JSON.stringify(DEMO_LOGIN) });
    expect(response.status).toBe(200);
    expect(response.json()).toMatchObject({
      tenant: { id: DEMO_TENANT_ID, name: DEMO_TENANT_NAME, demo: true },
      role: 'admin',
    });
    return response.json().access_token;
  }

  async function waitFor(scanId: string, token: string): Promise<Json> {
    for (let i = 0; i < 450; i += 1) {
      const scan = (await call(`/api/scans/${scanId}`, { token })).json();
      if (scan.status === 'succeeded' || scan.status === 'failed') return scan;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`scan ${scanId} did not finish`);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'complywise-product-'));
    appDir = join(dataDir, 'app-build');
    mkdirSync(join(appDir, '_app'), { recursive: true });
    writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>ComplyWise</title><div id="app"></div>');
    writeFileSync(join(appDir, '_app', 'start.js'), 'console.log("app");');
    // Empty: the product's own start migrates it (PGlite: a new data folder under dataDir).
    testDb = await createTestDatabase(backend, { empty: true });
    env = {
      COMPLYWISE_DATA_DIR: dataDir,
      COMPLYWISE_APP_DIR: appDir,
      PORT: '0',
      LOG_LEVEL: 'warn',
      // The sandboxes answer at once: the demo scans need not wait at the providers' polite rates (8-20
      // calls a second), which the product's own setting lifts here.
      COMPLYWISE_SCAN_CALLS_PER_SECOND: '1000',
      ...(testDb.databaseUrl ? { DATABASE_URL: testDb.databaseUrl, COMPLYWISE_DEMO: '1' } : {}),
    };
  });
  afterAll(async () => {
    await product?.close();
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, seeds the demo tenant and scans the sandbox', { timeout: 180_000 }, async () => {
    product = await startProduct({ env, logger: false });
    expect(product.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(product.demo).toMatchObject({ email: 'demo@complywise.dev', password: 'complywise-demo' });
    if (backend.name === 'pglite') expect(statSync(join(dataDir, 'pglite')).isDirectory()).toBe(true);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    const token = await signIn();
    const integrations = (await call('/api/integrations', { token })).json().items;
    expectDemoIntegrations(integrations, product.demo!.sandboxUrls);
    expect(new Set(integrations.map((i: Json) => i.provider))).toEqual(
      new Set(['aws', 'github', 'okta', 'azure']),
    );
    const main = integrations.find((i: Json) => i.name === DEMO_INTEGRATION_NAME);
    expect(main.id).toBe(product.demo!.integrationId);
    expect(main.config.endpoint).toBe(product.demo!.sandboxUrl);
    // The first demo scan starts by itself, of the main AWS account only (start-up stays fast).
    const scans = (await call('/api/scans', { token })).json().items;
    expect(scans).toHaveLength(1);
    const [first] = scans;
    expect(first.integration_id).toBe(main.id);
    expect((await waitFor(first.id, token)).status).toBe('succeeded');
    // Every AWS service was scanned, not S3 alone.
    const scanned = (await call(`/api/scans/${first.id}`, { token })).json();
    expect(scanned.progress.resources_collected).toBeGreaterThan(demoS3Account().buckets.length);
    const frameworks = (await call('/api/frameworks', { token })).json();
    expect(frameworks.items.length).toBeGreaterThan(0);
    const scores = (await call('/api/scores', { token })).json();
    expect(scores.scan_id).toBe(first.id);
    // A score for every framework of the catalog.
    expect(new Set(scores.items.map((s: Json) => s.framework_id))).toEqual(
      new Set(frameworks.items.map((f: Json) => f.id)),
    );
  });

  it('serves the app with an SPA fallback, and JSON 404s under /api', async () => {
    const home = await call('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('<div id="app">');
    const deepLink = await call('/scans/123/controls/UCF-X');
    expect(deepLink.status).toBe(200);
    expect(deepLink.text).toContain('<div id="app">');
    const asset = await call('/_app/start.js');
    expect(asset.text).toContain('console.log');
    const api = await call('/api/does-not-exist');
    expect(api.status).toBe(404);
    expect(api.type).toMatch(/application\/json/);
    expect(api.json().error.code).toBe('ROUTE_NOT_FOUND');
  });

  it(
    'restarts on the same data: the seed is idempotent and the sandbox endpoint follows the new port',
    { timeout: 180_000 },
    async () => {
      await product!.close();
      product = await startProduct({ env, logger: false });
      const token = await signIn();
      const integrations = (await call('/api/integrations', { token })).json().items;
      expectDemoIntegrations(integrations, product.demo!.sandboxUrls);
      const scans = (await call('/api/scans', { token })).json().items;
      expect(scans).toHaveLength(1); // no second automatic scan
      // Every other demo sandbox answers its integration's scan through the worker. The scans are the
      // same on either database (and paced at the providers' own rates ~50 s, Okta's 304 calls at 8 a
      // second alone 38 s, hence COMPLYWISE_SCAN_CALLS_PER_SECOND above), so once is enough.
      const others =
        backend.name === 'pglite' ? integrations.filter((i: Json) => i.name !== DEMO_INTEGRATION_NAME) : [];
      const queued = await Promise.all(
        others.map((i: Json) =>
          call('/api/scans', { method: 'POST', token, body: JSON.stringify({ integration_id: i.id }) }),
        ),
      );
      for (const response of queued) {
        expect(response.status).toBe(202);
        const scan = await waitFor(response.json().id, token);
        expect(scan.status, JSON.stringify(scan.failure)).toBe('succeeded');
        expect(scan.progress.resources_collected).toBeGreaterThan(0);
      }
    },
  );
});

it('loads a saved database only into the embedded one in memory, before opening anything', async () => {
  const pgliteDir = join(tmpdir(), 'complywise-never-created');
  await expect(
    startProduct({ config: { pgliteDir }, pgliteLoadDataDir: new Blob([]), logger: false }),
  ).rejects.toThrow(/embedded database in memory/);
  expect(() => statSync(pgliteDir)).toThrow(/ENOENT/);
});
