/**
 * The scan job: load the integration, decrypt its credentials, scan (progress written to the scan row as it
 * goes), evaluate the rule bundle, store each evaluated resource snapshot as evidence, upsert findings,
 * roll them up into control results and framework scores, and mark the scan succeeded.
 *
 * Every write is an upsert on a natural key, so a retried job (worker killed mid-scan) duplicates nothing:
 * evidence rows (and their ledger entries) are inserted once per (tenant, sha256); findings, control results
 * and scores are upserted with the `succeeded` status and the scan.completed ledger entry in one transaction,
 * and a job for a scan already finished is skipped.
 * The scan itself runs outside any transaction: the embedded database has one connection and a scan takes
 * network time. All database work goes through withTenant.
 *
 * Cancellation and shutdown: the job stops at its next checkpoint (between phases, and inside the provider
 * scan through the signal) when the scan row says `cancelled` or the signal is aborted. A shutdown aborts
 * with a ScanReleasedError: the scan goes back to `queued` and the job fails, so the queue retries it.
 */
import type { FastifyBaseLogger } from 'fastify';
import { applyOverrides, effectiveOverrides, overrideParams, overridesHash } from '../../../engine/index.ts';
import type { Knex } from 'knex';
import {
  ScanFailedError,
  scanIntegration,
  type ScanProgress,
  type ScannableIntegration,
} from '../../../scanners/index.ts';
import type { ControlResult, Finding, Resource, ScanError } from '../../../schemas/index.ts';
import type { CredentialVault } from '../plugins/app/crypto.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { EVIDENCE_CONTENT_TYPE, lockEvidence, type EvidenceStore } from '../plugins/app/evidence.ts';
import { loadIntegrationRecord } from '../plugins/app/integrations.ts';
import {
  checkOverrides,
  foldOverrides,
  invalidOverrideScanError,
  listOverrides,
} from '../overrides/store.ts';
import type { ScanJobData } from '../plugins/app/scans.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { WithTenant } from '../plugins/app/tenancy.ts';
import { scoreFindingsForTenant, scoreRows, storeScores, type TenantScores } from '../scoring/compute.ts';

export interface ScanJobDeps {
  withTenant: WithTenant;
  vault: CredentialVault;
  evidenceStore: EvidenceStore;
  engine: EngineRuntime;
  log: FastifyBaseLogger;
  /** The evidence ledger: new artifacts and the completed scan are appended to the tenant's chain. */
  ledger?: LedgerService;
  /** Minimum milliseconds between two progress writes (the last snapshot is always written). */
  progressIntervalMs?: number;
}

/** Rows per multi-row insert: well under PostgreSQL's 65535 bind parameters. */
const BATCH = 200;

function chunks<T>(items: T[], size = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

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

type Trx = Knex.Transaction;

async function setScan(trx: Trx, scanId: string, values: Record<string, unknown>): Promise<void> {
  await trx('scans')
    .where({ id: scanId })
    .update({ ...values, updated_at: trx.fn.now() });
}

/** Stores each resource snapshot (canonical JSON) and records it for the tenant; returns resource id → sha256. */
async function storeEvidence(
  deps: ScanJobDeps,
  tenantId: string,
  resources: Resource[],
): Promise<Map<string, string>> {
  const byResource = new Map<string, string>();
  const rows = new Map<string, { tenant_id: string; sha256: string; size: number; content_type: string }>();
  const blobs = new Map<string, Buffer>();
  for (const resource of resources) {
    const bytes = Buffer.from(canonicalJson(resource), 'utf8');
    const sha256 = sha256Hex(bytes);
    blobs.set(sha256, bytes);
    byResource.set(resource.id, sha256);
    rows.set(sha256, {
      tenant_id: tenantId,
      sha256,
      size: bytes.length,
      content_type: EVIDENCE_CONTENT_TYPE,
    });
  }
  await deps.withTenant(tenantId, async (trx) => {
    // Bytes are written under shared evidence locks held until the rows commit, so the retention job (which
    // deletes bytes no tenant records under the exclusive lock) cannot remove them in between.
    await lockEvidence(trx, [...blobs.keys()], 'shared');
    for (const bytes of blobs.values()) await deps.evidenceStore.put(bytes);
    const added: string[] = [];
    for (const batch of chunks([...rows.values()])) {
      const inserted = (await trx('evidence')
        .insert(batch)
        .onConflict(['tenant_id', 'sha256'])
        .ignore()
        .returning('sha256')) as { sha256: string }[];
      added.push(...inserted.map((row) => row.sha256));
    }
    // Each artifact enters the ledger once, when the tenant first records it (same transaction).
    await deps.ledger?.append(
      trx,
      tenantId,
      added.sort().map((sha256) => ({ kind: 'evidence.recorded', actor: 'worker', artifact_sha256: sha256 })),
    );
  });
  return byResource;
}

async function storeResults(
  trx: Trx,
  tenantId: string,
  scanId: string,
  findings: (Finding & { exception_id?: string })[],
  names: Map<string, string>,
  controls: ControlResult[],
  scored: TenantScores,
): Promise<void> {
  const findingRows = findings.map((f) => ({
    tenant_id: tenantId,
    scan_id: scanId,
    rule_id: f.rule_id,
    rule_version: f.rule_version,
    rule_hash: f.rule_hash,
    bundle_revision: f.bundle_revision,
    resource_id: f.resource_id,
    resource_type: f.resource_type,
    resource_name: names.get(f.resource_id) ?? '',
    status: f.status,
    severity: f.severity,
    message: f.message,
    evidence_sha256: f.evidence_sha256 ?? null,
    exception_id: f.exception_id ?? null,
  }));
  for (const batch of chunks(findingRows)) {
    await trx('findings')
      .insert(batch)
      .onConflict(['tenant_id', 'scan_id', 'rule_id', 'resource_id'])
      .merge();
  }
  const controlRows = controls.map((c) => ({
    tenant_id: tenantId,
    scan_id: scanId,
    control_id: c.control_id,
    status: c.status,
    counts: JSON.stringify(c.counts),
    rule_ids: JSON.stringify(c.rule_ids),
  }));
  for (const batch of chunks(controlRows)) {
    await trx('control_results').insert(batch).onConflict(['tenant_id', 'scan_id', 'control_id']).merge();
  }
  await storeScores(trx, scoreRows(tenantId, scanId, scored));
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

/** Scans that no longer need work: a job for one of these is skipped. */
const FINISHED = new Set(['succeeded', 'cancelled']);

async function statusOf(trx: Trx, scanId: string, lock = false): Promise<string | undefined> {
  const query = trx('scans').select('status').where({ id: scanId });
  if (lock) void query.forUpdate();
  const row: { status: string } | undefined = await query.first();
  return row?.status;
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

  const started = await deps.withTenant(tenantId, async (trx) => {
    const scan: { status: string; integration_id: string } | undefined = await trx('scans')
      .select('status', 'integration_id')
      .where({ id: scanId })
      .forUpdate()
      .first();
    if (!scan || FINISHED.has(scan.status)) return null;
    const integration = await loadIntegrationRecord(trx, scan.integration_id);
    if (!integration) return null;
    const credentials = await deps.vault.decrypt(
      trx,
      { tenantId, integrationId: integration.id },
      integration,
    );
    await setScan(trx, scanId, {
      status: 'running',
      started_at: trx.fn.now(),
      finished_at: null,
      failure_code: null,
      failure_message: null,
      progress: JSON.stringify({ phase: 'starting', resources_collected: 0, calls_made: 0, errors: 0 }),
    });
    return { integration, credentials };
  });
  if (!started) {
    log.info('scan job skipped: scan already finished or gone');
    return 'skipped';
  }

  const progress = new ProgressWriter(
    (snapshot) =>
      deps.withTenant(tenantId, (trx) => setScan(trx, scanId, { progress: JSON.stringify(snapshot) })),
    deps.progressIntervalMs ?? 250,
  );
  // Between phases: stop when the signal is aborted (shutdown, lost lease) or the scan was cancelled.
  const checkpoint = async (): Promise<void> => {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new ScanReleasedError();
    const status = await deps.withTenant(tenantId, (trx) => statusOf(trx, scanId));
    if (status === 'cancelled') throw new ScanCancelledError();
  };
  try {
    // Stored rows are not typed per provider: scanIntegration validates the provider and its config.
    const target = {
      provider: started.integration.provider,
      config: started.integration.config,
      credentials: started.credentials,
    } as unknown as ScannableIntegration;
    const outcome = await scanIntegration(target, {
      onProgress: (snapshot) => progress.push(snapshot),
      ...(signal ? { signal } : {}),
    });
    await progress.close();
    await checkpoint();

    const policy = await deps.engine.policyEngineFor(outcome.resources.length);
    const scanTime = new Date();
    const evidence = await storeEvidence(deps, tenantId, outcome.resources);
    await checkpoint();
    // The tenant's overrides in force at scan time (expired exceptions drop out by themselves): parameters go
    // into the evaluation, the rest is applied to its findings. No bundle is rebuilt. Overrides saved under an
    // older bundle that no longer validate are skipped, each leaving a scan error.
    const stored = checkOverrides(
      policy.catalog.rules,
      await deps.withTenant(tenantId, (trx) => listOverrides(trx)),
    );
    const overrideErrors = stored.invalid.map(invalidOverrideScanError);
    const overrides = effectiveOverrides(foldOverrides(stored.valid), scanTime);
    const overridesSha256 = overridesHash(overrides);
    const evaluated = await policy.evaluate(outcome.resources, {
      scanTime,
      params: overrideParams(overrides),
    });
    const applied = applyOverrides(evaluated, overrides, outcome.resources);
    const findings = applied.findings.map((f) => ({
      ...f,
      evidence_sha256: evidence.get(f.resource_id) ?? null,
    }));
    // Excepted findings are stored too (status fail, with their exception) but stay out of the score.
    const excepted = applied.excepted.map((x) => ({
      ...x.finding,
      evidence_sha256: evidence.get(x.finding.resource_id) ?? null,
      exception_id: x.exception.id,
    }));
    // Under the tenant's scoring policy and manual evidence, both recorded on the snapshot (docs/scoring.md).
    const scored = await deps.withTenant(tenantId, async (trx) =>
      scoreFindingsForTenant(trx, await deps.engine.frameworks(), findings, scanTime),
    );
    const { controls, scores } = scored;
    const names = new Map(outcome.resources.map((r) => [r.id, r.name]));

    await checkpoint();
    const completed = await deps.withTenant(tenantId, async (trx) => {
      // Locked, so a cancel committed before this point wins and one arriving later waits, then finds it done.
      if ((await statusOf(trx, scanId, true)) === 'cancelled') return false;
      await storeResults(trx, tenantId, scanId, [...findings, ...excepted], names, controls, scored);
      await setScan(trx, scanId, {
        status: 'succeeded',
        progress: JSON.stringify({ ...outcome.progress, phase: 'done' }),
        errors: JSON.stringify([...outcome.errors, ...overrideErrors] satisfies ScanError[]),
        bundle_revision: policy.revision,
        overrides_hash: overridesSha256,
        finished_at: trx.fn.now(),
      });
      if (deps.ledger) {
        const counts: Record<string, number> = { pass: 0, fail: 0, not_applicable: 0, error: 0 };
        for (const f of findings) counts[f.status] = (counts[f.status] ?? 0) + 1;
        await deps.ledger.append(trx, tenantId, [
          {
            kind: 'scan.completed',
            actor: 'worker',
            payload: {
              scan_id: scanId,
              bundle_revision: policy.revision,
              overrides_hash: overridesSha256,
              finding_counts: counts,
              // Failing findings set aside by an exception, with the exception that did it.
              excepted: applied.excepted
                .map((x) => ({
                  rule_id: x.finding.rule_id,
                  resource_id: x.finding.resource_id,
                  exception_id: x.exception.id,
                }))
                .sort((a, b) =>
                  `${a.rule_id}\0${a.resource_id}`.localeCompare(`${b.rule_id}\0${b.resource_id}`),
                ),
              // Every finding's natural key, status and evidence, hashed: the results cannot change unnoticed.
              findings_sha256: sha256Hex(
                Buffer.from(
                  canonicalJson(
                    findings
                      .map((f) => [f.rule_id, f.resource_id, f.status, f.evidence_sha256])
                      .sort((a, b) => String(a).localeCompare(String(b))),
                  ),
                ),
              ),
              evidence: [...new Set(evidence.values())].sort(),
              scores: scores.map((s) => ({ framework_id: s.framework_id, score: s.score })),
            },
          },
        ]);
        // A signed checkpoint after every scan: the periodic anchor auditors verify against.
        await deps.ledger.checkpoint(trx, tenantId);
      }
      return true;
    });
    if (!completed) throw new ScanCancelledError();
    log.info({ resources: outcome.resources.length, findings: findings.length }, 'scan succeeded');
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
        .withTenant(tenantId, (trx) =>
          trx('scans')
            .where({ id: scanId })
            .whereNot({ status: 'cancelled' })
            .update({
              status: 'queued',
              progress: JSON.stringify({ phase: 'queued', resources_collected: 0, calls_made: 0, errors: 0 }),
              updated_at: trx.fn.now(),
            }),
        )
        .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not release the scan'));
      log.info('scan released to the queue');
      throw error;
    }
    if (error instanceof ScanFailedError) {
      // Best effort: on shutdown (code ABORTED) the database may already be closing; a retry rewrites the row.
      await deps
        .withTenant(tenantId, (trx) =>
          setScan(trx, scanId, {
            status: 'failed',
            failure_code: error.code,
            failure_message: error.message,
            finished_at: trx.fn.now(),
          }),
        )
        .catch((writeError: unknown) => log.warn({ err: writeError }, 'could not record the scan failure'));
      log.info({ code: error.code }, 'scan failed: the provider could not be scanned');
      return 'failed';
    }
    log.error({ err: error }, 'scan job crashed; the queue will retry it');
    await deps
      .withTenant(tenantId, (trx) =>
        setScan(trx, scanId, {
          status: 'failed',
          failure_code: 'INTERNAL_ERROR',
          failure_message: 'the scan stopped on an internal error',
          finished_at: trx.fn.now(),
        }),
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
  const status = await deps.withTenant(tenantId, (trx) => statusOf(trx, scanId)).catch(() => undefined);
  if (status === 'cancelled') return new ScanCancelledError();
  return signal.reason instanceof ScanReleasedError ? signal.reason : new ScanReleasedError();
}
