/**
 * Runs one scan job: the scans domain's pipeline steps (scans/pipeline.ts) in order, with checkpoints between
 * them, and what becomes of the scan row when the job stops early.
 *
 * Cancellation and shutdown: the job stops at its next checkpoint (between phases, and inside the provider
 * scan through the signal) when the scan row says `cancelled` or the signal is aborted. A shutdown aborts
 * with a ScanReleasedError: the scan goes back to `queued` and the job fails, so the queue retries it.
 */
import { ScanFailedError, type ScanProgress } from '../../../scanners/index.ts';
import {
  applyTenantOverrides,
  collect,
  complete,
  evaluate,
  loadTarget,
  overridesInForce,
  score,
  storeEvidence,
  type ScanJobDeps,
} from '../scans/pipeline.ts';
import { failScan, requeueScan, scanStatus, updateScan } from '../scans/store.ts';
import { QUEUED_PROGRESS, type ScanJobData } from '../scans/types.ts';

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

/** What happened to a scan job. */
export type ScanJobOutcome = 'succeeded' | 'failed' | 'skipped' | 'cancelled';

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

/**
 * Runs one scan job. Resolves 'failed' (never throws) when the scan cannot proceed (ScanFailedError);
 * throws on unexpected errors after marking the scan failed, so the queue retries it.
 */
export async function runScanJob(
  deps: ScanJobDeps,
  job: ScanJobData,
  signal?: AbortSignal,
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
  const progress = new ProgressWriter(
    (snapshot) =>
      deps.withTenant(tenantId, (trx) => updateScan(trx, scanId, { progress: JSON.stringify(snapshot) })),
    deps.progressIntervalMs ?? 250,
  );
  // Between phases: stop when the signal is aborted (shutdown, lost lease) or the scan was cancelled.
  const checkpoint = async (): Promise<void> => {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new ScanReleasedError();
    const status = await deps.withTenant(tenantId, (trx) => scanStatus(trx, scanId));
    if (status === 'cancelled') throw new ScanCancelledError();
  };
  try {
    const outcome = await collect(deps, tenantId, target, (snapshot) => progress.push(snapshot), signal);
    await progress.close();
    await checkpoint();

    const policy = await deps.engine.policyEngineFor(outcome.resources.length);
    const scanTime = new Date();
    const evidence = await storeEvidence(deps, tenantId, outcome.resources);
    await checkpoint();
    const inForce = await overridesInForce(deps, tenantId, policy, scanTime);
    const evaluated = await evaluate(policy, outcome.resources, scanTime, inForce);
    const applied = applyTenantOverrides(evaluated, inForce, outcome.resources, evidence);
    const scored = await score(deps, tenantId, applied.findings, scanTime);

    await checkpoint();
    const results = { outcome, bundleRevision: policy.revision, inForce, applied, evidence, scored };
    if (!(await complete(deps, job, results))) throw new ScanCancelledError();
    log.info({ resources: outcome.resources.length, findings: applied.findings.length }, 'scan succeeded');
    return 'succeeded';
  } catch (caught) {
    await progress.close();
    const error = await stoppedBy(deps, tenantId, scanId, caught, signal);
    if (error instanceof ScanCancelledError) {
      log.info('scan cancelled: stopped at a checkpoint');
      return 'cancelled';
    }
    if (error instanceof ScanReleasedError) {
      // Back to queued (unless it was cancelled meanwhile) so the next worker starts it afresh; rethrown so
      // pg-boss fails this attempt and retries the job.
      await deps
        .withTenant(tenantId, (trx) => requeueScan(trx, scanId, QUEUED_PROGRESS))
        .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not release the scan'));
      log.info('scan released to the queue');
      throw error;
    }
    if (error instanceof ScanFailedError) {
      // Best effort: on shutdown (code ABORTED) the database may already be closing; a retry rewrites the row.
      await deps
        .withTenant(tenantId, (trx) => failScan(trx, scanId, error.code, error.message))
        .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not record the scan failure'));
      log.info({ code: error.code }, 'scan failed: the provider could not be scanned');
      return 'failed';
    }
    log.error({ err: error }, 'scan job crashed; the queue will retry it');
    await deps
      .withTenant(tenantId, (trx) =>
        failScan(trx, scanId, 'INTERNAL_ERROR', 'the scan stopped on an internal error'),
      )
      .catch(() => {});
    throw error;
  }
}

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
