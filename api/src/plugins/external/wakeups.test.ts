/**
 * Job wake-ups: an announcement reaches the listeners of its queue in this process (both backends) and in
 * other processes over LISTEN/NOTIFY (PostgreSQL), survives a dropped listening connection, and lets a
 * worker process start a scan the API process queued long before the worker's next poll.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { connectS3Sandbox, queueScan } from '../../../test/scanned-tenant.ts';
import { buildApp } from '../../app.ts';
import { openDatabase, type Database } from './db.ts';
import { JobWakeups, WAKEUP_APPLICATION_NAME } from './wakeups.ts';

const quiet = { warn: () => {} };

/** Asks `done` every 50 ms until it says yes; fails after `ms`. */
async function until(what: string, done: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(databaseBackends())('job wake-ups on $name', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(backend, { worker: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('wakes the listeners of the announced queue in this process once, and no other queue', async () => {
    const wakeups = new JobWakeups(t.database, quiet);
    const woken: string[] = [];
    await wakeups.listen('scan', () => woken.push('scan'));
    await wakeups.listen('report', () => woken.push('report'));
    await wakeups.announce('scan');
    expect(woken).toEqual(['scan']);
    // Its own NOTIFY comes back to its listening connection (PostgreSQL): not a second wake.
    await sleep(200);
    expect(woken).toEqual(['scan']);
    await wakeups.close();
  });

  it.runIf(backend.name === 'postgres')(
    'wakes another process, and again after its listening connection was dropped',
    async () => {
      const other: Database = await openDatabase({ databaseUrl: t.config.databaseUrl!, pgliteDir: null });
      const listener = new JobWakeups(other, quiet, { reconnectMs: 50 });
      const announcer = new JobWakeups(t.database, quiet);
      let woken = 0;
      try {
        await listener.listen('scan-part', () => woken++);
        await announcer.announce('report');
        await announcer.announce('scan-part');
        await until('the first wake-up', () => woken === 1);

        const dropped = await t.database.knex.raw(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = ? and datname = current_database()',
          [WAKEUP_APPLICATION_NAME],
        );
        expect(dropped.rows).toHaveLength(1);
        // Announce until the new connection listens: the wake-up after the drop is the proof.
        await until(
          'a wake-up after the reconnect',
          async () => {
            await announcer.announce('scan-part');
            return woken >= 2;
          },
          10_000,
        );
      } finally {
        await listener.close();
        await other.close();
      }
    },
  );

  describe.runIf(backend.name === 'postgres')('a scan queued by the API process', () => {
    let sandbox: S3FixtureServer;
    let worker: FastifyInstance;
    let workerDb: Database;
    let token: string;
    let integrationId: string;
    // Far longer than the test waits: only a wake-up can start the scan in time.
    const pollSeconds = 120;

    beforeAll(async () => {
      sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
      t.app.egress.allowEndpoint(sandbox.url);
      const admin = await seedTenant(t.database.knex, { slug: 'wakeups' });
      token = (await login(t.app, admin.email, admin.password)).access_token;
      integrationId = await connectS3Sandbox(t, token, sandbox.url, 'Sandbox');
      workerDb = await openDatabase({ databaseUrl: t.config.databaseUrl!, pgliteDir: null });
      worker = await buildApp({
        logger: false,
        config: { ...t.config, role: 'worker', jobs: { ...t.config.jobs, pollSeconds } },
        database: workerDb,
        ownsDatabase: false,
      });
      worker.egress.allowEndpoint(sandbox.url);
      await worker.ready();
      // The worker's first poll has run; the next is two minutes away.
      await sleep(500);
    });
    afterAll(async () => {
      await worker?.close();
      await workerDb?.close();
      await sandbox?.close();
    });

    it('is started by a worker process at once, not at its next poll', async () => {
      const scanId = await queueScan(t, token, integrationId);
      let status = 'queued';
      await until(
        'the scan to leave the queue',
        async () => {
          const scan = await t.app.inject({
            method: 'GET',
            url: `/api/scans/${scanId}`,
            headers: bearer(token),
          });
          status = scan.json().status as string;
          return status !== 'queued';
        },
        20_000,
      );
      expect(['running', 'succeeded']).toContain(status);
    });
  });
});
