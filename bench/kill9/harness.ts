/**
 * Kill-and-recover trials for the scan worker against real PostgreSQL (issue 6).
 *
 * A fresh database (cw_kill9_<pid>_<time>) is created, migrated and seeded with the demo tenant, whose main
 * AWS integration points at the bundled AWS sandbox started here. Worker processes are the product itself
 * (`node api/src/main.ts` with COMPLYWISE_ROLE=worker) sharing one data dir (master key, evidence files).
 *
 * 1. Reference: a worker scans twice undisturbed (the first warms it up); the second scan's findings are the
 *    expected set, and its running time bounds where a kill can land.
 * 2. Each trial queues a scan, waits until a worker has it running, SIGKILLs that worker after a random delay
 *    within the reference running time, starts a new worker and waits for the scan to succeed (the queue
 *    retries the job once its lease lapses). That new worker is the next trial's victim. With
 *    `preloadReplacements` the new worker's process loads the product's modules during the trial and starts
 *    (opens the database, takes jobs) only after the kill.
 * 3. The trial's findings are compared with the reference: lost (a reference natural key missing),
 *    duplicated (a natural key, or an identical finding content, present more than once), unexpected (a key
 *    the reference lacks) and changed (same key, different content); plus the ledger's scan.completed
 *    entries for the scan (exactly one expected).
 *
 * The database is dropped and the data dir removed at the end, also on failure. The environment (database,
 * sandboxes, workers) is `openTrialEnvironment`, which bench/scaleout uses too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../../api/src/app.ts';
import { loadConfig } from '../../api/src/config.ts';
import { ApiEgress } from '../../api/src/egress.ts';
import { CredentialVault, localKeyProvider } from '../../api/src/plugins/app/crypto.ts';
import { migrateLatest, openDatabase } from '../../api/src/plugins/external/db.ts';
import { startDemoSandboxes, type DemoSandboxUrls } from '../../api/src/seed/demo-sandboxes.ts';
import { seedDemoTenant } from '../../api/src/seed/demo.ts';
import { DEMO_AWS_CREDENTIALS } from '../../scanners/aws/fixtures/aws-fixture-server.ts';
import type { AwsIntegrationConfig } from '../../scanners/index.ts';
import { withAdminClient } from '../../test/db.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'api', 'src', 'main.ts');
const PRELOAD = join(import.meta.dirname, 'preloaded-worker.ts');

export interface Kill9Options {
  trials: number;
  /** A PostgreSQL URL whose user may CREATE DATABASE (the trial database is created beside it). */
  adminUrl: string;
  /** Per-line progress output (default: stdout). */
  log?: (line: string) => void;
  /** Seed for the kill delays, so a run can be repeated (default: random). */
  seed?: number;
  /** Stops the run between trials (the database and workers are still cleaned up). */
  signal?: AbortSignal;
  /** Which demo sandbox integration to scan (default: the main AWS account). */
  sandbox?: keyof DemoSandboxUrls;
  /** AWS sandboxes only: scan these services instead of all (a shorter scan for the CI run). */
  services?: string[];
  /**
   * Load each replacement worker's code before the kill, and start it (connect, take jobs) right after: the
   * recovery then waits on the lease rather than on loading the product's modules, which takes 20-40 s on a
   * loaded machine (the CI run). Off by default: the bench's recovery times include a whole process start.
   */
  preloadReplacements?: boolean;
}

export interface TrialResult {
  trial: number;
  killAfterMs: number;
  /** The phase the scan row reported when the worker was killed. */
  killedIn: string;
  recoveredMs: number;
  status: string;
  findings: number;
  lost: number;
  duplicatedByKey: number;
  duplicatedByContent: number;
  unexpected: number;
  changed: number;
  ledgerCompletions: number;
}

export interface Kill9Report {
  referenceFindings: number;
  referenceRunningMs: number;
  trials: TrialResult[];
  totals: { lost: number; duplicated: number; unexpected: number; changed: number; notSucceeded: number };
  /** How many kills landed in each phase (`succeeded`: the scan had finished before the kill). */
  killedIn: Record<string, number>;
}

export interface FindingRow {
  rule_id: string;
  resource_id: string;
  status: string;
  severity: string;
  message: string;
  evidence_sha256: string | null;
}

/** A small seeded generator (mulberry32), so `--seed` repeats the same kill delays. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyOf = (f: FindingRow) => `${f.rule_id}\u0000${f.resource_id}`;
// Evidence hashes are left out: each scan's resource snapshot records when it was collected.
const contentOf = (f: FindingRow) =>
  JSON.stringify([f.rule_id, f.resource_id, f.status, f.severity, f.message]);

/** Counts how each trial's findings differ from the reference. */
export function compareFindings(
  reference: FindingRow[],
  actual: FindingRow[],
): Pick<TrialResult, 'lost' | 'duplicatedByKey' | 'duplicatedByContent' | 'unexpected' | 'changed'> {
  const expected = new Map(reference.map((f) => [keyOf(f), contentOf(f)]));
  const byKey = new Map<string, number>();
  const byContent = new Map<string, number>();
  let unexpected = 0;
  let changed = 0;
  for (const f of actual) {
    const key = keyOf(f);
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    byContent.set(contentOf(f), (byContent.get(contentOf(f)) ?? 0) + 1);
    if (!expected.has(key)) unexpected += 1;
    else if (expected.get(key) !== contentOf(f)) changed += 1;
  }
  const extra = (counts: Map<string, number>) => [...counts.values()].reduce((n, c) => n + c - 1, 0);
  return {
    lost: [...expected.keys()].filter((key) => !byKey.has(key)).length,
    duplicatedByKey: extra(byKey),
    duplicatedByContent: extra(byContent),
    unexpected,
    changed,
  };
}

/**
 * One process of the product (`node api/src/main.ts`; its role is `env.COMPLYWISE_ROLE`, a worker in the
 * trials); resolves once it reports it is running. `onLine` sees each line it
 * writes to stdout from then on (its JSON log lines). `wrap` is a command that execs the rest in place
 * (`ip netns exec <name>`), so the child's process id is still the product's.
 */
export async function startWorker(
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
  wrap: readonly string[] = [],
): Promise<ChildProcess> {
  return spawnWorker(env, onLine, wrap, false).start();
}

/** A worker process spawned but maybe not started: `start()` resolves once it reports it is running. */
export interface SpawnedWorker {
  child: ChildProcess;
  start(): Promise<ChildProcess>;
}

/**
 * Spawns one process of the product (see startWorker). `preloaded`: it loads the product's modules
 * (preloaded-worker.ts) and then waits, opening nothing, until `start()` tells it to go on.
 */
export function spawnWorker(
  env: NodeJS.ProcessEnv,
  onLine: ((line: string) => void) | undefined,
  wrap: readonly string[],
  preloaded: boolean,
): SpawnedWorker {
  const node = preloaded ? [process.execPath, '--import', PRELOAD, MAIN] : [process.execPath, MAIN];
  const [command, ...args] = [...wrap, ...node];
  const child = spawn(command!, args, { env, stdio: [preloaded ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  // The go line to a worker that died meanwhile fails; its exit says so (below).
  child.stdin?.on('error', () => {});
  let output = '';
  const ready = new Promise<void>((resolveReady, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ComplyWise is running')) {
        child.stdout!.off('data', onData);
        resolveReady();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)),
    );
  });
  // A preloaded worker killed before it was started never becomes ready; nobody waits for that.
  ready.catch(() => {});
  return {
    child,
    async start() {
      if (preloaded) child.stdin!.end('go\n');
      await ready;
      return running(child, onLine);
    },
  };
}

/** After the ready line: passes the worker's stdout lines on and keeps its pipes drained. */
function running(child: ChildProcess, onLine?: (line: string) => void): ChildProcess {
  if (onLine) {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
  // Keep draining its output so a chatty worker never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

export function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

export function stopGracefully(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** What a trial environment is opened with. */
export interface TrialEnvironmentOptions {
  /** A PostgreSQL URL whose user may CREATE DATABASE (the trial database is created beside it). */
  adminUrl: string;
  /** Which demo sandbox integration to scan (default: the main AWS account). */
  sandbox?: keyof DemoSandboxUrls;
  /** AWS sandboxes only: scan these services instead of all. */
  services?: string[];
  /** Settings of the worker processes on top of the trial's own (scan concurrency, call limit, log level). */
  workerEnv?: NodeJS.ProcessEnv;
  /** Where the tenant's integrations should point instead of the sandboxes (a proxy in front of one). */
  seedUrls?: (sandboxes: DemoSandboxUrls) => DemoSandboxUrls;
  /** Each stdout line of every worker, with the worker's process id. */
  onWorkerLine?: (pid: number, line: string) => void;
}

/** A scan row as the trials read it. */
export interface ScanState {
  status: string;
  phase: string;
  failure: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

/**
 * A fresh trial database, migrated and seeded with the demo tenant scanning the demo sandboxes, a process
 * that queues scans and reads results, and worker processes started on demand (see the file comment).
 */
export interface TrialEnvironment {
  tenantId: string;
  integrationId: string;
  /** The trial database (on the admin URL's server). */
  databaseUrl: string;
  /** The worker processes alive now. */
  workers: Set<ChildProcess>;
  /**
   * Starts one more worker process; resolves once it is running. `env` overrides the workers' settings
   * for this one, `wrap` is passed to startWorker (a network namespace to run it in).
   */
  launch(how?: { env?: NodeJS.ProcessEnv; wrap?: readonly string[] }): Promise<ChildProcess>;
  /**
   * Spawns a worker process that loads the product's code and waits: `start()` starts it (as `launch`
   * would, the process counted in `workers` from then on). Killed by `close` if never started.
   */
  preload(): { start(): Promise<ChildProcess> };
  /**
   * The main AWS sandbox only: another integration of the tenant with the scanned one's settings (its services
   * too) and the sandbox's keys; resolves with its id. More integrations make more scans that may run at
   * once without sharing one provider call limit.
   */
  addIntegration(name: string): Promise<string>;
  /** Queues a scan of the integration (another of the tenant's when given); resolves with its id. */
  queueScan(integrationId?: string): Promise<string>;
  scanState(scanId: string): Promise<ScanState>;
  /** Polls the scan every `pollMs` (default 25) until `done` accepts its status (throws after `timeoutMs`). */
  waitFor(
    scanId: string,
    done: (status: string) => boolean,
    timeoutMs: number,
    pollMs?: number,
  ): Promise<ScanState>;
  findingsOf(scanId: string): Promise<FindingRow[]>;
  /** The scan.completed ledger entries of the scan. */
  completionsOf(scanId: string): Promise<number>;
  /** Kills the workers, drops the database and removes the data dir (also after a failure). */
  close(): Promise<void>;
}

/** A scan status that will not change any more. */
export const isFinished = (status: string): boolean =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled';

/** A fresh, empty PostgreSQL database and a data dir (master key, evidence files) for one bench run. */
export interface TrialDatabase {
  databaseUrl: string;
  dataDir: string;
  /** Drops the database (connections forced off) and removes the data dir. */
  drop(): Promise<void>;
}

/** Creates a database named `<prefix>_<pid>_<time>` beside `adminUrl`'s, and a data dir. */
export async function createTrialDatabase(adminUrl: string, prefix = 'cw_kill9'): Promise<TrialDatabase> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const dataDir = mkdtempSync(join(tmpdir(), `complywise-${prefix.replace(/^cw_/, '')}-`));
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      await withAdminClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a trial environment; see TrialEnvironment. */
export async function openTrialEnvironment(options: TrialEnvironmentOptions): Promise<TrialEnvironment> {
  const trialDatabase = await createTrialDatabase(options.adminUrl);
  const { databaseUrl, dataDir } = trialDatabase;
  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    COMPLYWISE_ROLE: 'worker',
    COMPLYWISE_DEMO: '0',
    COMPLYWISE_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // The shortest lease pg-boss allows and a monitor every second: a killed worker's job is retried ~11 s on.
    COMPLYWISE_SCAN_HEARTBEAT_SECONDS: '10',
    COMPLYWISE_JOB_MONITOR_SECONDS: '1',
    COMPLYWISE_SCAN_RETRY_DELAY_SECONDS: '1',
    ...options.workerEnv,
  };
  const workers = new Set<ChildProcess>();
  /** Preloaded workers not started yet. */
  const waiting = new Set<ChildProcess>();
  const spawnOne = (how: { env?: NodeJS.ProcessEnv; wrap?: readonly string[] }, preloaded: boolean) => {
    let pid = 0;
    const onLine = options.onWorkerLine;
    const spawned = spawnWorker(
      { ...workerEnv, ...how.env },
      onLine && ((line) => onLine(pid, line)),
      how.wrap ?? [],
      preloaded,
    );
    pid = spawned.child.pid ?? 0;
    waiting.add(spawned.child);
    spawned.child.once('exit', () => waiting.delete(spawned.child));
    return {
      async start() {
        const child = await spawned.start();
        waiting.delete(child);
        workers.add(child);
        child.once('exit', () => workers.delete(child));
        return child;
      },
    };
  };
  const launch = (how: { env?: NodeJS.ProcessEnv; wrap?: readonly string[] } = {}) =>
    spawnOne(how, false).start();
  const preload = () => spawnOne({}, true);

  let sandboxes: Awaited<ReturnType<typeof startDemoSandboxes>> | null = null;
  let database: Awaited<ReturnType<typeof openDatabase>> | null = null;
  let app: Awaited<ReturnType<typeof buildApp>> | null = null;
  const close = async () => {
    await Promise.allSettled([...workers, ...waiting].map(killHard));
    await app?.close().catch(() => {});
    await database?.close().catch(() => {});
    await sandboxes?.close();
    await trialDatabase.drop();
  };
  try {
    sandboxes = await startDemoSandboxes();
    const urls = options.seedUrls ? options.seedUrls(sandboxes.urls) : sandboxes.urls;
    // The workers are other processes: they learn the sandboxes' exact endpoints as an operator's allowlist.
    workerEnv.COMPLYWISE_EGRESS_ALLOW = Object.values(urls)
      .map((sandbox) => new URL(sandbox).host)
      .join(',');
    const config = { ...loadConfig(workerEnv), role: 'api' as const, pgliteDir: null };
    database = await openDatabase(config);
    await migrateLatest(database);
    const keyProvider = localKeyProvider(config);
    const seed = await seedDemoTenant(
      database.knex,
      new CredentialVault(keyProvider),
      urls,
      new ApiEgress(config.egressAllow).policy,
    );
    // This process only queues scans and reads results (its pg-boss also monitors leases); workers scan.
    app = await buildApp({
      config,
      database,
      ownsDatabase: false,
      keyProvider,
      logger: false,
      api: false,
      worker: false,
    });
    const services = app;
    const tenantId = seed.tenantId;
    const integrationId = seed.integrationIds[options.sandbox ?? 'aws'];
    if (options.services) {
      await services.withTenant(tenantId, (trx) =>
        trx('integrations')
          .where({ id: integrationId })
          .update({
            config: trx.raw(`jsonb_set(config, '{services}', ?::jsonb)`, [JSON.stringify(options.services)]),
          }),
      );
    }

    const scanState = (scanId: string) =>
      services.withTenant(tenantId, async (trx): Promise<ScanState> => {
        const row: {
          status: string;
          progress: { phase?: string };
          failure_code: string | null;
          failure_message: string | null;
          started_at: Date | null;
          finished_at: Date | null;
        } = await trx('scans')
          .select('status', 'progress', 'failure_code', 'failure_message', 'started_at', 'finished_at')
          .where({ id: scanId })
          .first();
        return {
          status: row.status,
          phase: row.progress.phase ?? '',
          failure: row.failure_code ? `${row.failure_code}: ${row.failure_message}` : null,
          started_at: row.started_at,
          finished_at: row.finished_at,
        };
      });
    return {
      tenantId,
      integrationId,
      databaseUrl,
      workers,
      launch,
      preload,
      async addIntegration(name) {
        // The keys below are the main AWS sandbox's.
        if ((options.sandbox ?? 'aws') !== 'aws')
          throw new Error('addIntegration copies the main AWS sandbox only');
        const scanned: { config: AwsIntegrationConfig } = await services.withTenant(tenantId, (trx) =>
          trx('integrations').select('config').where({ id: integrationId }).first(),
        );
        const created = await services.integrations.create(tenantId, seed.userId, {
          provider: 'aws',
          name,
          config: scanned.config,
          credentials: { ...DEMO_AWS_CREDENTIALS },
        });
        return created.id;
      },
      queueScan: async (id = integrationId) => (await services.scans.create(tenantId, id)).id,
      scanState,
      async waitFor(scanId, done, timeoutMs, pollMs = 25) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const state = await scanState(scanId);
          if (done(state.status)) return state;
          if (Date.now() > deadline)
            throw new Error(`scan ${scanId} still ${state.status} after ${timeoutMs} ms`);
          await sleep(pollMs);
        }
      },
      findingsOf: (scanId) =>
        services.withTenant(
          tenantId,
          (trx) =>
            trx('findings')
              .select('rule_id', 'resource_id', 'status', 'severity', 'message', 'evidence_sha256')
              .where({ scan_id: scanId }) as Promise<FindingRow[]>,
        ),
      completionsOf: (scanId) =>
        services.withTenant(tenantId, async (trx) => {
          const [row] = await trx('ledger_entries')
            .count<{ count: string | number }[]>('* as count')
            .where({ kind: 'scan.completed' })
            .whereRaw(`payload->>'scan_id' = ?`, [scanId]);
          return Number(row!.count);
        }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The trials' totals: lost, duplicated, unexpected and changed findings, and scans that did not succeed once. */
export function totalsOf(trials: TrialResult[]): Kill9Report['totals'] {
  const sum = (pick: (t: TrialResult) => number) => trials.reduce((n, t) => n + pick(t), 0);
  return {
    lost: sum((t) => t.lost),
    duplicated: sum((t) => t.duplicatedByKey + t.duplicatedByContent + Math.max(0, t.ledgerCompletions - 1)),
    unexpected: sum((t) => t.unexpected),
    changed: sum((t) => t.changed),
    notSucceeded: trials.filter((t) => t.status !== 'succeeded' || t.ledgerCompletions !== 1).length,
  };
}

/** One line per trial: where the kill landed, how the scan ended and how its findings compare. */
export function describeTrial(result: TrialResult, failure: string | null): string {
  return (
    `trial ${result.trial}: killed after ${result.killAfterMs} ms (${result.killedIn}), ${result.status} ` +
    `${(result.recoveredMs / 1000).toFixed(1)} s later; findings ${result.findings}, lost ${result.lost}, ` +
    `duplicated ${result.duplicatedByKey} by key / ${result.duplicatedByContent} by content, ` +
    `unexpected ${result.unexpected}, changed ${result.changed}, ledger completions ${result.ledgerCompletions}` +
    (failure ? ` (${failure})` : '')
  );
}

/** Runs the reference scan and `trials` kill-and-recover trials; see the file comment. */
export async function runKill9(options: Kill9Options): Promise<Kill9Report> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const next = random(options.seed ?? randomBytes(4).readUInt32LE());
  const env = await openTrialEnvironment({
    adminUrl: options.adminUrl,
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.services ? { services: options.services } : {}),
  });
  try {
    const { scanState, waitFor, findingsOf, completionsOf } = env;
    let worker = await env.launch();
    const warmUp = await env.queueScan();
    await waitFor(warmUp, isFinished, 120_000);
    const reference = await env.queueScan();
    await waitFor(reference, (s) => s !== 'queued', 60_000);
    const referenceStart = Date.now();
    const referenceEnd = await waitFor(reference, isFinished, 120_000);
    const referenceRunningMs = Date.now() - referenceStart;
    if (referenceEnd.status !== 'succeeded') throw new Error(`the reference scan ${referenceEnd.status}`);
    const expected = await findingsOf(reference);
    log(
      `reference (${options.sandbox ?? 'aws'}): ${expected.length} findings, running ${referenceRunningMs} ms`,
    );

    const trials: TrialResult[] = [];
    for (let trial = 1; trial <= options.trials; trial += 1) {
      options.signal?.throwIfAborted();
      // The replacement loads its code while this trial's worker still lives; it starts after the kill.
      const replacement = options.preloadReplacements ? env.preload() : null;
      const scan = await env.queueScan();
      await waitFor(scan, (s) => s !== 'queued', 60_000);
      const killAfterMs = Math.round(next() * referenceRunningMs);
      await sleep(killAfterMs);
      const killedIn = await scanState(scan);
      await killHard(worker);
      const killedAt = Date.now();
      worker = await (replacement ? replacement.start() : env.launch());
      const end = await waitFor(scan, isFinished, 120_000);
      const recoveredMs = Date.now() - killedAt;
      const actual = await findingsOf(scan);
      const result: TrialResult = {
        trial,
        killAfterMs,
        killedIn: killedIn.status === 'running' ? killedIn.phase : killedIn.status,
        recoveredMs,
        status: end.status,
        findings: actual.length,
        ...compareFindings(expected, actual),
        ledgerCompletions: await completionsOf(scan),
      };
      trials.push(result);
      log(describeTrial(result, end.failure));
      if (process.env.KILL9_DEBUG && result.changed) {
        const ref = new Map(expected.map((f) => [keyOf(f), f]));
        const diff = actual.find((f) => contentOf(f) !== contentOf(ref.get(keyOf(f)) ?? f));
        if (diff) log(`  e.g. ${JSON.stringify(ref.get(keyOf(diff)))} vs ${JSON.stringify(diff)}`);
      }
    }
    await stopGracefully(worker);

    const totals = totalsOf(trials);
    const killedIn = killsByPhase(trials);
    log(`kills by phase: ${JSON.stringify(killedIn)}`);
    log(describeTotals(trials.length, totals));
    return { referenceFindings: expected.length, referenceRunningMs, trials, totals, killedIn };
  } finally {
    await env.close();
  }
}

/** How many kills landed in each phase. */
export function killsByPhase(trials: TrialResult[]): Record<string, number> {
  const killedIn: Record<string, number> = {};
  for (const t of trials) killedIn[t.killedIn] = (killedIn[t.killedIn] ?? 0) + 1;
  return killedIn;
}

/** The closing line of a run. */
export function describeTotals(count: number, totals: Kill9Report['totals']): string {
  return (
    `total over ${count} trials: lost ${totals.lost}, duplicated ${totals.duplicated}, ` +
    `unexpected ${totals.unexpected}, changed ${totals.changed}, not succeeded ${totals.notSucceeded}`
  );
}
