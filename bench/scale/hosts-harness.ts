/**
 * Scan workers on separate test hosts sharing one PostgreSQL queue (issue 18): the same queued workload
 * scanned by 1, 2 and 4 worker processes, each in its own network namespace (bench/scale/netns.ts), against
 * a provider that answers every call after 50-150 ms, so scans wait on the network as real ones do.
 *
 * - **Hosts.** One namespace per worker on a bridge of a private /24. The workers reach PostgreSQL and the
 *   sandbox only over their veth, at the bridge's address: PostgreSQL through a TCP forwarder listening
 *   there (the machine's PostgreSQL listens on 127.0.0.1 only, and its configuration is not ours to change),
 *   the sandbox through the latency proxy listening there. Nothing else is reachable from a host, and the
 *   egress guard allows exactly the proxy's address and port (COMPLYWISE_EGRESS_ALLOW), as an operator would
 *   allow a provider's endpoint.
 * - **Provider latency.** The proxy (bench/scaleout's counting proxy) holds each call for a seeded random
 *   50-150 ms before passing it to the main AWS sandbox, and counts the calls.
 * - **Workload.** Each worker count gets a fresh trial database (the kill -9 bench's environment: the demo
 *   tenant, the product's own worker processes) with `integrations` AWS integrations of the sandbox (the demo
 *   one and copies), each scan split into one part per service. Warm-up: one scan per worker (not timed:
 *   module loading, the rule bundle, first connections). Timed: `scansPerIntegration` scans of every
 *   integration queued at once; from the queueing to the last scan's finish (finished_at). Each worker runs
 *   one part at a time (COMPLYWISE_SCAN_CONCURRENCY=1: a host's capacity), the tenant as many as there are
 *   workers; each integration's call limit is `callsPerSecond`, high enough not to bind here.
 * - **Checks.** Every timed scan's findings are compared with the first run's first timed scan (lost,
 *   duplicated, changed, unexpected, as the kill -9 bench does) and each scan completes once in the ledger;
 *   which host collected each part comes from the workers' "scan part collected" log lines.
 *
 * Namespaces, veths and the bridge are removed in a finally, on the process's exit (bench/scale/netns.ts),
 * and by the next run if this one was killed; the runner (hosts.ts) turns SIGINT/SIGTERM/SIGHUP into an
 * abort that reaches that finally.
 */
import type { ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  compareFindings,
  isFinished,
  openTrialEnvironment,
  random,
  stopGracefully,
  type FindingRow,
  type ScanState,
  type TrialEnvironment,
} from '../kill9/harness.ts';
import { SPLIT_SERVICES, startCountingProxy } from '../scaleout/harness.ts';
import { cpuSeconds } from './harness.ts';
import { createHosts, startTcpForwarder, type NetnsHost } from './netns.ts';

export interface HostsOptions {
  /** A PostgreSQL URL whose user may CREATE DATABASE (each run's database is created beside it). */
  adminUrl: string;
  /** The worker counts, one run each, in order (default 1, 2, 4); the first should be 1 (the ratios' base). */
  workerCounts?: number[];
  /** AWS integrations of the sandbox in the tenant (default 4). */
  integrations?: number;
  /** Timed scans queued per integration (default 4). */
  scansPerIntegration?: number;
  /** AWS services to scan: one part each (default SPLIT_SERVICES). */
  services?: string[];
  /** The provider's latency per call, uniformly between the two, in ms (default 50-150). */
  latencyMs?: readonly [number, number];
  /** Each integration's provider calls per second (default 100: two workers on one integration stay under it). */
  callsPerSecond?: number;
  /** Seed of the latencies (default 18). */
  seed?: number;
  /** Gives up on a run's timed scans after this long (default 20 minutes). */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** Stops the run at its next wait; everything is still cleaned up. */
  signal?: AbortSignal;
}

/** One worker count's run. */
export interface HostsRun {
  workers: number;
  scans: number;
  succeeded: number;
  /** From queueing the timed scans to the last one's finish. */
  wallMs: number;
  scansPerMinute: number;
  /** Scans per minute over the first run's (1 worker). */
  ratio: number;
  /** CPU seconds (user + system) each worker used over the timed scans. */
  cpuSeconds: number[];
  /** CPU seconds of this process over the timed scans (the proxy, the forwarder, the polling). */
  harnessCpuSeconds: number;
  /** Calls that reached the proxy during the timed scans. */
  calls: number;
  /** Parts each host collected in the timed scans, by namespace name. */
  partsByHost: Record<string, number>;
  /** Each worker's network namespace (the /proc/<pid>/ns/net link; differs from this process's). */
  namespaces: string[];
  /** Connections the PostgreSQL forwarder took during the run (the workers' pools). */
  databaseConnections: number;
  warmUpMs: number;
  /** Findings of each timed scan (all alike when nothing is lost). */
  findingsPerScan: number;
  lost: number;
  duplicated: number;
  changed: number;
  unexpected: number;
  /** Scans whose `scan.completed` ledger entries are not exactly one. */
  notCompletedOnce: number;
  /** The longest this process's event loop ran late (the proxy's latency is that much longer at worst). */
  harnessLagMs: number;
  loadAverage: { start: number; end: number };
}

export interface HostsReport {
  bridgeAddress: string;
  latencyMs: readonly [number, number];
  seed: number;
  integrations: number;
  services: string[];
  referenceFindings: number;
  runs: HostsRun[];
}

/** Polls each scan in turn until every one has finished; throws after `timeoutMs` or on abort. */
async function waitForAll(
  env: TrialEnvironment,
  scans: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ScanState[]> {
  const deadline = Date.now() + timeoutMs;
  const ends: ScanState[] = [];
  for (const scan of scans) {
    for (;;) {
      signal?.throwIfAborted();
      const state = await env.scanState(scan);
      if (isFinished(state.status)) {
        ends.push(state);
        break;
      }
      if (Date.now() > deadline) throw new Error(`scan ${scan} still ${state.status} after ${timeoutMs} ms`);
      // Slowly: this process is the proxy and the forwarder too.
      await sleep(250);
    }
  }
  return ends;
}

/** The network namespace a process is in (`net:[inode]`), or '' once it is gone. */
function namespaceOf(pid: number | 'self'): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
}

/** Runs every worker count; see the file comment. Throws with the reason when namespaces are unavailable. */
export async function runHosts(options: HostsOptions): Promise<HostsReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const workerCounts = options.workerCounts ?? [1, 2, 4];
  const integrationCount = options.integrations ?? 4;
  const perIntegration = options.scansPerIntegration ?? 4;
  const services = options.services ?? SPLIT_SERVICES;
  const latencyMs = options.latencyMs ?? [50, 150];
  const seed = options.seed ?? 18;
  const callsPerSecond = options.callsPerSecond ?? 100;
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const next = random(seed);
  const [low, high] = latencyMs;

  const hosts = createHosts(Math.max(...workerCounts));
  try {
    const { bridgeAddress } = hosts;
    const admin = new URL(options.adminUrl);
    const forwarder = await startTcpForwarder(bridgeAddress, {
      host: admin.hostname,
      port: Number(admin.port || 5432),
    });
    const proxy = await startCountingProxy({
      host: bridgeAddress,
      delayMs: () => low + next() * (high - low),
    });
    log(
      `hosts on ${bridgeAddress}/24: PostgreSQL forwarded at ${bridgeAddress}:${forwarder.port}, sandbox ` +
        `behind ${proxy.url} (${low}-${high} ms per call, seed ${seed}); ${integrationCount} integrations x ` +
        `${perIntegration} scans of ${services.length} parts (${services.join(', ')})`,
    );
    try {
      const runs: HostsRun[] = [];
      let reference: FindingRow[] | null = null;
      for (const workers of workerCounts) {
        options.signal?.throwIfAborted();
        const { run, first } = await runOnce({
          ...options,
          workers,
          hostList: hosts.hosts.slice(0, workers),
          integrationCount,
          perIntegration,
          services,
          callsPerSecond,
          timeoutMs,
          forwarder,
          proxy,
          reference,
          log,
        });
        reference ??= first;
        run.ratio = runs.length ? run.scansPerMinute / runs[0]!.scansPerMinute : 1;
        runs.push(run);
      }
      return {
        bridgeAddress,
        latencyMs,
        seed,
        integrations: integrationCount,
        services,
        referenceFindings: reference?.length ?? 0,
        runs,
      };
    } finally {
      await proxy.close();
      await forwarder.close();
    }
  } finally {
    hosts.remove();
  }
}

/** One worker count: a fresh environment, the warm-up, the timed scans, the checks. */
async function runOnce(o: {
  adminUrl: string;
  workers: number;
  hostList: NetnsHost[];
  integrationCount: number;
  perIntegration: number;
  services: string[];
  callsPerSecond: number;
  timeoutMs: number;
  forwarder: Awaited<ReturnType<typeof startTcpForwarder>>;
  proxy: Awaited<ReturnType<typeof startCountingProxy>>;
  reference: FindingRow[] | null;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<{ run: HostsRun; first: FindingRow[] }> {
  // Which worker process collected each part of which scan.
  const collectedBy: { scan: string; pid: number }[] = [];
  const connectionsBefore = o.forwarder.connections();
  const env = await openTrialEnvironment({
    adminUrl: o.adminUrl,
    services: o.services,
    workerEnv: {
      LOG_LEVEL: 'info',
      COMPLYWISE_SCAN_CALLS_PER_SECOND: String(o.callsPerSecond),
      COMPLYWISE_SCAN_CONCURRENCY: '1',
      COMPLYWISE_TENANT_SCAN_CONCURRENCY: String(o.workers),
    },
    // The tenant's integrations point at the proxy on the bridge; the allowlist follows from them.
    seedUrls: (urls) => {
      o.proxy.forwardTo(urls.aws);
      return { ...urls, aws: o.proxy.url };
    },
    onWorkerLine: (pid, line) => {
      if (!line.includes('"msg":"scan part collected"')) return;
      const { scan_id: scan } = JSON.parse(line) as { scan_id: string };
      collectedBy.push({ scan, pid });
    },
  });
  try {
    const integrationIds = [env.integrationId];
    for (let i = 2; i <= o.integrationCount; i += 1)
      integrationIds.push(await env.addIntegration(`Sandbox account copy ${i}`));
    // The workers' database is the trial one, reached at the forwarder on the bridge.
    const workerDatabase = new URL(env.databaseUrl);
    workerDatabase.hostname = o.forwarder.host;
    workerDatabase.port = String(o.forwarder.port);
    const hostOf = new Map<number, string>();
    const workers: ChildProcess[] = await Promise.all(
      o.hostList.map(async (host) => {
        const child = await env.launch({ wrap: host.wrap, env: { DATABASE_URL: workerDatabase.toString() } });
        hostOf.set(child.pid!, host.name);
        return child;
      }),
    );
    const namespaces = workers.map((w) => namespaceOf(w.pid!));
    if (namespaces.some((ns) => !ns || ns === namespaceOf('self')))
      throw new Error(`a worker is not in its own network namespace: ${namespaces.join(', ')}`);

    const warmUpStart = Date.now();
    const warmUp: string[] = [];
    for (let i = 0; i < o.workers; i += 1)
      warmUp.push(await env.queueScan(integrationIds[i % integrationIds.length]));
    const warmEnds = await waitForAll(env, warmUp, o.timeoutMs, o.signal);
    if (warmEnds.some((end) => end.status !== 'succeeded'))
      throw new Error(
        `a warm-up scan did not succeed: ${warmEnds.map((e) => e.failure ?? e.status).join('; ')}`,
      );
    const warmUpMs = Date.now() - warmUpStart;

    // The timed scans: every integration's, interleaved, queued at once.
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const loadStart = loadavg()[0]!;
    const cpuStart = workers.map((w) => cpuSeconds(w.pid!));
    const harnessStart = cpuSeconds('self');
    const firstCall = o.proxy.arrivals.length;
    const queuedAt = Date.now();
    const scans: string[] = [];
    for (let round = 0; round < o.perIntegration; round += 1)
      for (const id of integrationIds) scans.push(await env.queueScan(id));
    const ends = await waitForAll(env, scans, o.timeoutMs, o.signal);
    const lastFinish = Math.max(...ends.map((end) => end.finished_at?.getTime() ?? Date.now()));
    const cpuEnd = workers.map((w) => cpuSeconds(w.pid!));
    const harnessEnd = cpuSeconds('self');
    const calls = o.proxy.arrivals.length - firstCall;
    lag.disable();
    const loadEnd = loadavg()[0]!;
    const wallMs = lastFinish - queuedAt;

    const first = await env.findingsOf(scans[0]!);
    const reference = o.reference ?? first;
    let lost = 0;
    let duplicated = 0;
    let changed = 0;
    let unexpected = 0;
    let notCompletedOnce = 0;
    for (const scan of scans) {
      const c = compareFindings(reference, await env.findingsOf(scan));
      lost += c.lost;
      duplicated += c.duplicatedByKey + c.duplicatedByContent;
      changed += c.changed;
      unexpected += c.unexpected;
      if ((await env.completionsOf(scan)) !== 1) notCompletedOnce += 1;
    }
    const timed = new Set(scans);
    const partsByHost: Record<string, number> = Object.fromEntries(o.hostList.map((h) => [h.name, 0]));
    for (const { scan, pid } of collectedBy) {
      const host = hostOf.get(pid);
      if (timed.has(scan) && host) partsByHost[host] = (partsByHost[host] ?? 0) + 1;
    }
    await Promise.all(workers.map((w) => stopGracefully(w)));

    const run: HostsRun = {
      workers: o.workers,
      scans: scans.length,
      succeeded: ends.filter((end) => end.status === 'succeeded').length,
      wallMs,
      scansPerMinute: (scans.length * 60_000) / wallMs,
      ratio: 1,
      cpuSeconds: cpuEnd.map((end, i) => end - cpuStart[i]!),
      harnessCpuSeconds: harnessEnd - harnessStart,
      calls,
      partsByHost,
      namespaces,
      databaseConnections: o.forwarder.connections() - connectionsBefore,
      warmUpMs,
      findingsPerScan: first.length,
      lost,
      duplicated,
      changed,
      unexpected,
      notCompletedOnce,
      harnessLagMs: Math.round(lag.max / 1e6),
      loadAverage: { start: loadStart, end: loadEnd },
    };
    o.log(describeRun(run));
    return { run, first };
  } finally {
    await env.close();
  }
}

/** One line per run, as it finishes. */
export function describeRun(run: HostsRun): string {
  return (
    `${run.workers} worker(s): ${run.succeeded}/${run.scans} scans in ${(run.wallMs / 1000).toFixed(1)} s ` +
    `(${run.scansPerMinute.toFixed(1)}/min), ${run.calls} calls, CPU ${run.cpuSeconds.map((s) => s.toFixed(1)).join(' / ')} s, ` +
    `parts by host ${JSON.stringify(run.partsByHost)}, ${run.findingsPerScan} findings per scan, lost ${run.lost}, ` +
    `duplicated ${run.duplicated}, changed ${run.changed}, unexpected ${run.unexpected}, ` +
    `not completed once ${run.notCompletedOnce}; warm-up ${(run.warmUpMs / 1000).toFixed(1)} s, ` +
    `harness CPU ${run.harnessCpuSeconds.toFixed(1)} s, lag up to ${run.harnessLagMs} ms, ` +
    `load ${run.loadAverage.start.toFixed(1)} -> ${run.loadAverage.end.toFixed(1)}`
  );
}

/** The report as a markdown table, one row per worker count. */
export function describeHosts(report: HostsReport): string {
  const rows = report.runs.map((r) => {
    const cpu = r.cpuSeconds.reduce((a, b) => a + b, 0) / r.cpuSeconds.length;
    return (
      `| ${r.workers} | ${r.succeeded}/${r.scans} | ${(r.wallMs / 1000).toFixed(1)} | ${r.scansPerMinute.toFixed(1)} | ` +
      `${r.ratio.toFixed(2)}x | ${cpu.toFixed(1)} (${r.cpuSeconds.map((s) => s.toFixed(1)).join(', ')}) | ` +
      `${r.calls} | ${Object.values(r.partsByHost).join(' / ')} | ${r.lost} / ${r.duplicated + r.notCompletedOnce} / ${r.changed + r.unexpected} | ` +
      `${r.loadAverage.start.toFixed(1)} -> ${r.loadAverage.end.toFixed(1)} |`
    );
  });
  return [
    '| workers | scans | wall s | scans/min | ratio to 1 | CPU s per worker (each) | calls at the sandbox | parts per host | lost / duplicated / changed | load |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
