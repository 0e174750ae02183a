/**
 * Graceful shutdown on every backend: closing the app while a scan runs waits the grace period, then
 * releases the scan's running part (the part job failed for a retry; the scan, none of its parts running,
 * back to `queued`) instead of failing it or holding the
 * close; a second app on the same database picks the job up and completes the scan, exactly once. The
 * sandbox answers each S3 call after a delay, so the scan is reliably mid-way when the app closes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Handler } from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { connectS3Sandbox, queueScan } from '../../test/scanned-tenant.ts';
import { buildApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { SCAN_PART_QUEUE } from '../plugins/external/boss.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';
import { partJobId } from './plugin.ts';

const CALL_DELAY_MS = 150;

describe.each(databaseBackends())('graceful shutdown on $name', (backend) => {
  let t: TestApp;
  const handler = createS3Handler();
  const sandbox = createServer((req, res) => {
    setTimeout(() => handler.handle(req, res), CALL_DELAY_MS);
  });
  let sandboxUrl: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => sandbox.listen(0, '127.0.0.1', resolve));
    sandboxUrl = `http://127.0.0.1:${(sandbox.address() as AddressInfo).port}`;
    const jobs = { ...loadConfig({}).jobs, shutdownGraceMs: 300, retryDelaySeconds: 1 };
    // In the config, so the second app (another process, as it were) allows the sandbox too.
    const egressAllow = [new URL(sandboxUrl).host];
    t = await startTestApp(backend, { configOverrides: { jobs, egressAllow } });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise((resolve) => sandbox.close(resolve));
  });

  it('releases a running scan on close, and a second app completes it once', async () => {
    const admin = await seedTenant(t.database.knex, { slug: 'shutdown' });
    const token = (await login(t.app, admin.email, admin.password)).access_token;
    const integrationId = await connectS3Sandbox(t, token, sandboxUrl, 'Slow sandbox');
    const scanId = await queueScan(t, token, integrationId);
    const scanRow = () =>
      runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
        trx('scans').select('status', 'progress').where({ id: scanId }).first(),
      );

    // Mid-scan: the worker has made some S3 calls and has more to make.
    const deadline = Date.now() + 30_000;
    while (handler.requests.length < 2) {
      if (Date.now() > deadline) throw new Error('the scan never reached the sandbox');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await scanRow()).status).toBe('running');
    const closing = Date.now();
    await t.app.close();
    // Grace, then the abort lands at the scan's next call: far less than the scan itself would take.
    expect(Date.now() - closing).toBeLessThan(10_000);
    expect(await scanRow()).toMatchObject({ status: 'queued', progress: { phase: 'queued' } });

    const second = await buildApp({
      config: t.config,
      database: t.database,
      ownsDatabase: false,
      logger: false,
    });
    try {
      const until = Date.now() + 60_000;
      let status = '';
      while (Date.now() < until) {
        status = (await scanRow()).status;
        if (status === 'succeeded' || status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status).toBe('succeeded');
      // The scan's one part (its S3 service) was released and retried; the plan ran once.
      expect(await second.boss.getJobById('scan', scanId)).toMatchObject({
        state: 'completed',
        retryCount: 0,
      });
      const part = await second.boss.getJobById(SCAN_PART_QUEUE, partJobId(scanId, 's3'));
      expect(part).toMatchObject({ state: 'completed', retryCount: 1 });
      const completions = await runAsOwner(t.database.knex, { tenantId: admin.tenantId }, (trx) =>
        trx('ledger_entries').where({ kind: 'scan.completed' }).whereRaw(`payload->>'scan_id' = ?`, [scanId]),
      );
      expect(completions).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});
