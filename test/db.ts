/**
 * Database backends for test suites: every DB suite runs once per backend with
 * `describe.each(databaseBackends())('$name', (backend) => …)`. PGlite always (in memory); PostgreSQL when
 * COMPLYWISE_TEST_POSTGRES_URL is set (scripts/test.sh sets it), each test file in its own fresh database.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface DatabaseBackend {
  name: 'pglite' | 'postgres';
}

/** A database for one test file: `databaseUrl` undefined means in-memory PGlite. */
export interface TestDatabase {
  backend: DatabaseBackend['name'];
  databaseUrl: string | undefined;
  /** Drops the database (PostgreSQL); a no-op for PGlite. */
  drop(): Promise<void>;
}

/** The backends to run database suites against. */
export function databaseBackends(): DatabaseBackend[] {
  const backends: DatabaseBackend[] = [{ name: 'pglite' }];
  if (process.env.COMPLYWISE_TEST_POSTGRES_URL) backends.push({ name: 'postgres' });
  return backends;
}

/** Runs `work` with a client on `adminUrl` (CREATE / DROP DATABASE), closed afterwards. */
export async function withAdminClient<T>(
  adminUrl: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, uniquely named PostgreSQL database from COMPLYWISE_TEST_POSTGRES_URL (or nothing, for
 * PGlite). Call `drop()` in afterAll.
 */
export async function createTestDatabase(backend: DatabaseBackend): Promise<TestDatabase> {
  if (backend.name === 'pglite') return { backend: 'pglite', databaseUrl: undefined, drop: async () => {} };
  const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
  if (!adminUrl) throw new Error('COMPLYWISE_TEST_POSTGRES_URL is not set');
  const name = `cw_test_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    backend: 'postgres',
    databaseUrl: url.toString(),
    drop: () =>
      withAdminClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => {}),
  };
}
