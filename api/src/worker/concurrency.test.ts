/**
 * Per-tenant scan concurrency on every backend: with a limit of one running scan per tenant and three jobs
 * per worker, tenant A's three queued scans run one after another (no two overlap), while tenant B's scan,
 * queued after them, does not wait behind A's backlog. The real worker scans a real S3 fixture server that
 * answers each call after a short delay, so a scan lasts longer than the worker's poll interval.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Handler } from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { connectS3Sandbox } from '../../test/scanned-tenant.ts';
import { loadConfig } from '../config.ts';

interface ScanTimes {
  id: string;
  status: string;
  started_at: string;
  finished_at: string;
}

describe.each(databaseBackends())('per-tenant scan concurrency on $name', (backend) => {
  let t: TestApp;
  const handler = createS3Handler();
  const sandbox = createServer((req, res) => {
    setTimeout(() => handler.handle(req, res), 40);
  });
  let sandboxUrl: string;

  /** A tenant with an admin token and an S3 sandbox integration. */
  async function tenant(slug: string): Promise<{ token: string; integrationId: string }> {
    const admin = await seedTenant(t.database.knex, { slug });
    const token = (await login(t.app, admin.email, admin.password)).access_token;
    return { token, integrationId: await connectS3Sandbox(t, token, sandboxUrl, `${slug} sandbox`) };
  }

  const queue = async (who: { token: string; integrationId: string }): Promise<string> => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(who.token),
      payload: { integration_id: who.integrationId },
    });
    expect(response.statusCode, response.body).toBe(202);
    return response.json().id;
  };

  async function finished(token: string, ids: string[]): Promise<ScanTimes[]> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const scans = await Promise.all(
        ids.map(
          async (id) =>
            (await t.app.inject({ url: `/api/scans/${id}`, headers: bearer(token) })).json() as ScanTimes,
        ),
      );
      if (scans.every((s) => s.status === 'succeeded' || s.status === 'failed')) return scans;
      if (Date.now() > deadline) throw new Error(`scans still running: ${JSON.stringify(scans)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    await new Promise<void>((resolve) => sandbox.listen(0, '127.0.0.1', resolve));
    sandboxUrl = `http://127.0.0.1:${(sandbox.address() as AddressInfo).port}`;
    const jobs = { ...loadConfig({}).jobs, tenantConcurrency: 1, workerConcurrency: 3 };
    t = await startTestApp(backend, { configOverrides: { jobs } });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => sandbox.close(resolve));
  });

  it('runs one scan of tenant A at a time while tenant B’s scan goes ahead', async () => {
    const a = await tenant('limit-a');
    const b = await tenant('limit-b');
    const aIds = [await queue(a), await queue(a), await queue(a)];
    const bId = await queue(b);

    const aScans = await finished(a.token, aIds);
    const [bScan] = await finished(b.token, [bId]);
    for (const scan of [...aScans, bScan!]) expect(scan.status, JSON.stringify(scan)).toBe('succeeded');

    const times = JSON.stringify([...aScans, bScan].map((s) => [s!.started_at, s!.finished_at]));
    const runs = aScans
      .map((s) => ({ start: Date.parse(s.started_at), end: Date.parse(s.finished_at) }))
      .sort((x, y) => x.start - y.start);
    for (let i = 1; i < runs.length; i += 1) {
      // Each of A's scans starts only once the previous one has finished.
      expect(runs[i]!.start, times).toBeGreaterThanOrEqual(runs[i - 1]!.end);
    }
    // B was queued last but started before A's backlog had drained.
    expect(Date.parse(bScan!.started_at), times).toBeLessThan(runs[2]!.start);
  });
});
