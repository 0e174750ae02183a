/**
 * The retention run: for every tenant with retention settings and no legal hold, clears the raw data of old
 * scans (progress, errors), deletes old findings and old evidence rows, then deletes from the object store
 * the bytes no tenant records any more. Nothing referenced by a ledger entry inside the tenant's audit-log
 * window is touched (a scan named by such an entry keeps its raw data and findings; an artifact named by
 * one keeps its row and bytes), evidence a remaining finding points at is kept, and the ledger itself is
 * never edited. Each tenant is pruned in one transaction as the retention role, with a `retention.applied`
 * ledger entry listing what went; one tenant failing does not stop the others.
 */
import type { Knex } from 'knex';
import type { LedgerEntry } from '../ledger/chain.ts';
import type { LedgerEvent, LedgerService } from '../ledger/ledger.ts';
import { lockEvidence } from '../evidence/store.ts';
import type { EvidenceStore } from '../plugins/app/evidence.ts';
import { runAsRetention, type Trx, type WithTenant } from '../plugins/app/tenancy.ts';
import {
  RETENTION_WINDOWS,
  allSettings,
  clearRawScanData,
  deleteOldEvidence,
  deleteOldFindings,
  evidenceRecordedAnywhere,
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
  findings_deleted: number;
  evidence_deleted: number;
  /** Set when this tenant's pruning failed (and was rolled back). */
  error?: string;
}

export interface RetentionReport {
  now: string;
  tenants: TenantRetentionResult[];
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

async function pruneTenant(
  deps: RetentionDeps,
  settings: RetentionRow,
  now: Date,
): Promise<{ result: TenantRetentionResult; pruned: string[] }> {
  const tenantId = settings.tenant_id;
  const result: TenantRetentionResult = {
    tenant_id: tenantId,
    held: settings.legal_hold,
    scans_cleared: 0,
    findings_deleted: 0,
    evidence_deleted: 0,
  };
  if (settings.legal_hold) return { result, pruned: [] };
  // Ledger entries at or after this instant protect what they reference; with no audit window, all do.
  const ledgerFrom = before(now, settings.audit_log_days)?.toISOString() ?? '-infinity';
  const rawBefore = before(now, settings.raw_scan_data_days);
  const findingsBefore = before(now, settings.findings_days);
  const evidenceBefore = before(now, settings.evidence_days);
  const outcome = await runAsRetention(
    deps.knex,
    tenantId,
    async (trx): Promise<{ shas: string[]; seq?: number }> => {
      if (rawBefore) result.scans_cleared = await clearRawScanData(trx, tenantId, rawBefore, ledgerFrom);
      if (findingsBefore)
        result.findings_deleted = await deleteOldFindings(trx, tenantId, findingsBefore, ledgerFrom);
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
  const report: RetentionReport = { now: now.toISOString(), tenants: [], objects_deleted: 0 };
  const candidates = new Set<string>();
  for (const row of settings) {
    try {
      const { result, pruned } = await pruneTenant(deps, row, now);
      report.tenants.push(result);
      for (const sha of pruned) candidates.add(sha);
    } catch (error) {
      deps.log?.error({ err: error, tenant_id: row.tenant_id }, 'retention failed for a tenant');
      report.tenants.push({
        tenant_id: row.tenant_id,
        held: row.legal_hold,
        scans_cleared: 0,
        findings_deleted: 0,
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
    { tenants: report.tenants.length, objects_deleted: report.objects_deleted },
    'retention run finished',
  );
  return report;
}
