/**
 * A sandbox AWS organization of N resources scanned end to end by the product as it runs (issue 18): from
 * "start scan" to the scores the dashboard shows, on PostgreSQL.
 *
 * - The organization is the benchmarks' sandbox (bench/scanners/organization.ts) grown to about N
 *   resources, served by the AWS fixture server in this process with no added latency, and read either
 *   through one AWS Config aggregator (`config`) or through the direct APIs (`direct`).
 * - The product runs as processes of `node api/src/main.ts` on a fresh database (the kill -9 bench's
 *   `createTrialDatabase` and `startWorker`): one `COMPLYWISE_ROLE=api` and `workers` (default 1)
 *   `COMPLYWISE_ROLE=worker`, so each one's peak memory is its own (VmHWM in /proc/<pid>/status, read before
 *   they stop). The organization scan is split per account, so several workers share its collection. The
 *   provider call limit is lifted (the sandbox answers at once; the limit would only measure itself).
 * - Everything else goes through the API as a person's browser would: sign-up (the link read from the
 *   data dir's outbox), sign-in, the integration, `POST /api/scans`, polling the scan, then
 *   `GET /api/scores` until the dashboard's scores are this scan's.
 * - The split comes from what the worker records on the scan (migration 0025: each part's collect and
 *   evidence times, the finish's gather, evaluate, score and persist), the database growth from
 *   pg_total_relation_size before and after the scan, plus the evidence files of the data dir.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { lastTokenSentTo } from '../../api/src/mail/mailer.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startAwsFixtureServer,
} from '../../scanners/aws/fixtures/aws-fixture-server.ts';
import { DEMO_ORG_MEMBER_ROLE } from '../../scanners/aws/fixtures/aws-fixture-organization.ts';
import { withAdminClient } from '../../test/db.ts';
import { createTrialDatabase, isFinished, killHard, startWorker, stopGracefully } from '../kill9/harness.ts';
import {
  ORG_AGGREGATOR,
  organizationOfSize,
  recordingOrganization,
  type OrganizationSize,
} from '../scanners/organization.ts';

/** How the organization is read: through one Config aggregator, or the direct APIs of every account. */
export type ScanPath = 'config' | 'direct';

export interface EndToEndOptions {
  /** A PostgreSQL URL whose user may CREATE DATABASE (the run's database is created beside it). */
  adminUrl: string;
  /** About how many resources the organization holds (default 100,000). */
  resources?: number;
  path: ScanPath;
  /** Gives up after this long from the scan's start (default 30 minutes). */
  timeoutMs?: number;
  /** Per-line progress output (default: stdout). */
  log?: (line: string) => void;
  /** Settings of both product processes on top of the run's own. */
  env?: NodeJS.ProcessEnv;
  /** Also return the scan's stored findings (rule, resource, status): for checks at a small size. */
  keepFindings?: boolean;
  /** Worker processes sharing the scan's parts (default 1). */
  workers?: number;
  /**
   * Parts of the tenant's scans running at once across all workers (COMPLYWISE_TENANT_SCAN_CONCURRENCY,
   * the product's default 2 when unset): the bound on how many workers one tenant's scan can keep busy.
   */
  tenantConcurrency?: number;
  /**
   * Parts (and scans) one worker process runs at once (COMPLYWISE_SCAN_CONCURRENCY, the product's default 4
   * when unset). With the default and `tenantConcurrency` 4, the worker that plans the scan takes all four of
   * the tenant's slots and keeps them (a slot that finishes a part takes the next at once; the others only
   * poll): 20 of 22 parts on one process at 100k. Two workers at 2 each share the parts.
   */
  workerConcurrency?: number;
  /**
   * Before starting, wait until the files the previous run of this harness deleted are out of the kernel's
   * recently-deleted window (see `settleDeletedFiles`; default true). The suite's smoke run turns it off.
   */
  settleDeletes?: boolean;
}

/** A stored finding's natural key and status. */
export interface StoredFindingStatus {
  rule_id: string;
  resource_id: string;
  status: string;
}

/** The tables whose growth a scan is measured by. */
export const MEASURED_TABLES = [
  'findings',
  'evidence',
  'control_results',
  'framework_scores',
  'ledger_entries',
  'scan_parts',
] as const;
type MeasuredTable = (typeof MEASURED_TABLES)[number];

/** Where a scan's time went, as the worker recorded it on the scan (migration 0025), in milliseconds. */
export interface ScanTimings {
  collect_ms: number;
  store_evidence_ms: number;
  gather_ms: number;
  evaluate_ms: number;
  score_ms: number;
  persist_ms: number;
}

export interface EndToEndReport {
  path: ScanPath;
  /** Worker processes that shared the scan, and the tenant's parts allowed at once (null: the default). */
  workers: number;
  tenantConcurrency: number | null;
  workerConcurrency: number | null;
  size: OrganizationSize;
  /** Resources the scan collected, its findings (every status) and the frameworks the dashboard scored. */
  resources: number;
  findings: number;
  frameworksScored: number;
  /** From `POST /api/scans` to `GET /api/scores` answering with this scan. */
  wallMs: number;
  /** From `POST /api/scans` to a worker taking the scan's first part (scan started_at). */
  queuedMs: number;
  /**
   * From the start of the transaction that wrote the results (the scan's finished_at) to the scores route
   * answering with it: the persist step and the polling.
   */
  scoresVisibleMs: number;
  timings: ScanTimings;
  /**
   * The parts' collection as wall time: from the first part taken to the last part recorded (the timings'
   * collect and evidence times are summed over the parts, which run side by side), and how many parts.
   */
  partsSpanMs: number;
  parts: number;
  /** Parts each worker process collected, largest first. */
  partsPerWorker: number[];
  /**
   * Peak resident memory (VmHWM) of each product process, MiB (`worker`: the largest of the workers);
   * `harness`: this process (the sandbox).
   */
  peakRssMiB: { api: number; worker: number; harness: number };
  /**
   * CPU seconds each process used from `POST /api/scans` to the scores (PostgreSQL's own not included): on
   * a shared machine the fairer measure of the work than the wall time. `worker`: all workers together.
   */
  cpuSeconds: { api: number; worker: number; harness: number };
  /**
   * The kernel's part of `cpuSeconds` (system time). Creating the evidence files is most of the workers':
   * on this machine's ext4 (no journal) a file create right after many deletes scans past every inode freed
   * in the last 30 s (the kernel's `recently_deleted`), so it swings with what else deletes files.
   */
  systemCpuSeconds: { worker: number; harness: number };
  /** Bytes each table (with its partitions) grew by over the scan, the whole database, the evidence files. */
  growth: Record<MeasuredTable, number> & { database: number; evidenceFiles: number };
  /** Evidence rows the scan added, and the distinct evidence hashes its findings point at. */
  evidenceRows: number;
  distinctEvidenceOfFindings: number;
  /** The machine's 1-minute load average when the scan started and when it ended. */
  loadAverage: { start: number; end: number };
  /** With `keepFindings`: the scan's findings. */
  storedFindings?: StoredFindingStatus[];
}

/** A free TCP port on the loopback interface. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A process's peak resident memory (VmHWM) in MiB, or NaN once it is gone. */
export function peakRssMiB(pid: number | 'self'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kib ? Number(kib) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s,
 * the kernel's USER_HZ on Linux), or NaN once it is gone.
 */
export function cpuSeconds(pid: number | 'self'): number {
  return cpuTimes(pid).total;
}

/** The same as cpuSeconds, with the kernel's part (system time: file and socket calls) apart. */
export function cpuTimes(pid: number | 'self'): { total: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const system = Number(fields[12]) / 100;
    return { total: Number(fields[11]) / 100 + system, system };
  } catch {
    return { total: Number.NaN, system: Number.NaN };
  }
}

/** Total bytes of the files under `dir`. */
function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** The measured tables' sizes and the database's, in bytes. */
async function relationSizes(client: pg.Client): Promise<Record<MeasuredTable | 'database', number>> {
  const { rows } = await client.query<{ name: string; bytes: string }>(
    // A partitioned table (findings, migration 0027) holds nothing itself: its partitions are summed
    // (pg_partition_tree lists nothing for a plain table, which is measured as it is).
    `SELECT t AS name, coalesce((SELECT sum(pg_total_relation_size(p.relid)) FROM pg_partition_tree(t::regclass) AS p
                                  WHERE p.isleaf), pg_total_relation_size(t::regclass)) AS bytes
       FROM unnest($1::text[]) AS t
     UNION ALL SELECT 'database', pg_database_size(current_database())`,
    [MEASURED_TABLES],
  );
  return Object.fromEntries(rows.map((r) => [r.name, Number(r.bytes)])) as Record<
    MeasuredTable | 'database',
    number
  >;
}

/** A small JSON client of the API at `base`, with the session once signed in. */
function apiClient(base: string) {
  let token: string | null = null;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
  return {
    call,
    signIn(accessToken: string) {
      token = accessToken;
    },
  };
}

/** The integration's settings for the organization on `path`. */
export function organizationIntegration(endpoint: string, path: ScanPath) {
  return {
    provider: 'aws',
    name: `Sandbox organization (${path})`,
    config: {
      accountId: DEMO_AWS_ACCOUNT_ID,
      region: 'us-east-1',
      endpoint,
      organization: {
        memberRoleName: DEMO_ORG_MEMBER_ROLE.name,
        externalId: DEMO_ORG_MEMBER_ROLE.externalId,
      },
      ...(path === 'config' ? { configAggregator: ORG_AGGREGATOR } : { useConfig: false }),
    },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  };
}

/** Where a run notes when it deleted its data dir (100k evidence files at full size). */
const DELETED_MARK = join(tmpdir(), 'complywise-scale-bench.deleted');

/**
 * Waits out the window in which ext4 without a journal (this machine's root file system) treats a freed
 * inode as recently deleted: every file created in that window first scans past each such inode of its
 * group (the kernel's `recently_deleted`, checked only when there is no journal), and a run that starts
 * right after the previous one deleted its 100k evidence files pays that on each of its own. The window is
 * vm.dirty_expire_centisecs (30 s by default) plus 5 s while the inode's block is dirty; one more second of
 * margin. Measured on main: back to back 63.6-69.8 s, spaced 56.3-59.2 s in the same half hour (bench/README.md). Returns the ms
 * waited.
 */
async function settleDeletedFiles(): Promise<number> {
  let deletedAt: number;
  try {
    deletedAt = Number(readFileSync(DELETED_MARK, 'utf8'));
  } catch {
    return 0;
  }
  let expireSeconds = 30;
  try {
    expireSeconds = Number(readFileSync('/proc/sys/vm/dirty_expire_centisecs', 'utf8')) / 100;
  } catch {
    // Not Linux: the default.
  }
  const wait = deletedAt + (expireSeconds + 6) * 1000 - Date.now();
  if (!(wait > 0)) return 0;
  await sleep(wait);
  return wait;
}

/** Runs one end-to-end scan of the organization on one path; see the file comment. */
export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (options.settleDeletes ?? true) {
    const waited = await settleDeletedFiles();
    if (waited > 0)
      log(`waited ${(waited / 1000).toFixed(1)} s for the previous run's deleted files to settle`);
  }
  const size = organizationOfSize(options.resources ?? 100_000);
  const org = recordingOrganization(size);
  const sandbox = await startAwsFixtureServer({
    host: '127.0.0.1',
    port: 0,
    account: org.management,
    members: org.members,
  });
  const trial = await createTrialDatabase(options.adminUrl, 'cw_scale');
  const processes: ChildProcess[] = [];
  try {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: trial.databaseUrl,
      COMPLYWISE_DATA_DIR: trial.dataDir,
      COMPLYWISE_DEMO: '0',
      COMPLYWISE_SIGNUP: '1',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // The sandbox is the operator's allowlisted host; it answers at once, so the call limit is lifted.
      COMPLYWISE_EGRESS_ALLOW: new URL(sandbox.url).host,
      COMPLYWISE_SCAN_CALLS_PER_SECOND: '100000',
      ...(options.tenantConcurrency
        ? { COMPLYWISE_TENANT_SCAN_CONCURRENCY: String(options.tenantConcurrency) }
        : {}),
      ...(options.workerConcurrency
        ? { COMPLYWISE_SCAN_CONCURRENCY: String(options.workerConcurrency) }
        : {}),
      ...options.env,
    };
    // The API first: it migrates the new database; the worker starts on the migrated schema.
    // Their warnings and errors (a retried job says why) are passed on; the rest of their log is drained.
    const echo = (role: string) => (line: string) => {
      if (/"level":(40|50|60)/.test(line)) log(`  ${role}: ${line.slice(0, 600)}`);
    };
    const api = await startWorker({ ...env, COMPLYWISE_ROLE: 'api' }, echo('api'));
    processes.push(api);
    const workerCount = options.workers ?? 1;
    const workers: ChildProcess[] = [];
    // COMPLYWISE_BENCH_WORKER_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the workers alone.
    const workerOptions = process.env.COMPLYWISE_BENCH_WORKER_NODE_OPTIONS;
    for (let i = 0; i < workerCount; i++) {
      const worker = await startWorker(
        { ...env, COMPLYWISE_ROLE: 'worker', ...(workerOptions ? { NODE_OPTIONS: workerOptions } : {}) },
        echo(`worker ${i + 1}`),
      );
      processes.push(worker);
      workers.push(worker);
    }
    log(
      `${options.path}: organization of ${size.members + 2} scanned accounts at scale ${size.scale}; ` +
        `api pid ${api.pid}, worker pids ${workers.map((w) => w.pid).join(', ')}`,
    );

    const client = apiClient(`http://127.0.0.1:${port}`);
    const email = `e2e-${process.pid}@bench.example`;
    const password = `Bench-${process.pid}-${Date.now()}-long-enough`;
    await client.call('POST', '/api/auth/signup', { organization_name: 'Scale bench', email });
    const token = lastTokenSentTo(join(trial.dataDir, 'outbox'), email, '/signup');
    if (!token) throw new Error('no sign-up link in the outbox');
    await client.call('POST', '/api/auth/signup/complete', { token, password });
    const session = await client.call<{ access_token: string }>('POST', '/api/auth/login', {
      email,
      password,
    });
    client.signIn(session.access_token);
    const integration = await client.call<{ id: string }>(
      'POST',
      '/api/integrations',
      organizationIntegration(sandbox.url, options.path),
    );

    const before = await withAdminClient(trial.databaseUrl, relationSizes);
    const evidenceBytesBefore = bytesUnder(trial.dataDir);
    const loadStart = loadavg()[0]!;
    const cpuOf = () => {
      const times = workers.map((w) => cpuTimes(w.pid!));
      const harness = cpuTimes('self');
      return {
        api: cpuSeconds(api.pid!),
        worker: times.reduce((sum, t) => sum + t.total, 0),
        harness: harness.total,
        workerSystem: times.reduce((sum, t) => sum + t.system, 0),
        harnessSystem: harness.system,
      };
    };
    const cpuStart = cpuOf();
    const started = performance.now();
    const startedAt = Date.now();
    const { id: scanId } = await client.call<{ id: string }>('POST', '/api/scans', {
      integration_id: integration.id,
    });
    const deadline = startedAt + (options.timeoutMs ?? 30 * 60_000);
    let lastPhase = '';
    for (;;) {
      const scan = await client.call<{ status: string; progress: { phase?: string }; failure: unknown }>(
        'GET',
        `/api/scans/${scanId}`,
      );
      if (scan.progress.phase !== lastPhase) {
        lastPhase = scan.progress.phase ?? '';
        log(`  ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${scan.status} ${lastPhase}`);
      }
      if (isFinished(scan.status)) {
        if (scan.status !== 'succeeded')
          throw new Error(`scan ${scan.status}: ${JSON.stringify(scan.failure)}`);
        break;
      }
      if (Date.now() > deadline) throw new Error(`scan still ${scan.status} after ${options.timeoutMs} ms`);
      await sleep(250);
    }
    // The dashboard's scores: the tenant's posture once it names this scan.
    let scores: { scan_id: string | null; items: unknown[] };
    for (;;) {
      scores = await client.call('GET', '/api/scores');
      if (scores.scan_id === scanId) break;
      if (Date.now() > deadline) throw new Error(`GET /api/scores never answered with scan ${scanId}`);
      await sleep(100);
    }
    const wallMs = performance.now() - started;
    const loadEnd = loadavg()[0]!;
    const peak = {
      api: peakRssMiB(api.pid!),
      worker: Math.max(...workers.map((w) => peakRssMiB(w.pid!))),
      harness: peakRssMiB('self'),
    };
    const cpuEnd = cpuOf();

    const after = await withAdminClient(trial.databaseUrl, relationSizes);
    const recorded = await withAdminClient(trial.databaseUrl, async (db) => {
      const { rows: scans } = await db.query<{
        timings: ScanTimings | null;
        created_at: Date;
        started_at: Date;
        finished_at: Date;
        resources: number;
      }>(
        `SELECT timings, created_at, started_at, finished_at, (progress->>'resources_collected')::int AS resources
         FROM scans WHERE id = $1`,
        [scanId],
      );
      const { rows: counts } = await db.query<{ findings: string; distinct_evidence: string }>(
        `SELECT count(*) AS findings, count(DISTINCT evidence_sha256) AS distinct_evidence
         FROM findings WHERE scan_id = $1`,
        [scanId],
      );
      const { rows: evidence } = await db.query<{ rows: string }>(`SELECT count(*) AS rows FROM evidence`);
      const { rows: span } = await db.query<{ parts: string; span_ms: number | null }>(
        `SELECT count(*) AS parts,
                extract(epoch FROM max(finished_at) - min(started_at)) * 1000 AS span_ms
         FROM scan_parts WHERE scan_id = $1`,
        [scanId],
      );
      const { rows: perWorker } = await db.query<{ parts: string }>(
        `SELECT count(*) AS parts FROM scan_parts WHERE scan_id = $1 GROUP BY worker_id ORDER BY 1 DESC`,
        [scanId],
      );
      const stored = options.keepFindings
        ? (
            await db.query<StoredFindingStatus>(
              `SELECT rule_id, resource_id, status FROM findings WHERE scan_id = $1`,
              [scanId],
            )
          ).rows
        : undefined;
      return {
        scan: scans[0]!,
        counts: counts[0]!,
        evidenceRows: Number(evidence[0]!.rows),
        parts: Number(span[0]!.parts),
        partsSpanMs: Number(span[0]!.span_ms ?? 0),
        partsPerWorker: perWorker.map((row) => Number(row.parts)),
        stored,
      };
    });
    if (!recorded.scan.timings) throw new Error(`scan ${scanId} recorded no timings`);
    const growth = Object.fromEntries(
      [...MEASURED_TABLES, 'database' as const].map((t) => [t, after[t] - before[t]]),
    ) as EndToEndReport['growth'];
    growth.evidenceFiles = bytesUnder(trial.dataDir) - evidenceBytesBefore;
    return {
      path: options.path,
      workers: workerCount,
      tenantConcurrency: options.tenantConcurrency ?? null,
      workerConcurrency: options.workerConcurrency ?? null,
      size,
      resources: recorded.scan.resources,
      findings: Number(recorded.counts.findings),
      frameworksScored: scores.items.length,
      wallMs,
      queuedMs: recorded.scan.started_at.getTime() - startedAt,
      scoresVisibleMs: startedAt + wallMs - recorded.scan.finished_at.getTime(),
      timings: recorded.scan.timings,
      partsSpanMs: recorded.partsSpanMs,
      parts: recorded.parts,
      partsPerWorker: recorded.partsPerWorker,
      peakRssMiB: peak,
      cpuSeconds: {
        api: cpuEnd.api - cpuStart.api,
        worker: cpuEnd.worker - cpuStart.worker,
        harness: cpuEnd.harness - cpuStart.harness,
      },
      systemCpuSeconds: {
        worker: cpuEnd.workerSystem - cpuStart.workerSystem,
        harness: cpuEnd.harnessSystem - cpuStart.harnessSystem,
      },
      growth,
      evidenceRows: recorded.evidenceRows,
      distinctEvidenceOfFindings: Number(recorded.counts.distinct_evidence),
      loadAverage: { start: loadStart, end: loadEnd },
      ...(recorded.stored ? { storedFindings: recorded.stored } : {}),
    };
  } finally {
    await Promise.allSettled(processes.map((p) => stopGracefully(p).catch(() => killHard(p))));
    await trial.drop();
    writeFileSync(DELETED_MARK, String(Date.now()));
    await sandbox.close();
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The report as markdown table rows (one column per run), the way bench/README.md shows it. */
export function describeRuns(reports: EndToEndReport[]): string {
  const rows: Array<[string, (r: EndToEndReport) => string]> = [
    ['organization (scanned accounts x scale)', (r) => `${r.size.members + 2} x ${r.size.scale}`],
    ['resources', (r) => r.resources.toLocaleString('en')],
    ['findings', (r) => r.findings.toLocaleString('en')],
    ['frameworks scored', (r) => String(r.frameworksScored)],
    ['**wall: start scan to scores**', (r) => `**${seconds(r.wallMs)}**`],
    ['queued (POST to a worker taking it)', (r) => seconds(r.queuedMs)],
    ['parts (one per account)', (r) => String(r.parts)],
    ['parts of the tenant at once (all workers)', (r) => String(r.tenantConcurrency ?? '2 (default)')],
    ['parts one worker runs at once', (r) => String(r.workerConcurrency ?? '4 (default)')],
    ['parts per worker', (r) => r.partsPerWorker.join(' / ')],
    ['parts collected and stored, wall (first taken to last recorded)', (r) => seconds(r.partsSpanMs)],
    ['collect (provider scan), summed over parts', (r) => seconds(r.timings.collect_ms)],
    ['store evidence, summed over parts', (r) => seconds(r.timings.store_evidence_ms)],
    ['gather (resources read back)', (r) => seconds(r.timings.gather_ms)],
    ['evaluate (overrides, rules)', (r) => seconds(r.timings.evaluate_ms)],
    ['score', (r) => seconds(r.timings.score_ms)],
    ['persist findings, scores, ledger', (r) => seconds(r.timings.persist_ms)],
    ['results transaction start to scores visible', (r) => seconds(r.scoresVisibleMs)],
    [
      'peak RSS api / worker (largest)',
      (r) => `${r.peakRssMiB.api.toFixed(0)} / ${r.peakRssMiB.worker.toFixed(0)} MiB`,
    ],
    ['peak RSS harness (sandbox)', (r) => `${r.peakRssMiB.harness.toFixed(0)} MiB`],
    [
      'CPU api / workers / harness (sandbox)',
      (r) =>
        `${r.cpuSeconds.api.toFixed(1)} / ${r.cpuSeconds.worker.toFixed(1)} / ${r.cpuSeconds.harness.toFixed(1)} s`,
    ],
    [
      'of which system time: workers / harness',
      (r) => `${r.systemCpuSeconds.worker.toFixed(1)} / ${r.systemCpuSeconds.harness.toFixed(1)} s`,
    ],
    ['findings table growth', (r) => mib(r.growth.findings)],
    ['bytes per finding (table + indexes)', (r) => (r.growth.findings / r.findings).toFixed(0)],
    ['evidence table growth', (r) => mib(r.growth.evidence)],
    ['evidence files', (r) => mib(r.growth.evidenceFiles)],
    [
      'evidence rows / distinct hashes of findings',
      (r) => `${r.evidenceRows} / ${r.distinctEvidenceOfFindings}`,
    ],
    ['ledger entries growth', (r) => mib(r.growth.ledger_entries)],
    ['control results + scores growth', (r) => mib(r.growth.control_results + r.growth.framework_scores)],
    ['scan parts growth', (r) => mib(r.growth.scan_parts)],
    ['whole database growth', (r) => mib(r.growth.database)],
    [
      'load average (1 min) start / end',
      (r) => `${r.loadAverage.start.toFixed(1)} / ${r.loadAverage.end.toFixed(1)}`,
    ],
  ];
  const header = `| figure | ${reports.map((r) => `${r.path}, ${r.workers} worker${r.workers === 1 ? '' : 's'}`).join(' | ')} |`;
  const rule = `| --- | ${reports.map(() => '---').join(' | ')} |`;
  return [header, rule, ...rows.map(([name, cell]) => `| ${name} | ${reports.map(cell).join(' | ')} |`)].join(
    '\n',
  );
}
