/**
 * knex over PostgreSQL (DATABASE_URL, driver pg) or embedded PGlite (knex-pglite), the same migrations on
 * both. The owner connection is used only for migrations and the explicit seed step; request and job
 * queries go through the tenancy service, which switches to the runtime role in each transaction.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import fp from 'fastify-plugin';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { migrationSource } from '../../../migrations/index.ts';

export interface Database {
  kind: 'postgres' | 'pglite';
  knex: Knex;
  /** The PGlite instance behind knex (one connection, shared with pg-boss); null on PostgreSQL. */
  pglite: PGlite | null;
  /** PostgreSQL connection string; undefined on PGlite. */
  url?: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data folder; null keeps it in memory. */
  pgliteDir: string | null;
  /** In memory only: start from this data dir (a PGlite `dumpDataDir()`); tests use a migrated template. */
  pgliteLoadDataDir?: Blob;
}

/** Opens the database named by the options (no migrations yet). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.databaseUrl) {
    const knex = knexFactory({
      client: 'pg',
      connection: options.databaseUrl,
      pool: { min: 0, max: 10 },
    });
    return { kind: 'postgres', knex, pglite: null, url: options.databaseUrl, close: () => knex.destroy() };
  }
  if (options.pgliteDir) mkdirSync(options.pgliteDir, { recursive: true });
  const pglite = options.pgliteDir
    ? new PGlite(options.pgliteDir)
    : new PGlite(options.pgliteLoadDataDir ? { loadDataDir: options.pgliteLoadDataDir } : {});
  await pglite.waitReady;
  const knex = knexFactory({
    // knex-pglite ships no types for its client class; knex accepts a client constructor here.
    client: ClientPgLite as unknown as typeof Knex.Client,
    dialect: 'postgres',
    // Hand knex our instance so pg-boss can share the same (single) connection.
    connection: (() => ({ pglite })) as unknown as Knex.StaticConnectionConfig,
  });
  return {
    kind: 'pglite',
    knex,
    pglite,
    async close() {
      // knex-pglite closes the PGlite instance when it destroys its only connection.
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

/** Resolves when the database answers a trivial query; rejects when it cannot be reached. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.knex.raw('select 1');
}

/** Applies every pending migration (as the owner). */
export async function migrateLatest(db: Database): Promise<void> {
  await db.knex.migrate.latest({ migrationSource });
}

declare module 'fastify' {
  interface FastifyInstance {
    db: Database;
  }
}

export interface DbPluginOptions {
  database: Database;
  /** Close the database when the app closes (false when the caller owns it, e.g. a shared test database). */
  closeOnShutdown: boolean;
}

/** Decorates `app.db`; closes it last on shutdown when the app owns it. */
export const dbPlugin = fp<DbPluginOptions>(
  async (app, { database, closeOnShutdown }) => {
    app.decorate('db', database);
    if (closeOnShutdown) app.addHook('onClose', async () => database.close());
  },
  { name: 'db' },
);
