/**
 * The product as the API benchmarks run it: the real app (no worker) on a fresh PostgreSQL database it
 * creates through the product's migrations and drops at the end, a data folder of its own, and the S3
 * sandbox the seeded tenants' integrations point at. One start-up for bench/api/* and bench/reports/*, so
 * they measure the same configuration.
 *
 * PostgreSQL: COMPLYWISE_BENCH_POSTGRES_URL, else COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../api/src/app.ts';
import { openDatabase } from '../../api/src/plugins/external/db.ts';
import { testConfig } from '../../api/test/helpers.ts';
import { startS3FixtureServer } from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { createTestDatabase } from '../../test/db.ts';

/** A started benchmark product; `close` stops it and removes its database and data folder. */
export interface BenchApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  database: Awaited<ReturnType<typeof openDatabase>>;
  config: ReturnType<typeof testConfig>;
  sandbox: Awaited<ReturnType<typeof startS3FixtureServer>>;
  databaseUrl: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Starts the benchmark product; `name` labels its data folder (`complywise-bench-<name>-…`). */
export async function startBenchApp(name: string): Promise<BenchApp> {
  process.env.COMPLYWISE_TEST_POSTGRES_URL ??=
    process.env.COMPLYWISE_BENCH_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';
  const testDb = await createTestDatabase({ name: 'postgres' });
  const dataDir = mkdtempSync(join(tmpdir(), `complywise-bench-${name}-`));
  // Logins are part of what some benchmarks drive at rate: the per-minute limit would answer 429 instead.
  const config = testConfig(dataDir, testDb.databaseUrl, { loginAttemptsPerMinute: 1_000_000 });
  const database = await openDatabase(config);
  const sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
  const app = await buildApp({ config, database, ownsDatabase: false, worker: false, logger: false });
  return {
    app,
    database,
    config,
    sandbox,
    databaseUrl: testDb.databaseUrl!,
    dataDir,
    close: async () => {
      await app.close();
      await sandbox.close();
      await database.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
