/**
 * Runs the scan jobs: the plan job (`scan` queue), the part jobs (`scan-part` queue) and the finish, the
 * scans domain's pipeline steps (scans/pipeline.ts) in order, with checkpoints between them, and what becomes
 * of the scan row (and part row) when a job stops early.
 *
 * Cancellation and shutdown: the job stops at its next checkpoint (between phases, and inside the provider
 * scan through the signal) when the scan row says `cancelled` or the signal is aborted. A shutdown aborts
 * with a ScanReleasedError: the scan goes back to `queued` and the job fails, so the queue retries it.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ScanFailedError, type ScanProgress } from '../../../scanners/index.ts';
import {
  collect,
  complete,
  evaluateScan,
  finishOwed,
  gatherParts,
  loadPartTarget,
  loadTarget,
  planParts,
  recordPart,
  recordTimings,
  score,
  storeEvidence,
  type CollectedHere,
  type PartStart,
  type ScanJobDeps,
} from '../scans/pipeline.ts';
import {
  failScan,
  lockScanPart,
  requeueScan,
  requeueScanIfIdle,
  scanPartCounts,
  scanStatus,
  setScanPartStatus,
  updateScan,
  type ScanPartRow,
} from '../scans/store.ts';
import { QUEUED_PROGRESS, type ScanJobData, type ScanPartJobData } from '../scans/types.ts';

/** Writes the newest progress snapshot at most every `intervalMs`, one write at a time. */
class ProgressWriter {
  readonly #write: (progress: ScanProgress) => Promise<void>;
  readonly #intervalMs: number;
  #latest: ScanProgress | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(write: (progress: ScanProgress) => Promise<void>, intervalMs: number) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  push(progress: ScanProgress): void {
    this.#latest = { ...progress };
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      void this.#flush();
    }, this.#intervalMs);
  }

  #flush(): Promise<void> {
    const snapshot = this.#latest;
    this.#latest = null;
    if (snapshot) this.#writing = this.#writing.then(() => this.#write(snapshot)).catch(() => {});
    return this.#writing;
  }

  /** Stops the timer and waits for pending writes (dropping the unwritten snapshot: the caller writes the final one). */
  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#latest = null;
    await this.#writing;
  }
}

/**
 * What happened to a scan job: 'planned' (its parts went to the queue) and 'collected' (a part recorded,
 * others remain) leave the scan running.
 */
export type ScanJobOutcome = 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'planned' | 'collected';

/** The abort reason of a worker shutting down: the scan is handed back to the queue, not failed. */
export class ScanReleasedError extends Error {
  constructor() {
    super('the worker is shutting down: the scan is released to the queue');
    this.name = 'ScanReleasedError';
  }
}

/** Thrown at a checkpoint when the scan row says `cancelled`. */
class ScanCancelledError extends Error {
  constructor() {
    super('the scan was cancelled');
    this.name = 'ScanCancelledError';
  }
}

/** Sends the part jobs of a scan to the queue, where any worker leases them (the worker plugin's). */
export type PartDispatch = (parts: ScanPartJobData[]) => Promise<void>;

/** How one attempt of a part job runs. */
export interface PartAttempt {
  /** The queue's last attempt: a crash now fails the scan (naming the part) instead of waiting for a retry. */
  final: boolean;
}

/**
 * Runs one scan job: plans the scan's parts (scanners' `parts`, or their `listParts` when only calls can tell,
 * such as an AWS organization's accounts; one part for a provider that cannot split; the parts stored
 * before, on a retry)
 * and, with `dispatch`, hands them to the queue, each collected by whichever worker leases it
 * (runScanPart); the part that completes the set finishes the scan. Without `dispatch` (tests, the CLI)
 * the parts run here one after the other through the same steps. Resolves 'failed' (never throws) when the
 * scan cannot proceed (ScanFailedError); throws on unexpected errors after marking the scan failed, so the
 * queue retries it.
 */
export async function runScanJob(
  deps: ScanJobDeps,
  job: ScanJobData,
  signal?: AbortSignal,
  dispatch?: PartDispatch,
): Promise<ScanJobOutcome> {
  const { tenant_id: tenantId, scan_id: scanId } = job;
  const log = deps.log.child({ scan_id: scanId, tenant_id: tenantId });

  const target = await loadTarget(deps, job);
  if (!target) {
    log.info('scan job skipped: scan already finished or gone');
    return 'skipped';
  }
  // Names the process that runs the scan (pino adds its pid and host): with many workers, where to look.
  log.info('scan started');
  let parts: ScanPartRow[];
  try {
    parts = await planParts(deps, job, target, signal);
    await checkpoint(deps, job, signal);
  } catch (caught) {
    return settle(deps, job, log, caught, signal, null);
  }
  const waiting = parts.filter((p) => p.status !== 'done');
  log.info({ parts: parts.length, waiting: waiting.length }, 'scan planned');
  if (dispatch) {
    await dispatch(waiting.map((p) => ({ tenant_id: tenantId, scan_id: scanId, part: p.part_key })));
    // Every part already collected (a retried plan): the finish is still owed.
    if (waiting.length === 0 && (await finishOwed(deps, job))) return finishScan(deps, job, log, signal);
    return 'planned';
  }
  let outcome: ScanJobOutcome = 'planned';
  for (const part of waiting) {
    outcome = await runScanPart(deps, { ...job, part: part.part_key }, { final: true }, signal);
    if (outcome !== 'collected') return outcome;
  }
  if (outcome === 'planned' && (await finishOwed(deps, job))) return finishScan(deps, job, log, signal);
  return outcome;
}

/**
 * Runs one part of a scan: collects it (the provider scan restricted to the part, under the integration's
 * shared call limit), stores its resources as evidence and records the part done. The attempt that records
 * the last part (decided under the scan row's lock) finishes the scan; so does a retry of a part already
 * collected when the finish is still owed (its worker died before finishing). 'collected' when other parts
 * remain.
 */
export async function runScanPart(
  deps: ScanJobDeps,
  job: ScanPartJobData,
  attempt: PartAttempt,
  signal?: AbortSignal,
): Promise<ScanJobOutcome> {
  const { tenant_id: tenantId, scan_id: scanId, part } = job;
  const log = deps.log.child({ scan_id: scanId, tenant_id: tenantId, part });
  const workerId = deps.workerId ?? `pid:${process.pid}`;
  let start: PartStart | null;
  try {
    start = await loadPartTarget(deps, job, workerId);
  } catch (caught) {
    return settle(deps, job, log, caught, signal, attempt);
  }
  if (!start) {
    log.info('scan part skipped: scan finished, part failed or gone');
    return 'skipped';
  }
  if (start.collected) {
    return (await finishOwed(deps, job)) ? finishScan(deps, job, log, signal, attempt) : 'collected';
  }
  log.info({ worker_id: workerId }, 'scan part started');
  // A scan of one part shows its live progress; the parts of a split scan add theirs up as each is recorded.
  const live = start.partsTotal === 1;
  const progress = new ProgressWriter(
    (snapshot) =>
      live
        ? deps.withTenant(tenantId, (trx) => updateScan(trx, scanId, { progress: JSON.stringify(snapshot) }))
        : Promise.resolve(),
    deps.progressIntervalMs ?? 250,
  );
  let here: CollectedHere;
  try {
    const collectStart = performance.now();
    const outcome = await collect(deps, tenantId, start.target, (s) => progress.push(s), signal, part);
    const collectMs = performance.now() - collectStart;
    await progress.close();
    await checkpoint(deps, job, signal);
    const evidenceStart = performance.now();
    const evidence = await storeEvidence(deps, tenantId, outcome.resources);
    const recorded = await recordPart(deps, job, outcome, evidence, {
      collect_ms: Math.round(collectMs),
      store_evidence_ms: Math.round(performance.now() - evidenceStart),
    });
    log.info({ resources: outcome.resources.length, recorded }, 'scan part collected');
    if (recorded === 'stopped') return 'skipped';
    // The finish takes this part's resources as collected here instead of reading them back.
    here = { resources: outcome.resources, evidence };
    if (recorded === 'more') {
      // Another attempt of this part may have been the last to record while this one collected.
      return (await finishOwed(deps, job)) ? finishScan(deps, job, log, signal, attempt, here) : 'collected';
    }
  } catch (caught) {
    await progress.close();
    return settle(deps, job, log, caught, signal, attempt);
  }
  return finishScan(deps, job, log, signal, attempt, here);
}

/**
 * Finish: the parts' resources gathered, then evaluate, apply the overrides, score and complete (findings,
 * scores, scan.completed and the checkpoint in one transaction that writes only while the scan still runs,
 * so of two finishes exactly one writes).
 */
async function finishScan(
  deps: ScanJobDeps,
  job: ScanJobData | ScanPartJobData,
  log: FastifyBaseLogger,
  signal: AbortSignal | undefined,
  attempt: PartAttempt | null = null,
  here?: CollectedHere,
): Promise<ScanJobOutcome> {
  const { tenant_id: tenantId, scan_id: scanId } = job;
  // Each step's wall time, recorded on the scan once it succeeded (migration 0025).
  const clock = stepClock();
  try {
    const { outcome, evidence, partTimings } = await gatherParts(deps, job, here);
    const gatherMs = clock.lap();
    const policy = await deps.engine.policyEngineFor(outcome.resources.length);
    const scanTime = deps.now?.() ?? new Date();
    await checkpoint(deps, job, signal);
    const gathered = { resources: outcome.resources, evidence };
    const { inForce, applied } = await evaluateScan(deps, tenantId, policy, gathered, scanTime);
    const evaluateMs = clock.lap();
    const scored = await score(deps, tenantId, applied.findings, scanTime);
    const scoreMs = clock.lap();

    await checkpoint(deps, job, signal);
    clock.lap();
    const results = { outcome, bundleRevision: policy.revision, inForce, applied, evidence, scored };
    if (!(await complete(deps, job, results))) {
      const status = await deps.withTenant(tenantId, (trx) => scanStatus(trx, scanId));
      if (status === 'cancelled') throw new ScanCancelledError();
      log.info({ status }, 'scan finish skipped: another attempt finished it');
      return 'skipped';
    }
    const timings = {
      ...partTimings,
      gather_ms: gatherMs,
      evaluate_ms: evaluateMs,
      score_ms: scoreMs,
      persist_ms: clock.lap(),
    };
    // Best effort: the results are committed; a lost write only leaves the split unknown.
    await recordTimings(deps, job, timings).catch((error: unknown) =>
      log.warn({ err: error }, 'could not record the scan timings'),
    );
    log.info(
      { resources: outcome.resources.length, findings: applied.findings.length, timings },
      'scan succeeded',
    );
    return 'succeeded';
  } catch (caught) {
    return settle(deps, job, log, caught, signal, attempt);
  }
}

/** Whole milliseconds since the previous lap (or since the clock was made). */
function stepClock(): { lap(): number } {
  let last = performance.now();
  return {
    lap() {
      const now = performance.now();
      const elapsed = Math.round(now - last);
      last = now;
      return elapsed;
    },
  };
}

/** Between phases: stop when the signal is aborted (shutdown, lost lease) or the scan was cancelled. */
async function checkpoint(deps: ScanJobDeps, job: ScanJobData, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new ScanReleasedError();
  const status = await deps.withTenant(job.tenant_id, (trx) => scanStatus(trx, job.scan_id));
  if (status === 'cancelled') throw new ScanCancelledError();
}

/**
 * What becomes of a scan (and, for a part job, its part) when a job stops early: cancelled (nothing to do),
 * released (back to queued, rethrown so the queue retries), failed for good (ScanFailedError: the scan
 * fails naming the part) or crashed (rethrown for a retry; the scan fails only when the plan job or the
 * part's final attempt crashed).
 */
async function settle(
  deps: ScanJobDeps,
  job: ScanJobData | ScanPartJobData,
  log: FastifyBaseLogger,
  caught: unknown,
  signal: AbortSignal | undefined,
  attempt: PartAttempt | null,
): Promise<ScanJobOutcome> {
  const { tenant_id: tenantId, scan_id: scanId } = job;
  const part = 'part' in job ? job.part : null;
  const inPart = (message: string) => (part ? `part ${part}: ${message}` : message);
  const setPart = (status: 'queued' | 'failed', message: string | null) =>
    part
      ? deps.withTenant(tenantId, (trx) => setScanPartStatus(trx, scanId, part, status, message))
      : Promise.resolve();
  const error = await stoppedBy(deps, tenantId, scanId, caught, signal);
  if (error instanceof ScanCancelledError) {
    log.info('scan cancelled: stopped at a checkpoint');
    return 'cancelled';
  }
  if (error instanceof ScanReleasedError) {
    // Back to queued (unless it was cancelled meanwhile) so the next worker starts it afresh; rethrown so
    // pg-boss fails this attempt and retries the job. A part goes back alone; its scan goes back to queued
    // once none of its parts runs.
    await deps
      .withTenant(tenantId, async (trx) => {
        if (!part) return requeueScan(trx, scanId, QUEUED_PROGRESS);
        await setScanPartStatus(trx, scanId, part, 'queued', null);
        await requeueScanIfIdle(trx, scanId);
      })
      .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not release the scan'));
    log.info('scan released to the queue');
    throw error;
  }
  if (error instanceof ScanFailedError) {
    // Best effort: on shutdown (code ABORTED) the database may already be closing; a retry rewrites the row.
    await setPart('failed', error.message)
      .then(() =>
        deps.withTenant(tenantId, (trx) => failScan(trx, scanId, error.code, inPart(error.message))),
      )
      .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not record the scan failure'));
    log.info({ code: error.code }, 'scan failed: the provider could not be scanned');
    return 'failed';
  }
  log.error({ err: error }, 'scan job crashed; the queue will retry it');
  const message = error instanceof Error ? error.message : String(error);
  if (!attempt || attempt.final) {
    await setPart('failed', message)
      .then(() =>
        deps.withTenant(tenantId, (trx) =>
          failScan(trx, scanId, 'INTERNAL_ERROR', inPart('the scan stopped on an internal error')),
        ),
      )
      .catch(() => {});
  } else {
    await setPart('queued', message).catch(() => {});
  }
  throw error;
}

/**
 * A part job that used up its retries without settling (its workers were lost, e.g. killed, on every
 * attempt) arrives here from the queue's dead letters: its scan fails, naming the part and why. A part
 * already collected fails the scan only when every part is: then its attempts were the ones finishing the
 * scan (a retry of a collected part finishes it when the finish is owed), and with them gone nothing else
 * would, so the scan would stay running for ever. While other parts remain, the last of them finishes it.
 */
export async function failLostPart(deps: ScanJobDeps, job: ScanPartJobData): Promise<void> {
  const { tenant_id: tenantId, scan_id: scanId, part } = job;
  const failed = await deps.withTenant(tenantId, async (trx) => {
    const status = await scanStatus(trx, scanId, true);
    if (status !== 'running' && status !== 'queued') return false;
    const row = await lockScanPart(trx, scanId, part);
    if (!row) return false;
    if (row.status === 'done') {
      const counts = await scanPartCounts(trx, scanId);
      if (counts.done < counts.total) return false;
      await failScan(trx, scanId, 'INTERNAL_ERROR', `part ${part}: ${LOST_FINISH}`);
      return true;
    }
    const why = row.failure_message ?? 'its worker stopped before finishing it, on every attempt';
    await setScanPartStatus(trx, scanId, part, 'failed', why);
    await failScan(trx, scanId, 'INTERNAL_ERROR', `part ${part}: ${why}`);
    return true;
  });
  if (failed)
    deps.log.warn({ scan_id: scanId, tenant_id: tenantId, part }, 'scan failed: a part used up its retries');
}

/** Why a scan whose parts were all collected failed when the attempts finishing it were all lost. */
export const LOST_FINISH = 'its worker stopped while finishing the scan, on every attempt';

/**
 * Why a scan job stopped early: a cancel (the row says so) or a release (the signal was aborted for a
 * shutdown or a lost lease) take precedence over the error the abort surfaced as (the provider scan
 * reports an abort as ScanFailedError ABORTED).
 */
async function stoppedBy(
  deps: ScanJobDeps,
  tenantId: string,
  scanId: string,
  error: unknown,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  if (error instanceof ScanCancelledError || error instanceof ScanReleasedError) return error;
  if (!signal?.aborted) return error;
  const status = await deps.withTenant(tenantId, (trx) => scanStatus(trx, scanId)).catch(() => undefined);
  if (status === 'cancelled') return new ScanCancelledError();
  return signal.reason instanceof ScanReleasedError ? signal.reason : new ScanReleasedError();
}
