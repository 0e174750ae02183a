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
import type { Database } from './db.ts';

/** The queue scan jobs go through. */
export const SCAN_QUEUE = 'scan';

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

/** A started pg-boss with the scan queue created. */
export async function startBoss(db: Database, onError: (error: Error) => void): Promise<PgBoss> {
  const boss =
    db.kind === 'pglite' && db.pglite
      ? new PgBoss({ db: pgliteThroughKnexPool(db.knex, db.pglite), backend: 'pglite' })
      : new PgBoss({ connectionString: db.url!, max: 4, application_name: 'complywise-jobs' });
  boss.on('error', onError);
  await boss.start();
  await boss.createQueue(SCAN_QUEUE, {
    retryLimit: 2,
    retryDelay: 5,
    retryBackoff: true,
    expireInSeconds: 30 * 60,
  });
  return boss;
}

declare module 'fastify' {
  interface FastifyInstance {
    boss: PgBoss;
  }
}

/** Decorates `app.boss`; stops it (waiting for running jobs) before the database closes. */
export const bossPlugin = fp(
  async (app) => {
    const boss = await startBoss(app.db, (error) => app.log.error({ err: error }, 'job queue error'));
    app.decorate('boss', boss);
    app.addHook('onClose', async () => {
      await boss.stop({ graceful: true, timeout: 30_000 });
    });
  },
  { name: 'boss', dependencies: ['db'] },
);
