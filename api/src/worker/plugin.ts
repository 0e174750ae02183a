/**
 * Runs the scan worker in this process: takes `scan` jobs from pg-boss one at a time. Started when the app is
 * ready, stopped with pg-boss on close (which waits for the running job).
 */
import fp from 'fastify-plugin';
import { SCAN_QUEUE } from '../plugins/external/boss.ts';
import type { ScanJobData } from '../plugins/app/scans.ts';
import { runScanJob } from './scan-job.ts';

export const scanWorkerPlugin = fp<{ pollingIntervalSeconds?: number }>(
  async (app, options) => {
    const deps = {
      withTenant: app.withTenant,
      vault: app.vault,
      evidenceStore: app.evidenceStore,
      engine: app.engine,
      log: app.log.child({ component: 'scan-worker' }),
      ledger: app.ledger,
    };
    app.addHook('onReady', async () => {
      const workerId = await app.boss.work<ScanJobData>(
        SCAN_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 },
        async ([job]) => {
          if (job) await runScanJob(deps, job.data, job.signal);
        },
      );
      // A scan queued by this process wakes this worker at once instead of at its next poll.
      app.scans.onQueued = () => app.boss.notifyWorker(workerId);
    });
  },
  { name: 'scan-worker', dependencies: ['boss', 'scans', 'crypto', 'evidence', 'engine', 'ledger'] },
);
