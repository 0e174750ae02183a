/**
 * The daily retention job: a pg-boss schedule (03:17 UTC, one job however many instances run it) on the
 * `retention` queue, worked by processes that run the worker. `complywise retention run` does the same
 * on demand. A worker starting also creates the coming months' findings partitions.
 */
import fp from 'fastify-plugin';
import { MONTHS_AHEAD } from '../../migrations/0027_findings_partitions.ts';
import { ledgerHooks, runRetention } from './run.ts';
import { ensureFindingsPartitions } from './store.ts';

export const RETENTION_QUEUE = 'retention';
/** Daily, off the hour (so it does not meet every other job that runs at :00). */
export const RETENTION_CRON = '17 3 * * *';

export const retentionJobPlugin = fp(
  async (app) => {
    const deps = {
      knex: app.db.knex,
      store: app.evidenceStore,
      ...ledgerHooks(app.ledger, app.withTenant),
      log: app.log.child({ component: 'retention' }),
    };
    app.addHook('onReady', async () => {
      // Every worker start makes sure the coming months' findings partitions exist (each run does it again).
      await ensureFindingsPartitions(app.db.knex, MONTHS_AHEAD);
      // A run finishing late must not overlap the next one: at most one retention job queued and one active.
      await app.boss.createQueue(RETENTION_QUEUE, {
        policy: 'stately',
        retryLimit: 1,
        expireInSeconds: 3600,
      });
      await app.boss.schedule(RETENTION_QUEUE, RETENTION_CRON, {}, { tz: 'UTC' });
      await app.boss.work(RETENTION_QUEUE, { batchSize: 1 }, async () => {
        await runRetention(deps);
      });
    });
  },
  { name: 'retention-job', dependencies: ['boss', 'evidence', 'ledger', 'db', 'tenancy'] },
);
