/**
 * pg-boss 12: on PostgreSQL its own pool from DATABASE_URL; on PGlite the built-in fromPglite() adapter over
 * the same PGlite instance as knex. PGlite has one connection, so each pg-boss statement first takes knex's
 * only pooled connection: it can never land inside a request's open transaction (which runs as the runtime
 * role with a tenant set).
 */
import fp from 'fastify-plugin';
import type { Knex } from 'knex';
import { PgBoss, fromPglite, type Db } from 'pg-boss';
import type { PGlite } from '@electric-sql/pglite';
import type { JobsConfig } from '../../config.ts';
import type { Database } from './db.ts';

/** The queue scan jobs go through. */
export const SCAN_QUEUE = 'scan';

/**
 * The queue the parts of a split scan go through (worker/scan-job.ts runScanPart): any worker leases any
 * part, under the scan queue's lease and retry policy.
 */
export const SCAN_PART_QUEUE = 'scan-part';

/** Where a part job that used up its retries lands, so that its scan fails instead of waiting for ever. */
export const SCAN_PART_DEAD_QUEUE = 'scan-part-dead';

/** The queue pg-boss's scheduler sends scan-schedule occurrences to (see schedules/service.ts). */
export const SCHEDULE_QUEUE = 'scan-schedule';

/** The queue report jobs go through (see reports/service.ts). */
export const REPORT_QUEUE = 'report';

/** fromPglite(), with every statement serialised against knex's single PGlite connection. */
function pgliteThroughKnexPool(knex: Knex, pglite: PGlite): Db {
  const inner = fromPglite(pglite);
  return {
    async executeSql(text, values) {
      const connection = await knex.client.acquireConnection();
      try {
        return await inner.executeSql(text, values);
      } finally {
        await knex.client.releaseConnection(connection);
      }
    },
  };
}

/**
 * The scan queue's lease and retry policy. A running job is leased by pg-boss's heartbeat (12.x): the worker
 * refreshes it every heartbeatSeconds / 2, and the monitor fails a job whose heartbeat lapsed, which retries
 * it. Chosen over a short expiry because a scan's length depends on the provider (a large account takes far
 * longer than any sensible expiry), while a lapsed heartbeat only means the worker is gone. The 30-minute
 * expiry stays as the bound on a scan that hangs while its worker lives. A retry resumes the same scan row
 * (the job carries its id) and every write is an upsert, so a retry duplicates nothing; retries are counted
 * generously because a kill or a shutdown release uses one up.
 */
export function scanQueuePolicy(jobs: JobsConfig) {
  return {
    retryLimit: 5,
    retryDelay: jobs.retryDelaySeconds,
    retryBackoff: false,
    expireInSeconds: 30 * 60,
    heartbeatSeconds: jobs.heartbeatSeconds,
  };
}

/** A started pg-boss with the scan queue created (and its policy brought up to date). */
export async function startBoss(
  db: Database,
  jobs: JobsConfig,
  onError: (error: Error) => void,
): Promise<PgBoss> {
  // The monitor (lapsed heartbeats, expiries) runs once per max(monitor, supervise) interval.
  const intervals = {
    monitorIntervalSeconds: jobs.monitorIntervalSeconds,
    superviseIntervalSeconds: jobs.monitorIntervalSeconds,
  };
  const boss =
    db.kind === 'pglite' && db.pglite
      ? new PgBoss({ db: pgliteThroughKnexPool(db.knex, db.pglite), backend: 'pglite', ...intervals })
      : new PgBoss({ connectionString: db.url!, max: 4, application_name: 'complywise-jobs', ...intervals });
  boss.on('error', onError);
  await boss.start();
  const policy = scanQueuePolicy(jobs);
  if (await boss.getQueue(SCAN_QUEUE)) {
    // A queue created by an earlier release keeps its old options unless they are updated here.
    await boss.updateQueue(SCAN_QUEUE, policy);
  } else {
    await boss.createQueue(SCAN_QUEUE, policy);
  }
  if (!(await boss.getQueue(SCAN_PART_DEAD_QUEUE)))
    await boss.createQueue(SCAN_PART_DEAD_QUEUE, { retryLimit: 3 });
  const partPolicy = { ...policy, deadLetter: SCAN_PART_DEAD_QUEUE };
  if (await boss.getQueue(SCAN_PART_QUEUE)) await boss.updateQueue(SCAN_PART_QUEUE, partPolicy);
  else await boss.createQueue(SCAN_PART_QUEUE, partPolicy);
  if (!(await boss.getQueue(SCHEDULE_QUEUE))) await boss.createQueue(SCHEDULE_QUEUE, { retryLimit: 3 });
  // A report job marks its own failures; a retry only covers a worker that died mid-job.
  if (!(await boss.getQueue(REPORT_QUEUE)))
    await boss.createQueue(REPORT_QUEUE, { retryLimit: 2, expireInSeconds: 15 * 60 });
  return boss;
}

declare module 'fastify' {
  interface FastifyInstance {
    boss: PgBoss;
  }
}

/**
 * Decorates `app.boss`; stops it before the database closes. The scan worker (registered later, so closed
 * first) has already finished or released its jobs by then; the timeout bounds anything else.
 */
export const bossPlugin = fp<{ jobs: JobsConfig }>(
  async (app, options) => {
    const boss = await startBoss(app.db, options.jobs, (error) =>
      app.log.error({ err: error }, 'job queue error'),
    );
    app.decorate('boss', boss);
    app.addHook('onClose', async () => {
      await boss.stop({ graceful: true, timeout: options.jobs.shutdownGraceMs });
    });
  },
  { name: 'boss', dependencies: ['db'] },
);
