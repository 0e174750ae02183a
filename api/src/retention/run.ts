/**
 * The retention run: for every tenant with retention settings and no legal hold, clears the raw data of old
 * scans (progress, errors), deletes old findings and old evidence rows, then deletes from the object store
 * the bytes no tenant records any more. Nothing referenced by a ledger entry inside the tenant's audit-log
 * window is touched (a scan named by such an entry keeps its raw data and findings; an artifact named by
 * one keeps its row and bytes), evidence a remaining finding points at is kept, and the ledger itself is
 * never edited. Each tenant is pruned in one transaction as the retention role, with a `retention.applied`
 * ledger entry listing what went; one tenant failing does not stop the others.
 *
 * Findings are partitioned by month (migration 0027): a month partition none of whose rows any tenant keeps
 * is dropped whole before the row-by-row deletes, which then only see the months some tenant still keeps.
 */
import type { Knex } from 'knex';
import type { LedgerEntry } from '../ledger/chain.ts';
import type { LedgerEvent, LedgerService } from '../ledger/ledger.ts';
import { lockEvidence } from '../evidence/store.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import { runAsRetention, switchTenant, type Trx, type WithTenant } from '../plugins/app/tenancy.ts';
import { MONTHS_AHEAD } from '../../migrations/0027_findings_partitions.ts';
import {
  RETENTION_WINDOWS,
  allSettings,
  clearRawScanData,
  countFindingsBetween,
  deleteOldEvidence,
  deleteOldFindings,
  dropFindingsPartition,
  ensureFindingsPartitions,
  evidenceRecordedAnywhere,
  findingsPartitionTenants,
  findingsPartitions,
  keepsFindingsBetween,
  type FindingsPartition,
  type RetentionRow,
} from './store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Appends events to the tenant's ledger inside `trx` (LedgerService.append). */
export type AppendToLedger = (trx: Trx, tenantId: string, events: LedgerEvent[]) => Promise<LedgerEntry[]>;

export interface RetentionDeps {
  /** The owner connection; every statement here runs as the retention role. */
  knex: Knex;
  store: EvidenceStore;
  append: AppendToLedger;
  /** Signs a checkpoint on entry `seq` of the tenant's chain (after the run's transaction commits). */
  checkpoint: (tenantId: string, seq: number) => Promise<unknown>;
  log?: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface TenantRetentionResult {
  tenant_id: string;
  /** True when a legal hold kept everything. */
  held: boolean;
  scans_cleared: number;
  /** Findings deleted row by row plus those that went with a dropped partition. */
  findings_deleted: number;
  /** The findings partitions dropped that held findings of this tenant. */
  findings_partitions_dropped: string[];
  evidence_deleted: number;
  /** Set when this tenant's pruning failed (and was rolled back). */
  error?: string;
}

export interface RetentionReport {
  now: string;
  tenants: TenantRetentionResult[];
  /** Findings partitions dropped whole (every row past every window), oldest first. */
  partitions_dropped: string[];
  /** Objects deleted from the store (bytes no tenant records any more). */
  objects_deleted: number;
}

/**
 * The ledger side of a run: `retention.applied` is appended inside the pruning transaction (retention role);
 * the checkpoint on it is signed right after, as the runtime role (which may write checkpoints), so an
 * export can prove which missing artifacts retention deleted (api/src/ledger/verify.ts).
 */
export function ledgerHooks(
  ledger: LedgerService,
  withTenant: WithTenant,
): Pick<RetentionDeps, 'append' | 'checkpoint'> {
  return {
    append: ledger.append.bind(ledger),
    checkpoint: (tenantId, seq) => withTenant(tenantId, (trx) => ledger.checkpoint(trx, tenantId, seq)),
  };
}

/** The instant `days` before `now`, or null for a window that keeps everything. */
const before = (now: Date, days: number | null) =>
  days === null ? null : new Date(now.getTime() - days * DAY_MS);

/** Ledger entries at or after this instant protect what they reference; with no audit window, all do. */
const ledgerFromOf = (settings: RetentionRow, now: Date) =>
  before(now, settings.audit_log_days)?.toISOString() ?? '-infinity';

/** What went of one tenant with dropped findings partitions. */
interface DroppedFindings {
  findings: number;
  partitions: string[];
}

/**
 * Drops, as the retention role, each findings month partition all of whose rows every tenant with rows in
 * it would delete anyway: a tenant without settings, under legal hold or without a findings window keeps
 * the partition, and so does one with a finding whose scan finished inside its window or that a ledger
 * entry inside its audit window names (keepsFindingsBetween: deleteOldFindings' rule). One transaction per
 * partition: the tenants' checks (each under its tenant's RLS), their row counts for the ledger, and the
 * drop. Only partitions older than the shortest findings window are looked at. A partition that cannot
 * go (or whose drop fails, e.g. on the lock timeout) is left to the row-by-row deletes that follow.
 */
export async function dropExpiredFindingsPartitions(
  deps: Pick<RetentionDeps, 'knex' | 'log'>,
  settings: RetentionRow[],
  now: Date,
): Promise<{ dropped: string[]; byTenant: Map<string, DroppedFindings> }> {
  const byTenant = new Map<string, DroppedFindings>();
  const dropped: string[] = [];
  const pruning = new Map(
    settings.filter((s) => !s.legal_hold && s.findings_days !== null).map((s) => [s.tenant_id, s]),
  );
  if (pruning.size === 0) return { dropped, byTenant };
  const oldest = before(now, Math.min(...[...pruning.values()].map((s) => s.findings_days!)))!;
  const candidates = (await runAsRetention(deps.knex, '', findingsPartitions)).filter((p) => p.to <= oldest);
  for (const partition of candidates) {
    try {
      const counts = await runAsRetention(deps.knex, '', (trx) =>
        dropIfExpired(trx, partition, pruning, now),
      );
      if (!counts) continue;
      dropped.push(partition.name);
      for (const [tenantId, findings] of counts) {
        const entry = byTenant.get(tenantId) ?? { findings: 0, partitions: [] };
        entry.findings += findings;
        entry.partitions.push(partition.name);
        byTenant.set(tenantId, entry);
      }
    } catch (error) {
      deps.log?.error(
        { err: error, partition: partition.name },
        'retention could not drop a findings partition',
      );
    }
  }
  return { dropped, byTenant };
}

/** Drops `partition` if no tenant keeps a row of it; returns each tenant's rows that went, or null. */
async function dropIfExpired(
  trx: Trx,
  partition: FindingsPartition,
  pruning: Map<string, RetentionRow>,
  now: Date,
): Promise<Map<string, number> | null> {
  const counts = new Map<string, number>();
  for (const tenantId of await findingsPartitionTenants(trx, partition.name)) {
    const settings = pruning.get(tenantId);
    if (!settings) return null;
    const finishedBefore = before(now, settings.findings_days)!;
    await switchTenant(trx, tenantId);
    if (
      await keepsFindingsBetween(
        trx,
        tenantId,
        partition.from,
        partition.to,
        finishedBefore,
        ledgerFromOf(settings, now),
      )
    )
      return null;
    counts.set(tenantId, await countFindingsBetween(trx, tenantId, partition.from, partition.to));
  }
  await dropFindingsPartition(trx, partition.name);
  return counts;
}

async function pruneTenant(
  deps: RetentionDeps,
  settings: RetentionRow,
  now: Date,
  droppedFindings: DroppedFindings | undefined,
): Promise<{ result: TenantRetentionResult; pruned: string[] }> {
  const tenantId = settings.tenant_id;
  const result: TenantRetentionResult = {
    tenant_id: tenantId,
    held: settings.legal_hold,
    scans_cleared: 0,
    findings_deleted: droppedFindings?.findings ?? 0,
    findings_partitions_dropped: droppedFindings?.partitions ?? [],
    evidence_deleted: 0,
  };
  if (settings.legal_hold) return { result, pruned: [] };
  const ledgerFrom = ledgerFromOf(settings, now);
  const rawBefore = before(now, settings.raw_scan_data_days);
  const findingsBefore = before(now, settings.findings_days);
  const evidenceBefore = before(now, settings.evidence_days);
  const outcome = await runAsRetention(
    deps.knex,
    tenantId,
    async (trx): Promise<{ shas: string[]; seq?: number }> => {
      if (rawBefore) result.scans_cleared = await clearRawScanData(trx, tenantId, rawBefore, ledgerFrom);
      // Also forgets the finding counts of the scans whose findings went with a dropped partition.
      if (findingsBefore)
        result.findings_deleted += await deleteOldFindings(trx, tenantId, findingsBefore, ledgerFrom);
      const shas = evidenceBefore ? await deleteOldEvidence(trx, tenantId, evidenceBefore, ledgerFrom) : [];
      result.evidence_deleted = shas.length;
      if (result.scans_cleared + result.findings_deleted + result.evidence_deleted > 0) {
        const [entry] = await deps.append(trx, tenantId, [
          {
            kind: 'retention.applied',
            actor: 'retention',
            payload: {
              windows: Object.fromEntries(RETENTION_WINDOWS.map((w) => [w, settings[w]])),
              ledger_protects_from: ledgerFrom,
              scans_cleared: result.scans_cleared,
              findings_deleted: result.findings_deleted,
              ...(result.findings_partitions_dropped.length > 0
                ? { findings_partitions_dropped: result.findings_partitions_dropped }
                : {}),
              evidence_deleted: result.evidence_deleted,
              pruned_evidence: shas,
            },
          },
        ]);
        return { shas, seq: entry?.seq };
      }
      return { shas };
    },
  );
  if (outcome.seq !== undefined) await deps.checkpoint(tenantId, outcome.seq);
  return { result, pruned: outcome.shas };
}

/**
 * Deletes the bytes of `sha256` unless some tenant still records it. Under the exclusive evidence lock, so a
 * scan recording the same bytes right now (shared lock) either commits its row first, and the bytes stay,
 * or waits and writes them again.
 */
async function deleteObjectIfUnreferenced(deps: RetentionDeps, sha256: string): Promise<boolean> {
  return runAsRetention(deps.knex, '', async (trx) => {
    await lockEvidence(trx, [sha256], 'exclusive');
    if (await evidenceRecordedAnywhere(trx, sha256)) return false;
    await deps.store.delete(sha256);
    return true;
  });
}

/** Applies every tenant's retention settings as of `now`. */
export async function runRetention(deps: RetentionDeps, now = new Date()): Promise<RetentionReport> {
  const settings = await runAsRetention(deps.knex, '', allSettings);
  // The coming months' partitions first (and any month the DEFAULT partition took, so it can expire whole).
  await runAsRetention(deps.knex, '', (trx) => ensureFindingsPartitions(trx, MONTHS_AHEAD));
  // Whole partitions before rows: what a drop takes need not be deleted row by row.
  const partitions = await dropExpiredFindingsPartitions(deps, settings, now);
  const report: RetentionReport = {
    now: now.toISOString(),
    tenants: [],
    partitions_dropped: partitions.dropped,
    objects_deleted: 0,
  };
  const candidates = new Set<string>();
  for (const row of settings) {
    try {
      const { result, pruned } = await pruneTenant(deps, row, now, partitions.byTenant.get(row.tenant_id));
      report.tenants.push(result);
      for (const sha of pruned) candidates.add(sha);
    } catch (error) {
      deps.log?.error({ err: error, tenant_id: row.tenant_id }, 'retention failed for a tenant');
      report.tenants.push({
        tenant_id: row.tenant_id,
        held: row.legal_hold,
        scans_cleared: 0,
        findings_deleted: partitions.byTenant.get(row.tenant_id)?.findings ?? 0,
        findings_partitions_dropped: partitions.byTenant.get(row.tenant_id)?.partitions ?? [],
        evidence_deleted: 0,
        error: (error as Error).message,
      });
    }
  }
  for (const sha256 of [...candidates].sort()) {
    try {
      if (await deleteObjectIfUnreferenced(deps, sha256)) report.objects_deleted += 1;
    } catch (error) {
      // The rows are gone, so no tenant can reach these bytes any more; they stay until removed by hand (logged).
      deps.log?.error({ err: error, sha256 }, 'retention could not delete an evidence object');
    }
  }
  deps.log?.info(
    {
      tenants: report.tenants.length,
      partitions_dropped: report.partitions_dropped,
      objects_deleted: report.objects_deleted,
    },
    'retention run finished',
  );
  return report;
}
