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
 * 2. Each kill trial queues one scan and aims the kill at one of its parts, or at its finish, chosen at
 *    random: it waits for that part's "scan part started" line (the finish: the "scan part collected" line
 *    of the part recorded last, whose worker finishes the scan), then for a random share of how long that
 *    part (the finish) took so far in this run, and SIGKILLs the worker doing it. When the target is done
 *    by then, the kill falls back to a worker still collecting a part, then the finishing worker. The
 *    remaining workers finish the scan (the part is retried alone once its lease lapses). Where the kill
 *    landed (the part or finish the victim was in, how far into it) and the time from the kill to the
 *    scan's success are reported per trial and summed up; the findings are compared with the reference as
 *    in the kill -9 bench; then a fresh worker replaces the killed one.
 *
 * The proxy counts calls for the whole run, kill trials included (each trial's scan still has its parts
 * collected by several workers at once): the busiest second is reported for the rate phase and the run.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
import {
  LOOP_DELAY_RESOLUTION_MS,
  sampleLoopDelayEachSecond,
  type CallSlotLine,
} from '../../api/src/scans/call-slot-log.ts';

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
  /** Seed for the kill targets and delays (default: random). */
  seed?: number;
  /** Aim some kills at the scan's finish too (default true; false: every kill aims at a part). */
  finishKills?: boolean;
  /**
   * The latest a kill may land, as a share of the target's usual time (default 1). The suite's single trial
   * kills early, so the part is still running when the kill lands however fast the machine is.
   */
  latestShare?: number;
  /** Per-line progress output (default: stdout). */
  log?: (line: string) => void;
  /** Stops the run between trials (the database and workers are still cleaned up). */
  signal?: AbortSignal;
  /**
   * Test only: the calls per second the workers are configured with, when it should differ from the limit
   * checked (`callsPerSecond`). Four times the limit stands for one limiter per
   * process, to show the checks catch a broken limit.
   */
  workerCallsPerSecond?: number;
}

/**
 * The limit where it is decided, from the slots the workers' limiters granted (their slot logs, see
 * api/src/scans/call-slot-log.ts), and end to end at the proxy against a bound for how late calls arrived.
 */
export interface GrantedRate {
  /** Calls the limiters let through, over every worker. */
  grants: number;
  /** The most granted slots of one integration within any one second (slots are exact: database times). */
  grantedBusiestSecond: number;
  /** The closest two granted slots of one integration (ms; the interval at least). */
  closestSlotsMs: number;
  /** The latest a worker let a call go after the start of its slot (ms). */
  grantLateMs: number;
  /** The longest a worker's event loop was late once it had granted calls: a call granted meanwhile goes late. */
  workerLagMs: number;
  /**
   * The most any call can have reached the proxy after the start of its slot: grantLateMs, workerLagMs and the
   * proxy's lag, each stall read up to one sampling period short, and a timer's early millisecond.
   */
  arrivalLateMs: number;
  /**
   * Sliding seconds at the proxy with more calls than their bound, each bound from the lateness measured
   * around that second (`busiestSecondBound`): 0 when the limit held end to end.
   */
  windowsOverBound: number;
  /** The second at the proxy nearest to (or furthest over) its bound: its calls, bound and lateness. */
  tightest: { calls: number; bound: number; lateMs: number };
}

/** The longest event-loop delay of a process over each second (`at`: the end of the second, ms since the epoch). */
export interface LagSample {
  at: number;
  maxMs: number;
}

/** Samples the longest event-loop delay of this process each second, until stopped. */
export function sampleEventLoopLag(): { samples: LagSample[]; stop(): void } {
  const samples: LagSample[] = [];
  const stop = sampleLoopDelayEachSecond((at, maxMs) => samples.push({ at, maxMs }));
  return { samples, stop };
}

/** The longest delay of the samples taken in [from, to] (a second's sample comes at its end), in whole ms. */
function longestLag(samples: readonly LagSample[], from = -Infinity, to = Infinity): number {
  return Math.round(Math.max(0, ...samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.maxMs)));
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
  /** What the limiters granted in the phase, and the most late a call can have arrived. */
  granted: GrantedRate;
  /** Findings of the other scans compared with the reference (the first scan). */
  lost: number;
  duplicated: number;
  changed: number;
}

/** The whole run at the proxy (rate phase and kill trials): the limit must hold in every second of it. */
export interface RunRate {
  calls: number;
  /** The most calls within any one second, the window sliding from each arrival. */
  busiestSecond: number;
  /** The most calls within one second of the wall clock (whole seconds since the epoch), for comparison. */
  busiestClockSecond: number;
  /** Seconds of the wall clock with more calls than the limit, of all seconds that saw a call. */
  clockSecondsOverLimit: number;
  clockSecondsWithCalls: number;
  /** The longest the proxy's event loop was late over the run. */
  proxyLagMs: number;
  /** What the limiters granted over the run, and the most late a call can have arrived. */
  granted: GrantedRate;
}

/**
 * What the killed worker was doing: collecting a part (`part`), finishing the scan (`finish`: every part
 * recorded, its results not yet committed), past the commit (`committed`: the scan had succeeded, the job
 * not yet acknowledged) or nothing of the scan (`idle`).
 */
export type KillLanding = 'part' | 'finish' | 'committed' | 'idle';

export interface ScaleOutTrial extends TrialResult {
  /** What the kill aimed at: a part key or `finish`. */
  target: string;
  landing: KillLanding;
  /** The worker killed, the part it was collecting (null: none at that moment), and the one that finished the scan. */
  victimPid: number;
  victimPart: string | null;
  /** How long the victim had been in its part (or the finish) when killed, and that as a share of how long it took so far in the run. */
  intoMs: number | null;
  intoShare: number | null;
  /** Parts of the scan recorded when the kill came. */
  partsDone: number;
  finishedByPid: number | null;
}

/** Where the kills landed and how long the scans took to succeed after them. */
export interface KillSummary {
  /** Kills per landing: `part <key>`, `finish`, `committed` or `idle`. */
  landedIn: Record<string, number>;
  /** Kills in a part or the finish, by how far into it: first, second and last third of its usual time. */
  thirds: [number, number, number];
  /** Kills whose target was done already, so the kill fell back to other work (or none). */
  missedTarget: number;
  /** Kill to scan succeeded (ms), over every trial and per landing. */
  recovered: { mean: number; min: number; max: number };
  recoveredByLanding: Record<string, { mean: number; min: number; max: number }>;
}

export interface ScaleOutReport {
  workers: number;
  callsPerSecond: number;
  referenceFindings: number;
  rate: RateResult;
  run: RunRate;
  trials: ScaleOutTrial[];
  totals: Kill9Report['totals'];
  killedIn: Record<string, number>;
  kills: KillSummary;
}

/** The default services: a scan of four parts (one per service), short at the default limit. */
export const SPLIT_SERVICES = ['s3', 'iam', 'kms', 'cloudtrail'];

/** A worker's log line about a scan: its process and time (ms since the epoch). */
interface WorkerEvent {
  kind: 'scan started' | 'scan part started' | 'scan part collected' | 'scan succeeded';
  pid: number;
  time: number;
  /** The part, for a part's lines. */
  part?: string;
  /** A part's recording: `last` when it completed the set (this worker then finishes the scan). */
  recorded?: string;
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
 * The most calls one second may show at the proxy when slots are one interval apart and each call arrives
 * at most `lateMs` after the start of its slot: the calls of the slots in that second and in the `lateMs`
 * before it. A call let go within its interval (lateMs about one interval) gives the limit plus one at a
 * window's edge; every further interval of delay, from a stalled worker or proxy, one more.
 */
export function busiestSecondBound(callsPerSecond: number, lateMs: number): number {
  return callsPerSecond + Math.ceil((lateMs * callsPerSecond) / 1000);
}

/** Floating-point slack for slot times (ms since the epoch as float8, microseconds in the database). */
const SLOT_EPSILON_MS = 0.01;

/** The lines of every worker's slot log in `dir`, per worker (a line cut off by a kill is skipped). */
export async function readSlotLogs(dir: string): Promise<CallSlotLine[][]> {
  const logs: CallSlotLine[][] = [];
  for (const name of await readdir(dir)) {
    const lines: CallSlotLine[] = [];
    for (const text of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      try {
        if (text) lines.push(JSON.parse(text) as CallSlotLine);
      } catch {
        // Only the last line of a killed worker can be partial.
      }
    }
    logs.push(lines);
  }
  return logs;
}

/** Times (sorted) with a value each: the largest value at a time within [from, to], 0 if none. */
class TimedMax {
  readonly #entries: { at: number; value: number }[];
  constructor(entries: { at: number; value: number }[]) {
    this.#entries = [...entries].sort((a, b) => a.at - b.at);
  }
  get max(): number {
    return Math.max(0, ...this.#entries.map((e) => e.value));
  }
  within(from: number, to: number): number {
    let lo = 0;
    let hi = this.#entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#entries[mid]!.at < from) lo = mid + 1;
      else hi = mid;
    }
    let most = 0;
    for (let i = lo; i < this.#entries.length && this.#entries[i]!.at <= to; i += 1)
      most = Math.max(most, this.#entries[i]!.value);
    return most;
  }
}

/** A measured stall, read up to one sampling period short. */
const sampled = (ms: number) => (ms > 0 ? ms + LOOP_DELAY_RESOLUTION_MS : 0);
/** How late a call can arrive after its slot, from the stalls that can have delayed it (see GrantedRate). */
const lateness = (grantLateMs: number, workerLagMs: number, proxyLagMs: number) =>
  // A timer may fire up to a millisecond early.
  Math.ceil(grantLateMs + sampled(workerLagMs) + sampled(proxyLagMs) + 1);

/**
 * The rate checks for calls granted and arriving between `from` and `to` (ms since the epoch). Exact: the
 * granted slots of each integration in any one second. End to end: each sliding second at the proxy against
 * busiestSecondBound with the lateness measured around it. A call arriving in [t, t + 1 s) was granted at
 * most the run's largest lateness before t, and the stalls that delayed it ended between its grant and its
 * arrival (a stall is sampled at the end of the second it ended in, so up to a second later): the second's
 * lateness is the latest grant and the longest worker and proxy stalls of that span. That lateness bounds
 * the span again, so it is read anew over the shorter span until it shrinks no more.
 */
export function grantedRate(
  logs: CallSlotLine[][],
  arrivals: number[],
  proxyLag: LagSample[],
  from: number,
  to: number,
  callsPerSecond: number,
): GrantedRate {
  const slots = new Map<string, number[]>();
  const grantLate: { at: number; value: number }[] = [];
  const workerLag: { at: number; value: number }[] = [];
  for (const lines of logs) {
    const mine = lines.flatMap((l) =>
      l.kind === 'grant' && l.granted_at >= from && l.granted_at <= to ? [l] : [],
    );
    for (const g of mine) {
      slots.set(g.integration, [...(slots.get(g.integration) ?? []), g.slot_at]);
      grantLate.push({ at: g.granted_at, value: g.granted_at - g.slot_at });
    }
    // Stalls from the worker's first grant on (before it, at start-up, they delay no call); a second's line
    // is written at its end, so the one after `to` still counts.
    const firstGrant = mine[0]?.granted_at ?? Number.POSITIVE_INFINITY;
    for (const l of lines)
      if (l.kind === 'loop' && l.at >= firstGrant && l.at <= to + 1000)
        workerLag.push({ at: l.at, value: l.max_delay_ms });
  }
  let grantedBusiestSecond = 0;
  let closestSlotsMs = Number.POSITIVE_INFINITY;
  for (const times of slots.values()) {
    times.sort((a, b) => a - b);
    grantedBusiestSecond = Math.max(grantedBusiestSecond, busiestWindow(times, 1000 - SLOT_EPSILON_MS));
    for (let i = 1; i < times.length; i += 1)
      closestSlotsMs = Math.min(closestSlotsMs, times[i]! - times[i - 1]!);
  }
  const grants = new TimedMax(grantLate);
  const workers = new TimedMax(workerLag);
  const proxy = new TimedMax(
    proxyLag.filter((p) => p.at >= from && p.at <= to + 1000).map((p) => ({ at: p.at, value: p.maxMs })),
  );
  const arrivalLateMs = lateness(grants.max, workers.max, proxy.max);
  // Each sliding second at the proxy against its own bound.
  const sorted = arrivals.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let windowsOverBound = 0;
  let tightest = {
    calls: 0,
    bound: busiestSecondBound(callsPerSecond, arrivalLateMs),
    lateMs: arrivalLateMs,
  };
  let last = 0;
  for (let first = 0; first < sorted.length; first += 1) {
    const t = sorted[first]!;
    while (last < sorted.length && sorted[last]! < t + 1000) last += 1;
    const calls = last - first;
    // Narrowed while it shrinks: each lateness bounds the span the next one is read from.
    let lateMs = arrivalLateMs;
    for (;;) {
      const narrower = lateness(
        grants.within(t - lateMs, t + 1000),
        workers.within(t - lateMs, t + 2000 + lateMs),
        proxy.within(t - lateMs, t + 2000 + lateMs),
      );
      if (narrower >= lateMs) break;
      lateMs = narrower;
    }
    const bound = busiestSecondBound(callsPerSecond, lateMs);
    if (calls > bound) windowsOverBound += 1;
    if (calls - bound > tightest.calls - tightest.bound) tightest = { calls, bound, lateMs };
  }
  return {
    grants: grantLate.length,
    grantedBusiestSecond,
    closestSlotsMs: Number.isFinite(closestSlotsMs) ? Math.round(closestSlotsMs * 1000) / 1000 : 0,
    grantLateMs: Math.round(grants.max),
    workerLagMs: Math.round(workers.max),
    arrivalLateMs,
    windowsOverBound,
    tightest,
  };
}

/** The lines on the granted slots and the proxy's seconds against their bounds, for the bench output. */
export function describeGranted(g: GrantedRate, callsPerSecond: number, busiestAtProxy: number): string {
  return (
    `granted ${g.grants} slots, busiest second ${g.grantedBusiestSecond} (limit ${callsPerSecond}), closest ` +
    `${g.closestSlotsMs} ms apart; calls let go up to ${g.grantLateMs} ms after their slot, worker lag up to ` +
    `${g.workerLagMs} ms\n  at the proxy: busiest second ${busiestAtProxy}, bound ` +
    `${busiestSecondBound(callsPerSecond, g.arrivalLateMs)} with the whole lateness (${g.arrivalLateMs} ms); ` +
    `${g.windowsOverBound} sliding seconds over the bound of the lateness around them, the tightest ${g.tightest.calls} ` +
    `calls against ${g.tightest.bound} (${g.tightest.lateMs} ms)`
  );
}

/** The arrivals within each whole second of the wall clock that saw any. */
export function callsPerClockSecond(arrivals: number[]): number[] {
  const perSecond = new Map<number, number>();
  for (const t of arrivals)
    perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  return [...perSecond.values()];
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

/** The median of some durations (ms), or `fallback` when there are none. */
function median(values: number[], fallback: number): number {
  if (values.length === 0) return fallback;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Mean, min and max of some durations (ms); zeros when there are none. */
function spread(values: number[]): { mean: number; min: number; max: number } {
  if (values.length === 0) return { mean: 0, min: 0, max: 0 };
  return {
    mean: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** A trial's landing as the summary counts it: `part s3`, `finish`, … */
const landingLabel = (t: ScaleOutTrial) => (t.landing === 'part' ? `part ${t.victimPart}` : t.landing);

/** Where the trials' kills landed and how long their scans took to succeed after them. */
export function summarizeKills(trials: ScaleOutTrial[]): KillSummary {
  const landedIn: Record<string, number> = {};
  const byLanding = new Map<string, number[]>();
  const thirds: [number, number, number] = [0, 0, 0];
  for (const t of trials) {
    const label = landingLabel(t);
    landedIn[label] = (landedIn[label] ?? 0) + 1;
    byLanding.set(label, [...(byLanding.get(label) ?? []), t.recoveredMs]);
    // A part that ran longer than usual counts in the last third.
    if (t.intoShare !== null) thirds[Math.min(2, Math.floor(t.intoShare * 3)) as 0 | 1 | 2] += 1;
  }
  return {
    landedIn,
    thirds,
    missedTarget: trials.filter((t) =>
      t.target === 'finish' ? t.landing !== 'finish' : t.victimPart !== t.target,
    ).length,
    recovered: spread(trials.map((t) => t.recoveredMs)),
    recoveredByLanding: Object.fromEntries([...byLanding].map(([label, ms]) => [label, spread(ms)])),
  };
}

/** The closing lines of the kill trials: landings, thirds, misses, kill to success. */
export function describeKills(summary: KillSummary): string {
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const per = Object.entries(summary.recoveredByLanding)
    .map(([label, r]) => `${label} ${summary.landedIn[label]}: mean ${s(r.mean)} s (${s(r.min)}-${s(r.max)})`)
    .join('; ');
  return (
    `kills landed in: ${JSON.stringify(summary.landedIn)}; by third of the part or finish: ` +
    `${summary.thirds.join(' / ')}; target already done (fell back): ${summary.missedTarget}\n` +
    `kill to scan succeeded: mean ${s(summary.recovered.mean)} s (min ${s(summary.recovered.min)}, ` +
    `max ${s(summary.recovered.max)}); ${per}`
  );
}

/** Runs the rate phase and the kill trials; see the file comment. */
export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const workerCount = options.workers ?? 4;
  const callsPerSecond = options.callsPerSecond ?? 20;
  const next = random(options.seed ?? randomBytes(4).readUInt32LE());
  const proxy = await startCountingProxy();
  const slotDir = await mkdtemp(join(tmpdir(), 'complywise-call-slots-'));
  // Each scan's worker log lines in the order they came: which worker process started it (a retried scan is
  // started again), started and recorded each part, and finished it.
  const events = new Map<string, WorkerEvent[]>();
  const eventsOf = (scan: string, kind: WorkerEvent['kind']) =>
    (events.get(scan) ?? []).filter((e) => e.kind === kind);
  const env = await openTrialEnvironment({
    adminUrl: options.adminUrl,
    services: options.services ?? SPLIT_SERVICES,
    workerEnv: {
      LOG_LEVEL: 'info',
      COMPLYWISE_SCAN_CALLS_PER_SECOND: String(options.workerCallsPerSecond ?? callsPerSecond),
      COMPLYWISE_BENCH_CALL_SLOT_DIR: slotDir,
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
      )?.[1] as WorkerEvent['kind'] | undefined;
      if (!kind) return;
      const parsed = JSON.parse(line) as { scan_id: string; time: number; part?: string; recorded?: string };
      const event: WorkerEvent = { kind, pid, time: parsed.time };
      if (parsed.part !== undefined) event.part = parsed.part;
      if (parsed.recorded !== undefined) event.recorded = parsed.recorded;
      events.set(parsed.scan_id, [...(events.get(parsed.scan_id) ?? []), event]);
    },
  });
  // This process timestamps the arrivals: how late its event loop ran bounds how many calls a stall of it
  // can make look simultaneous. Sampled each second, read for the rate phase and for the whole run.
  const proxyLag = sampleEventLoopLag();
  try {
    const workers = await Promise.all(Array.from({ length: workerCount }, () => env.launch()));
    log(`${workers.length} workers running, ${callsPerSecond} calls per second for the integration`);

    // 1. Every worker scans the integration at once.
    const firstCall = proxy.arrivals.length;
    const phaseStart = Date.now();
    const scans: string[] = [];
    for (let i = 0; i < workerCount; i += 1) scans.push(await env.queueScan());
    // Polled one at a time and slowly, to keep this process (the proxy's) idle.
    const ends: ScanState[] = [];
    for (const scan of scans) ends.push(await env.waitFor(scan, isFinished, 180_000, 250));
    const phaseEnd = Date.now();
    const proxyLagMs = longestLag(proxyLag.samples, phaseStart, phaseEnd + 1000);
    const arrivals = proxy.arrivals.slice(firstCall);
    const spanMs = arrivals.length > 1 ? arrivals.at(-1)! - arrivals[0]! : 0;
    const reference = await env.findingsOf(scans[0]!);
    const compared = await Promise.all(
      scans.slice(1).map(async (scan) => compareFindings(reference, await env.findingsOf(scan))),
    );
    // From each scan's first start (a scan whose lease lapsed under load starts again) to its end.
    const firstStarts = scans.map((scan) => eventsOf(scan, 'scan started')[0]);
    const finishedAt = ends.map((end) => end.finished_at?.getTime() ?? Number.NaN);
    const partWorkers = scans.map((scan) => new Set(eventsOf(scan, 'scan part started').map((p) => p.pid)));
    const rate: RateResult = {
      scans: scans.length,
      succeeded: ends.filter((end) => end.status === 'succeeded').length,
      distinctWorkers: new Set(partWorkers.flatMap((pids) => [...pids])).size,
      partsPerScan: new Set(eventsOf(scans[0]!, 'scan part started').map((p) => p.part)).size,
      fewestWorkersPerScan: Math.min(...partWorkers.map((pids) => pids.size)),
      overlapMs: Math.max(
        0,
        Math.min(...finishedAt) - Math.max(...firstStarts.map((start) => start?.time ?? Number.NaN)),
      ),
      calls: arrivals.length,
      spanMs: Math.round(spanMs),
      meanPerSecond: spanMs > 0 ? ((arrivals.length - 1) * 1000) / spanMs : 0,
      busiestSecond: busiestWindow(arrivals, 1000),
      proxyLagMs,
      granted: grantedRate(
        await readSlotLogs(slotDir),
        arrivals,
        proxyLag.samples,
        phaseStart,
        phaseEnd,
        callsPerSecond,
      ),
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
    log(`rate phase, ${describeGranted(rate.granted, callsPerSecond, rate.busiestSecond)}`);

    // 2. Kill a worker collecting a part of the scan, or finishing it; the others finish it.
    const parts = [...new Set(eventsOf(scans[0]!, 'scan part started').map((p) => p.part!))].sort();
    const targets = options.finishKills === false ? parts : [...parts, 'finish'];
    // How long each part, and the finish, took undisturbed so far (start to recorded by the same worker).
    const took = new Map<string, number[]>();
    const observe = (scan: string) => {
      const seen = events.get(scan) ?? [];
      for (const done of seen.filter((e) => e.kind === 'scan part collected')) {
        const start = seen.findLast(
          (e) =>
            e.kind === 'scan part started' &&
            e.pid === done.pid &&
            e.part === done.part &&
            e.time <= done.time,
        );
        if (start) took.set(done.part!, [...(took.get(done.part!) ?? []), done.time - start.time]);
        const succeeded = seen.find((e) => e.kind === 'scan succeeded' && e.pid === done.pid);
        if (done.recorded === 'last' && succeeded)
          took.set('finish', [...(took.get('finish') ?? []), succeeded.time - done.time]);
      }
    };
    for (const scan of scans) observe(scan);
    log(
      `usual times in the rate phase (median, s): ` +
        targets.map((t) => `${t} ${(median(took.get(t) ?? [], 0) / 1000).toFixed(1)}`).join(', '),
    );
    const alive = (pid: number) => [...env.workers].some((w) => w.pid === pid);
    /** When the target began for the scan (its worker and time), waiting for it up to `timeoutMs`. */
    const targetBegun = async (scan: string, target: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const begun =
          target === 'finish'
            ? eventsOf(scan, 'scan part collected').find((e) => e.recorded === 'last')
            : eventsOf(scan, 'scan part started').find((e) => e.part === target);
        if (begun || Date.now() > deadline) return begun;
        await sleep(10);
      }
    };
    /** What the worker is doing for the scan now, by its log lines. */
    const doingNow = (
      scan: string,
      pid: number,
    ): { landing: KillLanding; part: string | null; since: number } => {
      const mine = (events.get(scan) ?? []).filter((e) => e.pid === pid);
      const last = mine.at(-1);
      if (last?.kind === 'scan part started') return { landing: 'part', part: last.part!, since: last.time };
      if (last?.kind === 'scan part collected' && last.recorded === 'last')
        return { landing: 'finish', part: null, since: last.time };
      if (last?.kind === 'scan succeeded') return { landing: 'committed', part: null, since: last.time };
      return { landing: 'idle', part: null, since: last?.time ?? Date.now() };
    };

    const trials: ScaleOutTrial[] = [];
    for (let trial = 1; trial <= (options.trials ?? 1); trial += 1) {
      // Stopped: report the trials made so far.
      if (options.signal?.aborted) {
        log(`stopped after ${trial - 1} trials`);
        break;
      }
      const target = targets[Math.floor(next() * targets.length)]!;
      const share = next() * (options.latestShare ?? 1);
      const scan = await env.queueScan();
      const begun = await targetBegun(scan, target, 120_000);
      // A random share of how long the target took so far (from the rate phase on), counted from its start.
      const usualMs = median(took.get(target) ?? [], 1000);
      const killAfterMs = Math.round(share * usualMs);
      if (begun) await sleep(Math.max(0, begun.time + killAfterMs - Date.now()));
      // The victim: the target's worker while it is at it; else one still collecting a part (the newest
      // start), the one finishing the scan, or the one that finished it; else the target's or the planner.
      let victimPid = begun?.pid;
      let doing = victimPid === undefined ? null : doingNow(scan, victimPid);
      const onTarget =
        doing &&
        (target === 'finish' ? doing.landing === 'finish' : doing.part === target) &&
        alive(victimPid!);
      if (!onTarget) {
        const busy = [...env.workers]
          .map((w) => ({ pid: w.pid!, doing: doingNow(scan, w.pid!) }))
          .sort((a, b) => b.doing.since - a.doing.since);
        const fallback =
          busy.find((w) => w.doing.landing === 'part') ??
          busy.find((w) => w.doing.landing === 'finish') ??
          busy.find((w) => w.doing.landing === 'committed');
        if (fallback) ({ pid: victimPid, doing } = fallback);
      }
      victimPid ??= eventsOf(scan, 'scan started')[0]?.pid;
      const victim = [...env.workers].find((w) => w.pid === victimPid);
      if (!victim) throw new Error(`no live worker ${victimPid} runs scan ${scan}`);
      doing = doingNow(scan, victim.pid!);
      const killedIn = await env.scanState(scan);
      const partsDone = new Set(eventsOf(scan, 'scan part collected').map((e) => e.part)).size;
      await killHard(victim);
      const killedAt = Date.now();
      const end = await env.waitFor(scan, isFinished, 120_000);
      const recoveredMs = Date.now() - killedAt;
      // The finishing worker logs `scan succeeded` after its commit: the status can be read first.
      const finisher = () => eventsOf(scan, 'scan succeeded').at(-1)?.pid;
      for (let waited = 0; end.status === 'succeeded' && !finisher() && waited < 5000; waited += 50)
        await sleep(50);
      const actual = await env.findingsOf(scan);
      const inWork = doing.landing === 'part' || doing.landing === 'finish';
      const intoMs = inWork ? Math.max(0, killedAt - doing.since) : null;
      const result: ScaleOutTrial = {
        trial,
        killAfterMs,
        killedIn: killedIn.status === 'running' ? killedIn.phase : killedIn.status,
        recoveredMs,
        status: end.status,
        findings: actual.length,
        ...compareFindings(reference, actual),
        ledgerCompletions: await env.completionsOf(scan),
        target,
        landing: doing.landing,
        victimPid: victim.pid!,
        victimPart: doing.part,
        intoMs,
        intoShare:
          intoMs === null
            ? null
            : intoMs / median(took.get(doing.part ?? 'finish') ?? [], Number.POSITIVE_INFINITY),
        partsDone,
        finishedByPid: finisher() ?? null,
      };
      trials.push(result);
      log(
        `${describeTrial(result, end.failure)}; aimed at ${target}, worker ${result.victimPid} killed ` +
          (inWork
            ? `${doing.part ? `collecting part ${doing.part}` : 'finishing the scan'} ${(intoMs! / 1000).toFixed(1)} s in ` +
              `(${Math.round(result.intoShare! * 100)}% of its usual time)`
            : doing.landing === 'committed'
              ? 'after the scan was committed'
              : 'holding no part') +
          ` with ${partsDone} of ${parts.length} parts recorded, finished by ${result.finishedByPid}`,
      );
      observe(scan);
      // Back to full strength for the next trial (after the last one the workers are stopped right away).
      if (trial < (options.trials ?? 1) && !options.signal?.aborted) await env.launch();
    }
    await Promise.all([...env.workers].map((w: ChildProcess) => stopGracefully(w)));
    proxyLag.stop();

    const perClockSecond = callsPerClockSecond(proxy.arrivals);
    const runProxyLagMs = longestLag(proxyLag.samples);
    const run: RunRate = {
      calls: proxy.arrivals.length,
      busiestSecond: busiestWindow(proxy.arrivals, 1000),
      busiestClockSecond: Math.max(0, ...perClockSecond),
      clockSecondsOverLimit: perClockSecond.filter((n) => n > callsPerSecond).length,
      clockSecondsWithCalls: perClockSecond.length,
      proxyLagMs: runProxyLagMs,
      granted: grantedRate(
        await readSlotLogs(slotDir),
        proxy.arrivals,
        proxyLag.samples,
        0,
        Date.now(),
        callsPerSecond,
      ),
    };
    log(
      `whole run at the proxy: ${run.calls} calls, busiest second ${run.busiestSecond} sliding, ` +
        `${run.busiestClockSecond} by the clock's seconds (${run.clockSecondsOverLimit} of ${run.clockSecondsWithCalls} ` +
        `seconds over the limit; limit ${callsPerSecond}; proxy lag up to ${run.proxyLagMs} ms)\n` +
        `whole run, ${describeGranted(run.granted, callsPerSecond, run.busiestSecond)}`,
    );
    const totals = totalsOf(trials);
    const killedIn = killsByPhase(trials);
    const kills = summarizeKills(trials);
    if (trials.length)
      log(
        `scan phase at the kill: ${JSON.stringify(killedIn)}\n${describeKills(kills)}\n` +
          describeTotals(trials.length, totals),
      );
    return {
      workers: workerCount,
      callsPerSecond,
      referenceFindings: reference.length,
      rate,
      run,
      trials,
      totals,
      killedIn,
      kills,
    };
  } finally {
    proxyLag.stop();
    await env.close();
    await proxy.close();
    await rm(slotDir, { recursive: true, force: true });
  }
}
