/**
 * The migrated database every DB test file starts from, built once per change of the migrations instead of
 * once per file: a fresh PGlite spends ~2.5 s of CPU in initdb, and the migrations plus pg-boss's schema
 * set-up add about a second on either backend, for each of the ~40 DB files and each backend.
 *  - PostgreSQL: a template database `cw_template_<key>`, cloned per file with CREATE DATABASE … TEMPLATE.
 *  - PGlite: a dump of a migrated in-memory data dir (node_modules/.cache/complywise-test/), which each file
 *    loads with PGlite's `loadDataDir`.
 * The key hashes the migration files (and how the template is built) and the PGlite and pg-boss versions,
 * so a changed migration builds a new template. The template holds exactly what the product's first start
 * leaves behind: every migration applied and pg-boss's schema with the queues created. vitest's globalSetup (test/global-setup.ts) builds both
 * before any worker starts; building is also safe from several processes at once (an advisory lock on
 * PostgreSQL, write-then-rename for the dump file), so scripts outside vitest can rely on it too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pg from 'pg';
import { startBoss } from '../api/src/plugins/external/boss.ts';
import { migrateLatest, openDatabase, type Database } from '../api/src/plugins/external/db.ts';
import { loadConfig, repositoryRoot } from '../api/src/config.ts';

const migrationsDir = join(repositoryRoot, 'api', 'migrations');
const pgliteCacheDir = join(repositoryRoot, 'node_modules', '.cache', 'complywise-test');
/** Any fixed number: the advisory lock that serialises building the PostgreSQL template. */
const TEMPLATE_LOCK = 0x636f6d70;

function packageVersion(name: string): string {
  const manifest = readFileSync(join(repositoryRoot, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(manifest) as { version: string }).version;
}

/** The files whose change calls for a new template: the migrations, the job queue's set-up and this file. */
function templateSources(): string[] {
  const migrations = readdirSync(migrationsDir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort()
    .map((file) => join(migrationsDir, file));
  return [
    ...migrations,
    join(repositoryRoot, 'api', 'src', 'plugins', 'external', 'boss.ts'),
    import.meta.filename,
  ];
}

/** 12 hex characters naming the current template: its sources and the PGlite and pg-boss versions. */
export function templateKey(): string {
  const hash = createHash('sha256');
  hash.update(`pglite ${packageVersion('@electric-sql/pglite')} pg-boss ${packageVersion('pg-boss')}\n`);
  for (const file of templateSources()) {
    hash
      .update(`${relative(repositoryRoot, file)}\n`)
      .update(readFileSync(file))
      .update('\n');
  }
  return hash.digest('hex').slice(0, 12);
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

/** Applies every migration and sets up the job queue, as the product's first start does. */
async function prepare(db: Database): Promise<void> {
  await migrateLatest(db);
  let queueError: Error | undefined;
  const boss = await startBoss(db, loadConfig({}).jobs, (error) => (queueError ??= error));
  await boss.stop({ graceful: false, close: true });
  if (queueError) throw queueError;
}

/** The PostgreSQL template's name, building it first when this key has none yet. */
export async function ensurePostgresTemplate(adminUrl: string): Promise<string> {
  const name = `cw_template_${templateKey()}`;
  const exists = async (client: pg.Client) =>
    (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  return withAdminClient(adminUrl, async (client) => {
    if (await exists(client)) return name;
    await client.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      if (await exists(client)) return name;
      // Built under another name and renamed when complete, so nobody ever clones a half-migrated template.
      const building = `${name}_building`;
      await client.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${building}`);
      const url = new URL(adminUrl);
      url.pathname = `/${building}`;
      const db = await openDatabase({ databaseUrl: url.toString(), pgliteDir: null });
      await prepare(db).finally(() => db.close());
      await client.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      // No connections: CREATE DATABASE … TEMPLATE refuses a template anyone is connected to.
      await client.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      return name;
    } finally {
      await client.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
}

/** The path of the PGlite template dump, building it first when this key has none yet. */
export async function ensurePgliteTemplate(): Promise<string> {
  const fileName = `pglite-${templateKey()}.tar`;
  const path = join(pgliteCacheDir, fileName);
  if (existsSync(path)) return path;
  const db = await openDatabase({ pgliteDir: null });
  const dump = await prepare(db)
    .then(() => db.pglite!.dumpDataDir('none'))
    .then(async (blob) => Buffer.from(await blob.arrayBuffer()))
    .finally(() => db.close());
  mkdirSync(pgliteCacheDir, { recursive: true });
  // Written aside and renamed: a reader sees the whole dump or none. Dumps of older keys go.
  const partial = `${path}.${randomBytes(4).toString('hex')}.partial`;
  writeFileSync(partial, dump);
  renameSync(partial, path);
  for (const file of readdirSync(pgliteCacheDir)) {
    if (file.startsWith('pglite-') && file.endsWith('.tar') && file !== fileName) {
      rmSync(join(pgliteCacheDir, file), { force: true });
    }
  }
  return path;
}

let pgliteTemplate: Promise<Blob> | undefined;

/** The PGlite template dump, read once per process. */
export function pgliteTemplateDataDir(): Promise<Blob> {
  pgliteTemplate ??= ensurePgliteTemplate().then((path) => new Blob([readFileSync(path)]));
  return pgliteTemplate;
}
