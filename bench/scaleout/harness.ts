/**
 * Several worker processes on one PostgreSQL, scanning one integration (issue 18): the integration's provider
 * call limit holds across all of them, and a worker SIGKILLed mid-scan costs no finding.
 *
 * The trial environment is the kill -9 bench's (bench/kill9/harness.ts: a fresh database, the demo tenant,
 * the demo sandboxes, workers that are the product itself), with the main AWS sandbox behind a proxy that
 * records when each request arrives: the rate is measured where the provider would see it.
 *
 * 1. Rate: `workers` processes start (one scan job each at a time, the tenant allowed as many scans as there
 *    are workers) and as many scans of the same integration are queued at once, so every worker scans it
 *    at the same time. At the proxy: the busiest one-second window and the mean rate over the phase, against
 *    the configured calls per second. The scans' findings must all be alike; the first is the reference.
 *    Each scan is split into parts (one per service): the workers that started each scan's parts ("scan part
 *    started" log lines) show that one scan is collected by several workers.
 * 2. Each kill trial queues one scan and, after a random delay within a lone scan's expected running time,
 *    (in the first half) SIGKILLs a worker collecting one of its parts (a "scan part started" line without its "scan part
 *    collected"; the worker that planned the scan when no part is running), and waits for the remaining
 *    workers to finish the scan (the part is retried alone once its lease lapses). Its findings are
 *    compared with the reference as in the kill -9 bench; then a fresh worker replaces the killed one.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  compareFindings,
  describeTotals,
  describeTrial,
  isFinished,
  killHard,
  killsByPhase,
  openTrialEnvironment,
  random,
  stopGracefully,
  totalsOf,
  type Kill9Report,
  type ScanState,
  type TrialResult,
} from '../kill9/harness.ts';

export interface ScaleOutOptions {
  /** A PostgreSQL URL whose user may CREATE DATABASE (the trial database is created beside it). */
  adminUrl: string;
  /** Worker processes (default 4). */
  workers?: number;
  /** The integration's provider calls per second (COMPLYWISE_SCAN_CALLS_PER_SECOND; default 20). */
  callsPerSecond?: number;
  /** Kill trials after the rate phase (default 1). */
  trials?: number;
  /** AWS services to scan (default SPLIT_SERVICES: a short scan of several parts). */
  services?: string[];
  /** Seed for the kill delays (default: random). */
  seed?: number;
  /** Per-line progress output (default: stdout). */
  log?: (line: string) => void;
  /** Stops the run between trials (the database and workers are still cleaned up). */
  signal?: AbortSignal;
}

/** What the proxy saw while every worker scanned the integration at once. */
export interface RateResult {
  scans: number;
  /** Scans that succeeded. */
  succeeded: number;
  /** Different worker processes that collected parts of the scans. */
  distinctWorkers: number;
  /** Parts of each scan (the scan is split by service, and by region where regions are listed). */
  partsPerScan: number;
  /** The fewest different workers that collected the parts of one scan (at least 2: one scan, many workers). */
  fewestWorkersPerScan: number;
  /** How long all the scans were running at the same time (0: they never all overlapped). */
  overlapMs: number;
  calls: number;
  spanMs: number;
  /** Calls per second from the first call to the last. */
  meanPerSecond: number;
  /** The most calls that arrived within any one second. */
  busiestSecond: number;
  /** The longest the proxy's event loop was late: calls arriving meanwhile get one timestamp. */
  proxyLagMs: number;
  /** Findings of the other scans compared with the reference (the first scan). */
  lost: number;
  duplicated: number;
  changed: number;
}

export interface ScaleOutTrial extends TrialResult {
  /** The worker killed, the part it was collecting (null: none at that moment), and the one that finished the scan. */
  victimPid: number;
  victimPart: string | null;
  finishedByPid: number | null;
}

export interface ScaleOutReport {
  workers: number;
  callsPerSecond: number;
  referenceFindings: number;
  rate: RateResult;
  trials: ScaleOutTrial[];
  totals: Kill9Report['totals'];
  killedIn: Record<string, number>;
}

/** The default services: a scan of four parts (one per service), short at the default limit. */
export const SPLIT_SERVICES = ['s3', 'iam', 'kms', 'cloudtrail'];

/** A worker's "scan started" or "scan part started" log line: its process and time (ms since the epoch). */
interface Start {
  pid: number;
  time: number;
  /** The part, for a part's start. */
  part?: string;
}

/**
 * An HTTP proxy in front of one server that records when each request arrives (ms since the epoch). It
 * listens on `host` (default 127.0.0.1); with `delayMs`, each request waits that long (asked per request)
 * before it is forwarded: the provider's latency, as bench/scale/hosts.ts adds it.
 */
export async function startCountingProxy(options: { host?: string; delayMs?: () => number } = {}): Promise<{
  url: string;
  arrivals: number[];
  forwardTo(url: string): void;
  close(): Promise<void>;
}> {
  const arrivals: number[] = [];
  let target: URL | null = null;
  const host = options.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    arrivals.push(performance.timeOrigin + performance.now());
    const delay = options.delayMs?.() ?? 0;
    // The body streams on once forwarded; it waits in the socket meanwhile.
    if (delay > 0) await sleep(delay);
    // Headers are passed unchanged, Host included, so the SigV4 signature still matches.
    const upstream = request(
      { host: target!.hostname, port: target!.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    arrivals,
    forwardTo: (url) => {
      target = new URL(url);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The most calls one second may show at the proxy: the limit, one more at a window's edge, and those that
 * the proxy's stalls (`lagMs`) make look simultaneous, one per interval of the stall.
 */
export function busiestSecondBound(callsPerSecond: number, lagMs: number): number {
  return callsPerSecond + 1 + Math.ceil((lagMs * callsPerSecond) / 1000);
}

/** The most arrivals within any window of `windowMs` (each window starting at an arrival). */
export function busiestWindow(arrivals: number[], windowMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! >= windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Runs the rate phase and the kill trials; see the file comment. */
export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const workerCount = options.workers ?? 4;
  const callsPerSecond = options.callsPerSecond ?? 20;
  const next = random(options.seed ?? randomBytes(4).readUInt32LE());
  const proxy = await startCountingProxy();
  // Which worker process started each scan and when, in order (a retried scan is started again); which
  // started each of its parts; which parts are collected; which worker finished it.
  const startedBy = new Map<string, Start[]>();
  const partsStartedBy = new Map<string, Start[]>();
  const collected = new Map<string, Set<string>>();
  const finishedBy = new Map<string, number>();
  const env = await openTrialEnvironment({
    adminUrl: options.adminUrl,
    services: options.services ?? SPLIT_SERVICES,
    workerEnv: {
      LOG_LEVEL: 'info',
      COMPLYWISE_SCAN_CALLS_PER_SECOND: String(callsPerSecond),
      COMPLYWISE_SCAN_CONCURRENCY: '1',
      COMPLYWISE_TENANT_SCAN_CONCURRENCY: String(workerCount),
    },
    seedUrls: (urls) => {
      proxy.forwardTo(urls.aws);
      return { ...urls, aws: proxy.url };
    },
    onWorkerLine: (pid, line) => {
      const kind = /"msg":"(scan started|scan part started|scan part collected|scan succeeded)"/.exec(
        line,
      )?.[1];
      if (!kind) return;
      const {
        scan_id: scanId,
        time,
        part,
      } = JSON.parse(line) as { scan_id: string; time: number; part?: string };
      if (kind === 'scan started') startedBy.set(scanId, [...(startedBy.get(scanId) ?? []), { pid, time }]);
      if (kind === 'scan part started')
        partsStartedBy.set(scanId, [...(partsStartedBy.get(scanId) ?? []), { pid, time, part: part! }]);
      if (kind === 'scan part collected')
        collected.set(scanId, (collected.get(scanId) ?? new Set()).add(part!));
      if (kind === 'scan succeeded') finishedBy.set(scanId, pid);
    },
  });
  try {
    const workers = await Promise.all(Array.from({ length: workerCount }, () => env.launch()));
    log(`${workers.length} workers running, ${callsPerSecond} calls per second for the integration`);

    // 1. Every worker scans the integration at once.
    const firstCall = proxy.arrivals.length;
    // This process timestamps the arrivals: how late its event loop ran bounds how many calls a stall
    // of it can make look simultaneous.
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const scans: string[] = [];
    for (let i = 0; i < workerCount; i += 1) scans.push(await env.queueScan());
    // Polled one at a time and slowly, to keep this process (the proxy's) idle.
    const ends: ScanState[] = [];
    for (const scan of scans) ends.push(await env.waitFor(scan, isFinished, 180_000, 250));
    lag.disable();
    const arrivals = proxy.arrivals.slice(firstCall);
    const spanMs = arrivals.length > 1 ? arrivals.at(-1)! - arrivals[0]! : 0;
    const reference = await env.findingsOf(scans[0]!);
    const compared = await Promise.all(
      scans.slice(1).map(async (scan) => compareFindings(reference, await env.findingsOf(scan))),
    );
    // From each scan's first start (a scan whose lease lapsed under load starts again) to its end.
    const firstStarts = scans.map((scan) => startedBy.get(scan)?.[0]);
    const finishedAt = ends.map((end) => end.finished_at?.getTime() ?? Number.NaN);
    const partWorkers = scans.map((scan) => new Set((partsStartedBy.get(scan) ?? []).map((p) => p.pid)));
    const rate: RateResult = {
      scans: scans.length,
      succeeded: ends.filter((end) => end.status === 'succeeded').length,
      distinctWorkers: new Set(partWorkers.flatMap((pids) => [...pids])).size,
      partsPerScan: new Set((partsStartedBy.get(scans[0]!) ?? []).map((p) => p.part)).size,
      fewestWorkersPerScan: Math.min(...partWorkers.map((pids) => pids.size)),
      overlapMs: Math.max(
        0,
        Math.min(...finishedAt) - Math.max(...firstStarts.map((start) => start?.time ?? Number.NaN)),
      ),
      calls: arrivals.length,
      spanMs: Math.round(spanMs),
      meanPerSecond: spanMs > 0 ? ((arrivals.length - 1) * 1000) / spanMs : 0,
      busiestSecond: busiestWindow(arrivals, 1000),
      proxyLagMs: Math.round(lag.max / 1e6),
      lost: compared.reduce((n, c) => n + c.lost, 0),
      duplicated: compared.reduce((n, c) => n + c.duplicatedByKey + c.duplicatedByContent, 0),
      changed: compared.reduce((n, c) => n + c.changed + c.unexpected, 0),
    };
    log(
      `rate: ${rate.scans} scans (${rate.succeeded} succeeded) of ${rate.partsPerScan} parts each, on ` +
        `${rate.distinctWorkers} workers (at least ${rate.fewestWorkersPerScan} per scan), all running ` +
        `together for ${(rate.overlapMs / 1000).toFixed(1)} s; ${rate.calls} calls in ${(rate.spanMs / 1000).toFixed(1)} s, ` +
        `mean ${rate.meanPerSecond.toFixed(2)}/s, busiest second ${rate.busiestSecond} (limit ${callsPerSecond}, ` +
        `proxy lag up to ${rate.proxyLagMs} ms); ` +
        `${reference.length} findings each, lost ${rate.lost}, duplicated ${rate.duplicated}, changed ${rate.changed}`,
    );

    // 2. Kill a worker collecting a part of the scan (the one that planned it when none is); the others finish it.
    const soloRunningMs = ((rate.calls / workerCount) * 1000) / callsPerSecond;
    /** The newest start of a part of the scan not yet collected, by a worker still alive. */
    const holdingPart = (scan: string): Start | undefined =>
      (partsStartedBy.get(scan) ?? [])
        .filter((p) => !collected.get(scan)?.has(p.part!) && [...env.workers].some((w) => w.pid === p.pid))
        .at(-1);
    const trials: ScaleOutTrial[] = [];
    for (let trial = 1; trial <= (options.trials ?? 1); trial += 1) {
      options.signal?.throwIfAborted();
      const scan = await env.queueScan();
      await env.waitFor(scan, (s) => s !== 'queued', 60_000);
      const planner = (await firstStart(startedBy, scan)).pid;
      // Within the first half of a lone scan: its parts are being collected (the finish comes at the end).
      const killAfterMs = Math.round((next() * soloRunningMs) / 2);
      await sleep(killAfterMs);
      // A part may be between two workers at that moment (collected, the next not yet leased): wait for one.
      let holder = holdingPart(scan);
      for (let waited = 0; !holder && waited < 3000; waited += 20) {
        await sleep(20);
        holder = holdingPart(scan);
      }
      const victimPid = holder?.pid ?? planner;
      const victim = [...env.workers].find((w) => w.pid === victimPid);
      if (!victim) throw new Error(`no live worker ${victimPid} runs scan ${scan}`);
      const killedIn = await env.scanState(scan);
      await killHard(victim);
      const killedAt = Date.now();
      const end = await env.waitFor(scan, isFinished, 120_000);
      const recoveredMs = Date.now() - killedAt;
      // The finishing worker logs `scan succeeded` after its commit: the status can be read first.
      for (let waited = 0; end.status === 'succeeded' && !finishedBy.has(scan) && waited < 5000; waited += 50)
        await sleep(50);
      const actual = await env.findingsOf(scan);
      const result: ScaleOutTrial = {
        trial,
        killAfterMs,
        killedIn: killedIn.status === 'running' ? killedIn.phase : killedIn.status,
        recoveredMs,
        status: end.status,
        findings: actual.length,
        ...compareFindings(reference, actual),
        ledgerCompletions: await env.completionsOf(scan),
        victimPid,
        victimPart: holder?.part ?? null,
        finishedByPid: finishedBy.get(scan) ?? null,
      };
      trials.push(result);
      log(
        `${describeTrial(result, end.failure)}; worker ${victimPid} killed ` +
          `${result.victimPart ? `collecting part ${result.victimPart}` : 'holding no part'}, finished by ${result.finishedByPid}`,
      );
      // Back to full strength for the next trial (after the last one the workers are stopped right away).
      if (trial < (options.trials ?? 1)) await env.launch();
    }
    await Promise.all([...env.workers].map((w: ChildProcess) => stopGracefully(w)));

    const totals = totalsOf(trials);
    const killedIn = killsByPhase(trials);
    if (trials.length)
      log(`kills by phase: ${JSON.stringify(killedIn)}\n${describeTotals(trials.length, totals)}`);
    return {
      workers: workerCount,
      callsPerSecond,
      referenceFindings: reference.length,
      rate,
      trials,
      totals,
      killedIn,
    };
  } finally {
    await env.close();
    await proxy.close();
  }
}

/** The first start of the scan (waits a little for its log line to arrive). */
async function firstStart(startedBy: Map<string, Start[]>, scanId: string): Promise<Start> {
  const deadline = Date.now() + 10_000;
  while (!startedBy.get(scanId)?.length) {
    if (Date.now() > deadline) throw new Error(`no worker logged the start of scan ${scanId}`);
    await sleep(10);
  }
  return startedBy.get(scanId)![0]!;
}
