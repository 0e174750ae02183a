/**
 * The steps of a scan job, in the order the job runs them (worker/scan-job.ts): load the target, collect its
 * resources, store them as evidence, take the tenant's overrides in force, evaluate, apply the overrides,
 * score, and complete (persist the results and record the scan in the ledger, in one transaction).
 *
 * Every write is an upsert on a natural key, so a retried job (worker killed mid-scan) duplicates nothing:
 * evidence rows (and their ledger entries) are inserted once per (tenant, sha256); findings, control results
 * and scores are upserted with the `succeeded` status and the scan.completed ledger entry in one transaction.
 * The provider scan itself runs outside any transaction: the embedded database has one connection and a scan
 * takes network time. All database work goes through withTenant and the domain stores.
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import {
  applyOverrides,
  effectiveOverrides,
  overrideParams,
  overridesHash,
  type ExceptedFinding,
  type PolicyEngine,
  type TenantOverrides,
} from '../../../engine/index.ts';
import {
  listScanParts,
  scanIntegration,
  WHOLE_SCAN,
  type ScanOptions,
  type ScanOutcome,
  type ScanProgress,
} from '../../../scanners/index.ts';
import type { EgressPolicy, ScannableIntegration } from '../../../scanners/index.ts';
import type { Finding, Resource, ScanError } from '../../../schemas/index.ts';
import { chunks } from '../batch.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import type { LedgerEvent, LedgerService } from '../ledger/ledger.ts';
import {
  checkOverrides,
  foldOverrides,
  invalidOverrideScanError,
  listOverrides,
} from '../overrides/store.ts';
import type { CredentialVault } from '../plugins/app/crypto.ts';
import type { EngineRuntime } from '../plugins/app/engine.ts';
import {
  EVIDENCE_CONTENT_TYPE,
  insertEvidenceRows,
  lockEvidence,
  type EvidenceRow,
} from '../evidence/store.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import { loadIntegrationRecord } from '../integrations/store.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import type { ScanPacing } from './call-limiter.ts';
import {
  scoreFindingsForTenant,
  scorePosture,
  scoreRows,
  type ScoredPosture,
  type TenantScores,
} from '../scoring/compute.ts';
import { storeScores } from '../scoring/store.ts';
import {
  completeScanPart,
  lockScanForStart,
  lockScanPart,
  markScanRunning,
  markSucceeded,
  planScanParts,
  recordScanTimings,
  scanPartCounts,
  scanPartsOf,
  scanStatus,
  startScanPart,
  updateScan,
  upsertResults,
  type PartTimings,
  type ScanPartRow,
  type ScanTimings,
  type StoredFinding,
} from './store.ts';
import type { ScanJobData, ScanPartJobData, ScanStatus } from './types.ts';

export interface ScanJobDeps {
  withTenant: WithTenant;
  vault: CredentialVault;
  evidenceStore: EvidenceStore;
  engine: EngineRuntime;
  log: FastifyBaseLogger;
  /** Where the provider calls may go (api/src/egress.ts): always passed, so a scan never connects anywhere. */
  egress: EgressPolicy;
  /** The evidence ledger: new artifacts and the completed scan are appended to the tenant's chain. */
  ledger?: LedgerService;
  /** Minimum milliseconds between two progress writes (the last snapshot is always written). */
  progressIntervalMs?: number;
  /** How provider calls are paced per integration; unset, each scan paces itself (tests). */
  pacing?: ScanPacing;
  /** false: every scan is one part (WHOLE_SCAN), as before scans were split; default true. */
  splitScans?: boolean;
  /** Names this process in the parts it collects (host and process id); default the process id. */
  workerId?: string;
  /**
   * The time a scan is evaluated at (exception expiry, evidence freshness); default the system clock. Tests
   * move it past an expiry instead of waiting for it.
   */
  now?: () => Date;
}

/** A scan's integration, ready to scan. */
export interface ScanTarget {
  integrationId: string;
  integration: ScannableIntegration;
}

/** Scans that no longer need work: a job for one of these is skipped. */
const FINISHED = new Set<ScanStatus>(['succeeded', 'cancelled']);

/**
 * Load target: locks the scan row and, unless the scan is finished or its integration gone (null: skip the
 * job), decrypts the integration's credentials and resets the scan for a run (queued, no failure: a retry
 * of a failed scan starts over).
 */
export async function loadTarget(deps: ScanJobDeps, job: ScanJobData): Promise<ScanTarget | null> {
  const { tenant_id: tenantId, scan_id: scanId } = job;
  return deps.withTenant(tenantId, async (trx) => {
    const scan = await lockScanForStart(trx, scanId);
    if (!scan || FINISHED.has(scan.status)) return null;
    const target = await decryptTarget(deps, trx, tenantId, scan.integration_id);
    if (!target) return null;
    // Running (and started) once its first part is taken by a worker (loadPartTarget); a scan whose parts
    // already run (its plan sent again) is left as it is.
    if (scan.status === 'running') return target;
    await updateScan(trx, scanId, {
      status: 'queued',
      started_at: null,
      finished_at: null,
      failure_code: null,
      failure_message: null,
      progress: JSON.stringify({ phase: 'starting', resources_collected: 0, calls_made: 0, errors: 0 }),
    });
    return target;
  });
}

/** The scan's integration with its credentials decrypted, or null when it is gone. */
async function decryptTarget(
  deps: ScanJobDeps,
  trx: Trx,
  tenantId: string,
  integrationId: string,
): Promise<ScanTarget | null> {
  const integration = await loadIntegrationRecord(trx, integrationId);
  if (!integration) return null;
  const credentials = await deps.vault.decrypt(trx, { tenantId, integrationId: integration.id }, integration);
  // Stored rows are not typed per provider: scanIntegration validates the provider and its config.
  const scannable = {
    provider: integration.provider,
    config: integration.config,
    credentials,
  } as unknown as ScannableIntegration;
  return { integrationId: integration.id, integration: scannable };
}

/** What a part job starts from: its scan's target, or that the part is already collected. */
export type PartStart = { collected: false; target: ScanTarget; partsTotal: number } | { collected: true };

/**
 * Load a part's target: under the scan row's lock, unless the scan is finished (succeeded, failed or
 * cancelled), its part unknown or failed, or its integration gone (null: skip the job): the part already
 * collected (a retry of the job that collected it), or the part marked running on `workerId` with the
 * integration decrypted.
 */
export async function loadPartTarget(
  deps: ScanJobDeps,
  job: ScanPartJobData,
  workerId: string,
): Promise<PartStart | null> {
  const { tenant_id: tenantId, scan_id: scanId, part } = job;
  return deps.withTenant(tenantId, async (trx) => {
    const scan = await lockScanForStart(trx, scanId);
    if (!scan || scan.status === 'failed' || FINISHED.has(scan.status)) return null;
    const { total } = await scanPartCounts(trx, scanId);
    const row = await lockScanPart(trx, scanId, part);
    if (!row || row.status === 'failed') return null;
    if (row.status === 'done') return { collected: true };
    const target = await decryptTarget(deps, trx, tenantId, scan.integration_id);
    if (!target) return null;
    await startScanPart(trx, scanId, part, workerId);
    // The scan runs from its first part taken (or again, after its parts were all released by a shutdown).
    if (scan.status === 'queued') await markScanRunning(trx, scanId);
    return { collected: false, target, partsTotal: total };
  });
}

/**
 * Plan: the scan's parts, `split: false` making it one part. Planned once per scan: a retried plan (or a
 * failed scan started again) keeps the parts stored the first time. Parts only calls can list (an AWS
 * organization's accounts, scanners' `listParts`) are listed here, before anything is stored and outside any
 * transaction, under the integration's shared call limit and the egress policy, like a part's own calls.
 */
export async function planParts(
  deps: ScanJobDeps,
  job: ScanJobData,
  target: ScanTarget,
  signal?: AbortSignal,
): Promise<ScanPartRow[]> {
  const stored = await deps.withTenant(job.tenant_id, (trx) => scanPartsOf(trx, job.scan_id));
  const keys =
    stored.length > 0
      ? stored.map((p) => p.part_key)
      : deps.splitScans === false
        ? [WHOLE_SCAN]
        : await listScanParts(target.integration, providerCallOptions(deps, job.tenant_id, target, signal));
  return deps.withTenant(job.tenant_id, (trx) => planScanParts(trx, job.tenant_id, job.scan_id, keys));
}

/** How far a scan is once a part is recorded: 'last' for the one transaction that saw every part done. */
export type PartRecorded = 'more' | 'last' | 'stopped';

/**
 * Record a part: under the scan row's lock, marks the part done with its resources' evidence hashes, its
 * errors and progress, and updates the scan's count of done parts and its summed progress. 'last' only
 * for the call that moved the final part to done ('more' for a part already done by another attempt, or
 * parts left); 'stopped' when the scan finished meanwhile (cancelled or failed).
 */
export async function recordPart(
  deps: ScanJobDeps,
  job: ScanPartJobData,
  outcome: ScanOutcome,
  evidence: Map<string, string>,
  timings: PartTimings,
): Promise<PartRecorded> {
  const { tenant_id: tenantId, scan_id: scanId, part } = job;
  return deps.withTenant(tenantId, async (trx) => {
    const status = await scanStatus(trx, scanId, true);
    if (status !== 'running' && status !== 'queued') return 'stopped';
    const moved = await completeScanPart(trx, scanId, part, {
      resources: outcome.resources.map((r) => [r.id, evidence.get(r.id)!] as [string, string]),
      errors: outcome.errors,
      progress: outcome.progress,
      timings,
    });
    const parts = await scanPartsOf(trx, scanId);
    const done = parts.filter((p) => p.status === 'done');
    const progress = sumProgress(done);
    await updateScan(trx, scanId, {
      parts_done: done.length,
      progress: JSON.stringify({
        ...progress,
        phase: done.length === parts.length ? 'evaluating' : 'collecting_parts',
      }),
    });
    return moved && done.length === parts.length ? 'last' : 'more';
  });
}

/** Whether every part of the scan is done while the scan still runs: a finish is (still) owed. */
export async function finishOwed(deps: ScanJobDeps, job: ScanJobData): Promise<boolean> {
  return deps.withTenant(job.tenant_id, async (trx) => {
    const status = await scanStatus(trx, job.scan_id);
    if (status !== 'running' && status !== 'queued') return false;
    const counts = await scanPartCounts(trx, job.scan_id);
    return counts.total > 0 && counts.done === counts.total;
  });
}

/** The parts' progress counts added up. */
function sumProgress(parts: ScanPartRow[]): ScanProgress {
  const sum = { phase: 'done', resources_collected: 0, calls_made: 0, errors: 0 };
  for (const { progress } of parts) {
    sum.resources_collected += progress?.resources_collected ?? 0;
    sum.calls_made += progress?.calls_made ?? 0;
    sum.errors += progress?.errors ?? 0;
  }
  return sum;
}

/** Resources this process collected and stored as evidence (a part it ran), with their evidence hashes. */
export interface CollectedHere {
  resources: readonly Resource[];
  evidence: ReadonlyMap<string, string>;
}

/**
 * Gather: the outcome of every part as one scan's, the resources read back from their evidence (the
 * snapshots the parts stored) and the evidence map; a scan error two parts both recorded (a region listing
 * each part repeated) counts once, as in a scan made whole. A resource this process collected itself
 * (`here`: the part whose recording made the scan whole) is taken as it is instead of read back: its
 * snapshot's bytes are its canonical JSON, so both give the same rule input. At 100k resources in one part
 * the read-back took 17-60 s of the finish (bench/scale).
 */
export async function gatherParts(
  deps: ScanJobDeps,
  job: ScanJobData,
  here?: CollectedHere,
): Promise<{ outcome: ScanOutcome; evidence: Map<string, string>; partTimings: PartTimings }> {
  const parts = await deps.withTenant(job.tenant_id, (trx) => scanPartsOf(trx, job.scan_id));
  const evidence = new Map<string, string>();
  const resources: Resource[] = [];
  const read = new Map<string, Resource>();
  for (const resource of here?.resources ?? []) {
    const sha256 = here?.evidence.get(resource.id);
    if (sha256) read.set(sha256, resource);
  }
  // Each other snapshot read once, EVIDENCE_IO_AT_ONCE at a time, then the resources in the parts' order.
  const partOf = new Map<string, string>();
  for (const part of parts) {
    for (const [, sha256] of part.resources ?? []) if (!read.has(sha256)) partOf.set(sha256, part.part_key);
  }
  for (const group of chunks([...partOf.keys()], EVIDENCE_IO_AT_ONCE)) {
    const snapshots = await Promise.all(group.map((sha256) => deps.evidenceStore.get(sha256)));
    group.forEach((sha256, i) => {
      const bytes = snapshots[i];
      if (!bytes) throw new Error(`the evidence ${sha256} of part ${partOf.get(sha256)} is missing`);
      read.set(sha256, JSON.parse(bytes.toString('utf8')) as Resource);
    });
  }
  for (const part of parts) {
    for (const [resourceId, sha256] of part.resources ?? []) {
      resources.push(read.get(sha256)!);
      evidence.set(resourceId, sha256);
    }
  }
  const seen = new Set<string>();
  const errors = parts
    .flatMap((p) => p.errors)
    .filter((error) => {
      const key = canonicalJson(error);
      return seen.has(key) ? false : (seen.add(key), true);
    });
  const progress = { ...sumProgress(parts), errors: errors.length };
  const partTimings = { collect_ms: 0, store_evidence_ms: 0 };
  for (const { timings } of parts) {
    partTimings.collect_ms += timings?.collect_ms ?? 0;
    partTimings.store_evidence_ms += timings?.store_evidence_ms ?? 0;
  }
  return { outcome: { resources, errors, progress }, evidence, partTimings };
}

/**
 * Collect: the provider scan under the egress policy and the integration's call limit, its progress reported
 * as it goes; stops at its next call once `signal` aborts.
 */
export function collect(
  deps: Pick<ScanJobDeps, 'egress' | 'pacing'>,
  tenantId: string,
  target: ScanTarget,
  onProgress: (snapshot: ScanProgress) => void,
  signal?: AbortSignal,
  part: string = WHOLE_SCAN,
): Promise<ScanOutcome> {
  return scanIntegration(target.integration, {
    ...providerCallOptions(deps, tenantId, target, signal),
    part,
    onProgress,
  });
}

/** What every provider call of a scan goes through: the egress policy and the integration's call limit. */
function providerCallOptions(
  deps: Pick<ScanJobDeps, 'egress' | 'pacing'>,
  tenantId: string,
  target: ScanTarget,
  signal?: AbortSignal,
): ScanOptions {
  const { pacing } = deps;
  return {
    egress: deps.egress,
    ...(signal ? { signal } : {}),
    ...(pacing?.callsPerSecond ? { callsPerSecond: pacing.callsPerSecond } : {}),
    ...(pacing ? { rateLimiter: pacing.limiterFor(tenantId, target.integrationId) } : {}),
  };
}

/**
 * Snapshots recorded per transaction. Each holds a shared advisory lock per snapshot until it commits, and
 * PostgreSQL's lock table is shared by every session: by default max_locks_per_transaction (64) times
 * max_connections (100), 6,400 locks. One transaction for a part of 100,000 resources ran out of it
 * ("out of shared memory", bench/scale); at 500, a dozen parts can record at once.
 */
const EVIDENCE_PER_TRANSACTION = 500;

/**
 * Evidence files (or objects) written or read at once: one at a time, a scan of 20,000 resources left the
 * worker idle four fifths of its evidence step, waiting on each file in turn (CPU profile, bench/scale).
 */
const EVIDENCE_IO_AT_ONCE = 16;

/**
 * Persist evidence: stores each resource snapshot (canonical JSON) and records it for the tenant, each new
 * artifact entering the ledger once; returns resource id → sha256. In transactions of at most
 * EVIDENCE_PER_TRANSACTION snapshots: a retry stores again only what is missing.
 */
export async function storeEvidence(
  deps: Pick<ScanJobDeps, 'withTenant' | 'evidenceStore' | 'ledger'>,
  tenantId: string,
  resources: Resource[],
): Promise<Map<string, string>> {
  const byResource = new Map<string, string>();
  const rows = new Map<string, EvidenceRow>();
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
  for (const batch of chunks([...blobs.keys()], EVIDENCE_PER_TRANSACTION)) {
    await deps.withTenant(tenantId, async (trx) => {
      // Bytes are written under shared evidence locks held until the rows commit, so the retention job (which
      // deletes bytes no tenant records under the exclusive lock) cannot remove them in between.
      await lockEvidence(trx, batch, 'shared');
      // The bytes are written while the rows go to the database: both only have to be done before the
      // commit, which nothing sees earlier. One after the other, a 25k-resource part spent 6.6 s writing
      // files and 6.7 s on the database (bench/scale).
      const writeBytes = async () => {
        for (const group of chunks(batch, EVIDENCE_IO_AT_ONCE)) {
          await Promise.all(group.map((sha256) => deps.evidenceStore.put(blobs.get(sha256)!, sha256)));
        }
      };
      const recordRows = () =>
        insertEvidenceRows(
          trx,
          batch.map((sha256) => rows.get(sha256)!),
        );
      // Both settle before the transaction goes on, so a failed write never leaves a statement running on a
      // connection the rollback has handed back.
      const [written, recorded] = await Promise.allSettled([writeBytes(), recordRows()]);
      if (written.status === 'rejected') throw written.reason;
      if (recorded.status === 'rejected') throw recorded.reason;
      // Each artifact enters the ledger once, when the tenant first records it (same transaction). Last,
      // once the bytes are written: the append takes the tenant's chain lock, held until the commit, so
      // every other transaction appending for the tenant (the scan's other parts storing theirs) waits for
      // it. Taken alongside the files, it was held while they were written, and the other parts' batches
      // waited for those files too.
      await deps.ledger?.append(
        trx,
        tenantId,
        recorded.value
          .sort()
          .map((sha256) => ({ kind: 'evidence.recorded', actor: 'worker', artifact_sha256: sha256 })),
      );
    });
  }
  return byResource;
}

/** The tenant's overrides in force at scan time, their hash, and a scan error for each stored one skipped. */
export interface OverridesInForce {
  overrides: TenantOverrides;
  hash: string;
  errors: ScanError[];
}

/**
 * Overrides in force: expired exceptions drop out by themselves, and overrides saved under an older bundle
 * that no longer validate are skipped, each leaving a scan error. No bundle is rebuilt.
 */
export async function overridesInForce(
  deps: ScanJobDeps,
  tenantId: string,
  policy: PolicyEngine,
  scanTime: Date,
): Promise<OverridesInForce> {
  const stored = checkOverrides(
    policy.catalog.rules,
    await deps.withTenant(tenantId, (trx) => listOverrides(trx)),
  );
  const overrides = effectiveOverrides(foldOverrides(stored.valid), scanTime);
  return { overrides, hash: overridesHash(overrides), errors: stored.invalid.map(invalidOverrideScanError) };
}

/** Evaluate: the rule bundle over the resources, with the overrides' parameters. */
export function evaluate(
  policy: PolicyEngine,
  resources: Resource[],
  scanTime: Date,
  inForce: OverridesInForce,
): Promise<Finding[]> {
  return policy.evaluate(resources, { scanTime, params: overrideParams(inForce.overrides) });
}

/** A scan's findings after the overrides, with their evidence. */
export interface AppliedFindings {
  /** Findings that count (the tenant's severity, disabled rules dropped). */
  findings: Finding[];
  /** Failing findings an exception set aside: stored with their exception, left out of the score. */
  excepted: StoredFinding[];
  exceptions: ExceptedFinding[];
}

/**
 * Apply overrides: severity, disabled rules and exceptions, each finding given its resource's evidence. The
 * counted findings are the evaluated ones given their evidence in place (the engine's array is the caller's
 * to drop): a copy of each held both, about 258k findings twice at 100k resources.
 */
export function applyTenantOverrides(
  evaluated: Finding[],
  inForce: OverridesInForce,
  resources: readonly Resource[],
  evidence: ReadonlyMap<string, string>,
): AppliedFindings {
  const applied = applyOverrides(evaluated, inForce.overrides, resources);
  const withEvidence = (f: Finding) => ({ ...f, evidence_sha256: evidence.get(f.resource_id) ?? null });
  for (const f of applied.findings) f.evidence_sha256 = evidence.get(f.resource_id) ?? null;
  return {
    findings: applied.findings,
    excepted: applied.excepted.map((x) => ({ ...withEvidence(x.finding), exception_id: x.exception.id })),
    exceptions: applied.excepted,
  };
}

/**
 * Evaluate and apply the overrides, leaving only the applied findings reachable: the engine's raw array is
 * dropped when this returns.
 */
export async function evaluateScan(
  deps: ScanJobDeps,
  tenantId: string,
  policy: PolicyEngine,
  gathered: { resources: Resource[]; evidence: ReadonlyMap<string, string> },
  scanTime: Date,
): Promise<{ inForce: OverridesInForce; applied: AppliedFindings }> {
  const inForce = await overridesInForce(deps, tenantId, policy, scanTime);
  const evaluated = await evaluate(policy, gathered.resources, scanTime, inForce);
  return {
    inForce,
    applied: applyTenantOverrides(evaluated, inForce, gathered.resources, gathered.evidence),
  };
}

/** Score: control results and framework scores under the tenant's scoring policy and manual evidence. */
export async function score(
  deps: ScanJobDeps,
  tenantId: string,
  findings: Finding[],
  scanTime: Date,
): Promise<TenantScores> {
  const frameworks = await deps.engine.frameworks();
  return deps.withTenant(tenantId, (trx) => scoreFindingsForTenant(trx, frameworks, findings, scanTime));
}

/** Records where a succeeded scan's time went (see migration 0025), after its results committed. */
export async function recordTimings(
  deps: ScanJobDeps,
  job: ScanJobData,
  timings: ScanTimings,
): Promise<void> {
  await deps.withTenant(job.tenant_id, (trx) => recordScanTimings(trx, job.scan_id, timings));
}

/** Everything a completed scan writes. */
export interface ScanResults {
  outcome: ScanOutcome;
  bundleRevision: string;
  inForce: OverridesInForce;
  applied: AppliedFindings;
  evidence: Map<string, string>;
  scored: TenantScores;
}

/** The scan.completed ledger entry: what the results were computed with, and a hash that pins them. */
export function scanCompletedEvent(scanId: string, results: ScanResults): LedgerEvent {
  const { findings, exceptions } = results.applied;
  const counts: Record<string, number> = { pass: 0, fail: 0, not_applicable: 0, error: 0 };
  for (const f of findings) counts[f.status] = (counts[f.status] ?? 0) + 1;
  return {
    kind: 'scan.completed',
    actor: 'worker',
    payload: {
      scan_id: scanId,
      bundle_revision: results.bundleRevision,
      overrides_hash: results.inForce.hash,
      finding_counts: counts,
      // Failing findings set aside by an exception, with the exception that did it.
      excepted: exceptions
        .map((x) => ({
          rule_id: x.finding.rule_id,
          resource_id: x.finding.resource_id,
          exception_id: x.exception.id,
        }))
        .sort((a, b) => `${a.rule_id}\0${a.resource_id}`.localeCompare(`${b.rule_id}\0${b.resource_id}`)),
      // Every finding's natural key, status and evidence, hashed: the results cannot change unnoticed.
      findings_sha256: findingsSha256(findings),
      evidence: [...new Set(results.evidence.values())].sort(),
      scores: results.scored.scores.map((s) => ({ framework_id: s.framework_id, score: s.score })),
    },
  };
}

/**
 * sha256 of the canonical JSON of every finding's [rule_id, resource_id, status, evidence_sha256], sorted by
 * the tuple's text. The array holds only strings and nulls, so its canonical JSON is plain JSON: hashed row
 * by row, the same bytes without the whole text in memory (about 40 MB at 258k findings).
 */
export function findingsSha256(findings: readonly Finding[]): string {
  const rows = findings.map((f) => ({
    key: `${f.rule_id},${f.resource_id},${f.status},${f.evidence_sha256 ?? ''}`,
    row: [f.rule_id, f.resource_id, f.status, f.evidence_sha256 ?? null],
  }));
  // String(tuple) is what the order was always defined on (a null joins as empty); localeCompare's order.
  const collator = new Intl.Collator();
  rows.sort((a, b) => collator.compare(a.key, b.key));
  const hash = createHash('sha256').update('[');
  rows.forEach(({ row }, i) => hash.update(i === 0 ? JSON.stringify(row) : `,${JSON.stringify(row)}`));
  return hash.update(']').digest('hex');
}

/** The scores.recomputed ledger entry of a scoring event a scan caused. */
export function postureScoredEvent(posture: ScoredPosture, scanId: string): LedgerEvent {
  return {
    kind: 'scores.recomputed',
    actor: 'worker',
    payload: {
      event_id: posture.event_id,
      reason: 'scan succeeded',
      integration_id: posture.integration_id,
      scan_id: scanId,
      sources: posture.sources,
      scores: posture.scores.map((s) => ({
        framework_id: s.framework_id,
        framework_version: s.framework_version,
        score: s.score,
      })),
    },
  };
}

/**
 * Persist and record: under the scan row's lock, writes findings, control results and scores, marks the
 * scan succeeded, records the tenant's new posture (a scoring event), appends scan.completed, scores.recomputed
 * and a signed checkpoint, all in one transaction. False (nothing
 * written) when the scan was cancelled first: a cancel committed before this wins, one arriving later waits
 * for the lock and then finds the scan done.
 */
export async function complete(deps: ScanJobDeps, job: ScanJobData, results: ScanResults): Promise<boolean> {
  const { tenant_id: tenantId, scan_id: scanId } = job;
  const { outcome, applied, scored } = results;
  // Each finding row keeps its resource's name, account and region.
  const places = new Map(outcome.resources.map((r) => [r.id, r]));
  return deps.withTenant(tenantId, async (trx) => {
    // Exactly once: a cancel committed first wins, and of two finishes of one split scan (a retried job and
    // the attempt it replaced) the second finds the scan no longer running.
    const status = await scanStatus(trx, scanId, true);
    if (status !== 'running' && status !== 'queued') return false;
    await upsertResults(
      trx,
      tenantId,
      scanId,
      [...applied.findings, ...applied.excepted],
      places,
      scored.controls,
    );
    await storeScores(trx, scoreRows(tenantId, scanId, scored));
    await markSucceeded(trx, scanId, {
      progress: { ...outcome.progress, phase: 'done' },
      errors: [...outcome.errors, ...results.inForce.errors],
      bundleRevision: results.bundleRevision,
      overridesHash: results.inForce.hash,
    });
    // The tenant's posture: this scan replaces only its own integration's earlier result.
    const posture = await scorePosture(trx, tenantId, await deps.engine.frameworks(), scored.scoredAt, {
      reason: 'scan',
      scan_id: scanId,
    });
    if (deps.ledger) {
      await deps.ledger.append(trx, tenantId, [
        scanCompletedEvent(scanId, results),
        ...(posture ? [postureScoredEvent(posture, scanId)] : []),
      ]);
      // A signed checkpoint after every scan: the periodic anchor auditors verify against.
      await deps.ledger.checkpoint(trx, tenantId);
    }
    return true;
  });
}
