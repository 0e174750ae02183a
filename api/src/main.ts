/**
 * `npm start`: runs the migrations, starts the API and the scan worker, and in embedded mode (no
 * DATABASE_URL) or with COMPLYWISE_DEMO=1 starts the bundled AWS sandbox and seeds the demo tenant.
 * Tests call startProduct() with a temporary data dir and port 0.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { startS3FixtureServer, type S3FixtureServer } from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { buildApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { CredentialVault, localKeyProvider } from './plugins/app/crypto.ts';
import { migrateLatest, openDatabase } from './plugins/external/db.ts';
import { DEMO_LOGIN, DEMO_TENANT_ID, seedDemoTenant, type DemoSeed } from './seed/demo.ts';

export interface StartOptions {
  /** Environment to read the configuration from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that override the environment (tests: dataDir, port 0, …). */
  config?: Partial<Config>;
  logger?: FastifyServerOptions['logger'];
}

export interface RunningProduct {
  /** Where the API and the app answer, e.g. http://127.0.0.1:3000 (null for a worker-only process). */
  url: string | null;
  app: FastifyInstance;
  config: Config;
  demo: (DemoSeed & { sandboxUrl: string; email: string; password: string }) | null;
  /** Stops the worker, the server, the database and the sandbox. */
  close(): Promise<void>;
}

/** A fresh demo tenant gets its first scan right away, so the dashboard has numbers within seconds. */
async function startFirstDemoScan(app: FastifyInstance, integrationId: string): Promise<void> {
  const scanned = await app.withTenant(DEMO_TENANT_ID, (trx) => trx('scans').select('id').first());
  if (!scanned) await app.scans.create(DEMO_TENANT_ID, integrationId);
}

/** Starts the whole product. */
export async function startProduct(options: StartOptions = {}): Promise<RunningProduct> {
  const config: Config = { ...loadConfig(options.env ?? process.env), ...options.config };
  let sandbox: S3FixtureServer | null = null;
  const database = await openDatabase(config);
  try {
    await migrateLatest(database);
    const keyProvider = localKeyProvider(config);
    let demo: RunningProduct['demo'] = null;
    if (config.demo) {
      sandbox = await startS3FixtureServer({ port: config.demoS3Port, host: '127.0.0.1' });
      const seed = await seedDemoTenant(database.knex, new CredentialVault(keyProvider), sandbox.url);
      demo = { ...seed, sandboxUrl: sandbox.url, ...DEMO_LOGIN };
    }
    const app = await buildApp({
      config,
      database,
      ownsDatabase: true,
      keyProvider,
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
    });
    if (demo) await startFirstDemoScan(app, demo.integrationId);
    let url: string | null = null;
    if (config.role !== 'worker') {
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    }
    const openSandbox = sandbox;
    return {
      url,
      app,
      config,
      demo,
      async close() {
        await app.close();
        await openSandbox?.close();
      },
    };
  } catch (error) {
    await sandbox?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

function banner(product: RunningProduct): string {
  const lines = ['', `ComplyWise is running: ${product.url ?? '(worker only, no HTTP)'}`];
  if (product.demo) {
    lines.push(
      '',
      'DEMO DATA: the tenant "Demo Company (demo data)" scans a bundled AWS sandbox, not a real account.',
      `  demo login: ${product.demo.email} / ${product.demo.password}`,
      `  sandbox:    ${product.demo.sandboxUrl}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Entry point: start, print the URL and the demo login, stop cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const product = await startProduct();
  process.stdout.write(banner(product));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    product.app.log.info({ signal }, 'shutting down');
    product.close().then(
      () => process.exit(0),
      (error: unknown) => {
        product.app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `ComplyWise could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
