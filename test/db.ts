/**
 * Database backends for test suites: every DB suite runs once per backend with
 * `describe.each(databaseBackends())('$name', (backend) => …)`. PGlite always (in memory); PostgreSQL when
 * COMPLYWISE_TEST_POSTGRES_URL is set (scripts/test.sh sets it), each test file in its own fresh database.
 * A fresh database is a copy of the migrated template (test/db-template.ts), not migrated again per file.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, type Database } from '../api/src/plugins/external/db.ts';
import { ensurePostgresTemplate, pgliteTemplateDataDir, withAdminClient } from './db-template.ts';

export { withAdminClient };

export interface DatabaseBackend {
  name: 'pglite' | 'postgres';
}

/** A database for one test file: `databaseUrl` undefined means in-memory PGlite. */
export interface TestDatabase {
  backend: DatabaseBackend['name'];
  databaseUrl: string | undefined;
  /** Opens it (PGlite: a new in-memory instance on every call, each from the template unless `empty`). */
  open(): Promise<Database>;
  /** Drops the database (PostgreSQL); a no-op for PGlite. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** No tables at all, for tests of the migrations themselves or of a restore (default: migrated). */
  empty?: boolean;
}

/** The backends to run database suites against. */
export function databaseBackends(): DatabaseBackend[] {
  const backends: DatabaseBackend[] = [{ name: 'pglite' }];
  if (process.env.COMPLYWISE_TEST_POSTGRES_URL) backends.push({ name: 'postgres' });
  return backends;
}

let postgresTemplate: Promise<string> | undefined;

/**
 * A fresh database of `backend`, migrated and with the job queue's schema in place (as after the product's
 * first start) unless `empty`: a uniquely named PostgreSQL database from COMPLYWISE_TEST_POSTGRES_URL, or an
 * in-memory PGlite. Call `drop()` in afterAll.
 */
export async function createTestDatabase(
  backend: DatabaseBackend,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (backend.name === 'pglite') {
    return {
      backend: 'pglite',
      databaseUrl: undefined,
      open: async () =>
        openDatabase({
          pgliteDir: null,
          ...(options.empty ? {} : { pgliteLoadDataDir: await pgliteTemplateDataDir() }),
        }),
      drop: async () => {},
    };
  }
  const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
  if (!adminUrl) throw new Error('COMPLYWISE_TEST_POSTGRES_URL is not set');
  const template = options.empty ? undefined : await (postgresTemplate ??= ensurePostgresTemplate(adminUrl));
  const name = `cw_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(adminUrl, (client) =>
    client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    backend: 'postgres',
    databaseUrl,
    open: () => openDatabase({ databaseUrl, pgliteDir: null }),
    drop: () =>
      withAdminClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => {}),
  };
}
