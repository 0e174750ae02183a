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
import { RETENTION_ROLE } from '../../migrations/0008_retention.ts';
import { lockEvidence, type EvidenceStore } from '../plugins/app/evidence.ts';
import type { LedgerService } from '../ledger/ledger.ts';
import type { Trx, WithTenant } from '../plugins/app/tenancy.ts';
import { RETENTION_WINDOWS, type AppendToLedger, type RetentionRow } from './settings.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

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

/** One transaction as the retention role with the tenant set ('' = none: only the sweep policies see rows). */
function asRetention<T>(knex: Knex, tenantId: string, work: (trx: Trx) => Promise<T>): Promise<T> {
  return knex.transaction(async (trx) => {
    await trx.raw(`SET LOCAL ROLE ${RETENTION_ROLE}`);
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    return work(trx);
  });
}

/** The instant `days` before `now`, or null for a window that keeps everything. */
const before = (now: Date, days: number | null) =>
  days === null ? null : new Date(now.getTime() - days * DAY_MS);

/** SQL: a ledger entry inside the window names scan `scanColumn`. */
const scanInLedgerWindow = (scanColumn: string) =>
  `exists (select 1 from ledger_entries l where l.tenant_id = ? and l.occurred_at >= ?::timestamptz
     and l.payload->>'scan_id' = ${scanColumn}::text)`;

/**
 * Deletes the tenant's evidence rows recorded before `recordedBefore` that no finding and no ledger entry
 * from `ledgerFrom` on names; returns their hashes, sorted. A row another table still points at (e.g.
 * manual evidence, which this role cannot read) makes the batch fail on its foreign key: then rows are
 * deleted one by one, each in a savepoint, and the referenced ones kept.
 */
async function deleteEvidence(
  trx: Trx,
  tenantId: string,
  recordedBefore: Date,
  ledgerFrom: string,
): Promise<string[]> {
  const candidates = await trx.raw<{ rows: { sha256: string }[] }>(
    `select e.sha256 from evidence e
     where e.tenant_id = ? and e.created_at < ?
       and not exists (select 1 from findings f where f.tenant_id = e.tenant_id and f.evidence_sha256 = e.sha256)
       and not exists (select 1 from ledger_entries l where l.tenant_id = e.tenant_id and l.occurred_at >= ?::timestamptz
         and (l.artifact_sha256 = e.sha256 or l.payload->'evidence' @> to_jsonb(e.sha256)))
     order by e.sha256`,
    [tenantId, recordedBefore, ledgerFrom],
  );
  const shas = candidates.rows.map((r) => r.sha256);
  const remove = (list: string[]) =>
    trx.transaction((savepoint) =>
      savepoint('evidence').where({ tenant_id: tenantId }).whereRaw('sha256 = any(?::text[])', [list]).del(),
    );
  const referenced = (error: unknown) => (error as { code?: string }).code === '23503';
  if (shas.length === 0) return [];
  try {
    await remove(shas);
    return shas;
  } catch (error) {
    if (!referenced(error)) throw error;
  }
  const deleted: string[] = [];
  for (const sha of shas) {
    try {
      await remove([sha]);
      deleted.push(sha);
    } catch (error) {
      if (!referenced(error)) throw error;
    }
  }
  return deleted;
}

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
  const outcome = await asRetention(
    deps.knex,
    tenantId,
    async (trx): Promise<{ shas: string[]; seq?: number }> => {
      if (rawBefore) {
        const cleared = await trx.raw(
          `update scans s set progress = '{}', errors = '[]', updated_at = now()
         where s.tenant_id = ? and s.finished_at < ? and (s.progress <> '{}'::jsonb or s.errors <> '[]'::jsonb)
           and not ${scanInLedgerWindow('s.id')}`,
          [tenantId, rawBefore, tenantId, ledgerFrom],
        );
        result.scans_cleared = cleared.rowCount ?? 0;
      }
      if (findingsBefore) {
        const deleted = await trx.raw(
          `delete from findings f using scans s
         where f.tenant_id = ? and s.tenant_id = f.tenant_id and s.id = f.scan_id and s.finished_at < ?
           and not ${scanInLedgerWindow('s.id')}`,
          [tenantId, findingsBefore, tenantId, ledgerFrom],
        );
        result.findings_deleted = deleted.rowCount ?? 0;
      }
      const shas = evidenceBefore ? await deleteEvidence(trx, tenantId, evidenceBefore, ledgerFrom) : [];
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
  return asRetention(deps.knex, '', async (trx) => {
    await lockEvidence(trx, [sha256], 'exclusive');
    const [row] = (await trx('evidence').where({ sha256 }).count({ n: '*' })) as { n: string | number }[];
    if (Number(row!.n) > 0) return false;
    await deps.store.delete(sha256);
    return true;
  });
}

/** Applies every tenant's retention settings as of `now`. */
export async function runRetention(deps: RetentionDeps, now = new Date()): Promise<RetentionReport> {
  const settings = (await asRetention(deps.knex, '', (trx) =>
    trx('retention_settings').select('*').orderBy('tenant_id'),
  )) as RetentionRow[];
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
