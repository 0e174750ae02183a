/**
 * Runs the worker in this process (report jobs too, see reports/service.ts): takes `scan` jobs (each plans
 * its scan's parts and sends them to the `scan-part` queue) and `scan-part` jobs from pg-boss, up to
 * `workerConcurrency` of each at a time,
 * and never more than `tenantConcurrency` running scans of one tenant across all workers (pg-boss group
 * concurrency: each job's group is its tenant, counted in the database), so one tenant's backlog does not
 * hold up another tenant's scans. Every scan of one integration shares its provider call limit, across all
 * worker processes on PostgreSQL (scans/call-limiter.ts).
 *
 * Shutdown: no new jobs are taken; running scans get `shutdownGraceMs` to finish, then they are released
 * (aborted with ScanReleasedError: the scan row goes back to queued and the job fails, so another worker
 * retries it) before pg-boss and the database close.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import fp from 'fastify-plugin';
import type { JobsConfig } from '../config.ts';
import {
  REPORT_QUEUE,
  SCAN_PART_DEAD_QUEUE,
  SCAN_PART_QUEUE,
  SCAN_QUEUE,
  scanQueuePolicy,
  SCHEDULE_QUEUE,
} from '../plugins/external/boss.ts';
import type { ReportJobData } from '../reports/types.ts';
import { workerScanPacing } from '../scans/call-limiter.ts';
import { openCallSlotLog } from '../scans/call-slot-log.ts';
import type { ScanJobData, ScanPartJobData } from '../scans/types.ts';
import type { ScheduleJobData } from '../schedules/types.ts';
import { failLostPart, runScanJob, runScanPart, ScanReleasedError } from './scan-job.ts';

/**
 * The job id of a scan part: derived from the scan and the part, so a plan sent twice (a retried plan job)
 * queues each part once.
 */
export function partJobId(scanId: string, part: string): string {
  const hex = createHash('sha256').update(`${scanId}\0${part}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const scanWorkerPlugin = fp<{
  jobs: JobsConfig;
  /** The clock scans are evaluated against (ScanJobDeps.now); default the system clock. */
  now?: () => Date;
}>(
  async (app, options) => {
    // Bench only: the granted call slots, for bench/scaleout to check (unset in production).
    const slotLog = options.jobs.callSlotLogDir ? openCallSlotLog(options.jobs.callSlotLogDir) : null;
    const deps = {
      withTenant: app.withTenant,
      vault: app.vault,
      evidenceStore: app.evidenceStore,
      engine: app.engine,
      log: app.log.child({ component: 'scan-worker' }),
      ledger: app.ledger,
      egress: app.egress.policy,
      pacing: workerScanPacing(app.db.kind, app.withTenant, options.jobs.callsPerSecond, slotLog?.record),
      // Recorded on each part this process collects: which worker on which host.
      workerId: `${hostname()}:${process.pid}`,
      ...(options.now ? { now: options.now } : {}),
    };
    const partRetryLimit = scanQueuePolicy(options.jobs).retryLimit;
    const shutdown = new AbortController();
    const running = new Set<Promise<unknown>>();
    let workerId: string | null = null;
    /** One pg-boss worker per part slot, so each can be woken by id (see the part queue below). */
    const partWorkerIds: string[] = [];
    const track = async (run: Promise<unknown>): Promise<void> => {
      running.add(run);
      try {
        await run;
      } finally {
        running.delete(run);
      }
    };
    // A plan's parts go to the part queue, the tenant as their group; every worker's part slots are woken for
    // them at once, so the parts spread over the workers instead of waiting for their polls.
    const dispatch = async (parts: ScanPartJobData[]): Promise<void> => {
      for (const part of parts) {
        await app.boss.send(SCAN_PART_QUEUE, part, {
          id: partJobId(part.scan_id, part.part),
          group: { id: part.tenant_id },
        });
      }
      await app.wakeups.announce(SCAN_PART_QUEUE);
    };

    app.addHook('onReady', async () => {
      workerId = await app.boss.work<ScanJobData>(
        SCAN_QUEUE,
        {
          batchSize: 1,
          pollingIntervalSeconds: options.jobs.pollSeconds,
          localConcurrency: options.jobs.workerConcurrency,
          groupConcurrency: options.jobs.tenantConcurrency,
        },
        async ([job]) => {
          if (!job) return;
          await track(runScanJob(deps, job.data, AbortSignal.any([job.signal, shutdown.signal]), dispatch));
        },
      );
      await app.wakeups.listen(SCAN_QUEUE, () => {
        if (workerId) app.boss.notifyWorker(workerId);
      });
      // The parts of split scans, from any worker's plan; the tenant's concurrency counts parts. One
      // registration per slot rather than localConcurrency: pg-boss wakes only the first worker of a
      // registration by id, and a worker that finished a job otherwise waits out its polling interval before
      // the next fetch, which held a 22-part scan to one part per slot every 2 s. A slot that finishes a part
      // wakes itself, so it takes the next part at once (and polls as usual when there is none).
      for (let slot = 0; slot < options.jobs.workerConcurrency; slot++) {
        partWorkerIds[slot] = await app.boss.work<ScanPartJobData>(
          SCAN_PART_QUEUE,
          {
            batchSize: 1,
            pollingIntervalSeconds: options.jobs.pollSeconds,
            groupConcurrency: options.jobs.tenantConcurrency,
          },
          async ([job]) => {
            if (!job) return;
            const attempt = { final: job.retryCount >= partRetryLimit };
            try {
              await track(
                runScanPart(deps, job.data, attempt, AbortSignal.any([job.signal, shutdown.signal])),
              );
            } finally {
              const self = partWorkerIds[slot];
              if (self) app.boss.notifyWorker(self);
            }
          },
        );
      }
      await app.wakeups.listen(SCAN_PART_QUEUE, () => {
        for (const id of partWorkerIds) app.boss.notifyWorker(id);
      });
      await app.boss.work<ScanPartJobData>(
        SCAN_PART_DEAD_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: options.jobs.pollSeconds },
        async ([job]) => {
          if (job) await failLostPart(deps, job.data);
        },
      );
      // A schedule occurrence becomes a normal queued scan (or unregisters a schedule that is gone).
      await app.boss.work<ScheduleJobData>(
        SCHEDULE_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: options.jobs.pollSeconds },
        async ([job]) => {
          if (job) await app.schedules.fire(job.data);
        },
      );
      // Report jobs: one at a time per worker (rendering is CPU-bound and short next to a scan).
      const reportLog = app.log.child({ component: 'report-worker' });
      const reportWorkerId = await app.boss.work<ReportJobData>(
        REPORT_QUEUE,
        { batchSize: 1, pollingIntervalSeconds: options.jobs.pollSeconds },
        async ([job]) => {
          if (job) await app.reports.run(job.data, reportLog);
        },
      );
      await app.wakeups.listen(REPORT_QUEUE, () => app.boss.notifyWorker(reportWorkerId));
    });

    // Registered after the job queue, so this runs before pg-boss stops and the database closes.
    app.addHook('onClose', async () => {
      if (!workerId) return slotLog?.stop();
      await app.boss.offWork(SCHEDULE_QUEUE, { wait: false });
      await app.boss.offWork(SCAN_PART_DEAD_QUEUE, { wait: true });
      await app.boss.offWork(REPORT_QUEUE, { wait: true });
      await app.boss.offWork(SCAN_QUEUE, { wait: false });
      await app.boss.offWork(SCAN_PART_QUEUE, { wait: false });
      const finished = Promise.allSettled([...running]);
      const grace = new AbortController();
      await Promise.race([
        finished,
        sleep(options.jobs.shutdownGraceMs, undefined, { signal: grace.signal }),
      ]).catch(() => {});
      grace.abort();
      if (running.size) {
        app.log.info({ scans: running.size }, 'releasing running scans to the queue');
        shutdown.abort(new ScanReleasedError());
        await Promise.allSettled([...running]);
      }
      // Wait for pg-boss to record each job's outcome (retry for the released ones).
      await app.boss.offWork(SCAN_QUEUE, { wait: true });
      await app.boss.offWork(SCAN_PART_QUEUE, { wait: true });
      slotLog?.stop();
    });
  },
  {
    name: 'scan-worker',
    dependencies: [
      'boss',
      'scans',
      'schedules',
      'reports',
      'crypto',
      'evidence',
      'engine',
      'ledger',
      'egress',
      'wakeups',
    ],
  },
);
