/**
 * complywise retention run [--now <ISO time>] [--format text|json]: applies every tenant's retention settings
 * once, as the daily job does (api/src/retention/run.ts), against the database and evidence store the
 * environment configures (DATABASE_URL or the PGlite folder under COMPLYWISE_DATA_DIR; the evidence store
 * variables). On embedded PGlite stop the server first: one process at a time may open its folder.
 * Exit codes: 0 done, 1 some tenant could not be pruned (rolled back, named on stderr), 3 environment failure.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../api/src/config.ts';
import { LedgerService, loadLedgerSigner } from '../../api/src/ledger/ledger.ts';
import { createEvidenceStore } from '../../api/src/plugins/app/evidence.ts';
import { runAsApp, type WithTenant } from '../../api/src/plugins/app/tenancy.ts';
import { migrateLatest, openDatabase, type Database } from '../../api/src/plugins/external/db.ts';
import { ledgerHooks, runRetention, type RetentionReport } from '../../api/src/retention/run.ts';

export interface RetentionIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

function summary(report: RetentionReport): string {
  const lines = report.tenants.map((t) =>
    t.error
      ? `${t.tenant_id}: FAILED (${t.error})`
      : t.held
        ? `${t.tenant_id}: legal hold, nothing pruned`
        : `${t.tenant_id}: ${t.scans_cleared} scans cleared of raw data, ${t.findings_deleted} findings, ${t.evidence_deleted} evidence rows deleted`,
  );
  lines.push(
    `retention as of ${report.now}: ${report.tenants.length} tenants with settings, ${report.partitions_dropped.length} findings partitions dropped, ${report.objects_deleted} evidence objects deleted`,
  );
  return `${lines.join('\n')}\n`;
}

/** Registers `complywise retention …`. */
export function registerRetentionCommands(
  program: Command,
  io: RetentionIo,
  setCode: (code: number) => void,
): void {
  const group = program.command('retention').description('apply retention settings and legal holds');
  group
    .command('run')
    .option('--now <time>', 'apply the windows as of this ISO 8601 time (default: now)')
    .option('--format <format>', 'text or json', 'text')
    .description('prune expired raw scan data, findings and evidence of every tenant not under legal hold')
    .action(async (options: { now?: string; format: string }) => {
      const now = options.now ? new Date(options.now) : new Date();
      if (Number.isNaN(now.getTime())) {
        io.stderr(`--now: not an ISO 8601 time: ${options.now}\n`);
        setCode(64);
        return;
      }
      let database: Database | undefined;
      try {
        const config = loadConfig();
        database = await openDatabase(config);
        await migrateLatest(database);
        const store = createEvidenceStore(config.evidence);
        const knex = database.knex;
        const withTenant: WithTenant = (tenantId, work) => runAsApp(knex, { tenantId }, work);
        const ledger = new LedgerService(withTenant, loadLedgerSigner(config), store);
        const report = await runRetention({ knex, store, ...ledgerHooks(ledger, withTenant) }, now);
        io.stdout(options.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
        const failed = report.tenants.filter((t) => t.error);
        for (const t of failed) io.stderr(`tenant ${t.tenant_id}: ${t.error}\n`);
        setCode(failed.length > 0 ? 1 : 0);
      } catch (error) {
        io.stderr(`retention run failed: ${(error as Error).message}\n`);
        setCode(3);
      } finally {
        await database?.close();
      }
    });
}
