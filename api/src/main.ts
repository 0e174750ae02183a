/**
 * `npm start`: runs the migrations, starts the API and the scan worker, and in embedded mode (no
 * DATABASE_URL) or with COMPLYWISE_DEMO=1 starts the bundled sandboxes (AWS, GitHub, Okta, Azure) and
 * seeds the demo tenant.
 * Tests call startProduct() with a temporary data dir and port 0.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { ApiEgress } from './egress.ts';
import { CredentialVault, localKeyProvider } from './plugins/app/crypto.ts';
import { migrateLatest, openDatabase } from './plugins/external/db.ts';
import { hasAnyScan } from './scans/store.ts';
import { startDemoSandboxes, type DemoSandboxes, type DemoSandboxUrls } from './seed/demo-sandboxes.ts';
import { DEMO_LOGIN, DEMO_TENANT_ID, seedDemoTenant, type DemoSeed } from './seed/demo.ts';

export interface StartOptions {
  /** Environment to read the configuration from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that override the environment (tests: dataDir, port 0, …). */
  config?: Partial<Config>;
  logger?: FastifyServerOptions['logger'];
  /**
   * The embedded database in memory (`pgliteDir` null) starts from this data folder, a PGlite
   * `dumpDataDir()` of an earlier start, instead of an empty one: a copy of that start. Its data folder's
   * keys must come along (the credentials are encrypted with them). The demo then finds its tenant: the seed
   * points the demo integrations at this start's sandboxes, and a tenant with a scan gets no first scan.
   */
  pgliteLoadDataDir?: Blob;
}

export interface RunningProduct {
  /** Where the API and the app answer, e.g. http://127.0.0.1:3000 (null for a worker-only process). */
  url: string | null;
  app: FastifyInstance;
  config: Config;
  /** The demo tenant: `sandboxUrl` is the main AWS sandbox, `sandboxUrls` every sandbox. */
  demo:
    (DemoSeed & { sandboxUrl: string; sandboxUrls: DemoSandboxUrls; email: string; password: string }) | null;
  /** Stops the worker, the server, the database and the sandboxes. */
  close(): Promise<void>;
}

/**
 * A fresh demo tenant gets its first scan right away, so the dashboard has numbers within seconds: the
 * main AWS account only, which keeps start-up fast; the other demo integrations are scanned on demand.
 */
async function startFirstDemoScan(app: FastifyInstance, integrationId: string): Promise<void> {
  const scanned = await app.withTenant(DEMO_TENANT_ID, hasAnyScan);
  if (!scanned) await app.scans.create(DEMO_TENANT_ID, integrationId);
}

/** Starts the whole product. */
export async function startProduct(options: StartOptions = {}): Promise<RunningProduct> {
  const config: Config = { ...loadConfig(options.env ?? process.env), ...options.config };
  let sandboxes: DemoSandboxes | null = null;
  const load = options.pgliteLoadDataDir;
  if (load && (config.databaseUrl || config.pgliteDir)) {
    throw new Error('a PGlite data folder to load needs the embedded database in memory (pgliteDir null)');
  }
  const database = await openDatabase(load ? { ...config, pgliteLoadDataDir: load } : config);
  const egress = new ApiEgress(config.egressAllow);
  try {
    await migrateLatest(database);
    const keyProvider = localKeyProvider(config);
    let demo: RunningProduct['demo'] = null;
    if (config.demo) {
      sandboxes = await startDemoSandboxes(config.demoS3Port);
      const { urls } = sandboxes;
      // The demo scans the sandboxes it started on loopback: exactly their host:port, nothing else there.
      for (const url of Object.values(urls)) egress.allowEndpoint(url);
      const seed = await seedDemoTenant(database.knex, new CredentialVault(keyProvider), urls, egress.policy);
      demo = { ...seed, sandboxUrl: urls.aws, sandboxUrls: urls, ...DEMO_LOGIN };
    }
    const app = await buildApp({
      config,
      database,
      ownsDatabase: true,
      keyProvider,
      egress,
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
    const openSandboxes = sandboxes;
    return {
      url,
      app,
      config,
      demo,
      async close() {
        await app.close();
        await openSandboxes?.close();
      },
    };
  } catch (error) {
    await sandboxes?.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

function banner(product: RunningProduct): string {
  const lines = ['', `ComplyWise is running: ${product.url ?? '(worker only, no HTTP)'}`];
  if (product.demo) {
    lines.push(
      '',
      'DEMO DATA: the tenant "Demo Company (demo data)" scans bundled sandboxes, not real accounts.',
      `  demo login: ${product.demo.email} / ${product.demo.password}`,
      ...Object.entries(product.demo.sandboxUrls).map(([name, url]) => `  sandbox:    ${url} (${name})`),
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
