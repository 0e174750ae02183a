/**
 * Retention (issue 6): per-tenant windows for raw scan data, findings, evidence and the audit log, and a
 * legal hold. The runtime role reads and writes the settings but still deletes nothing; pruning runs as its
 * own role, `complywise_retention`, which may DELETE only findings and evidence rows and clear only the raw
 * columns of scans (progress, errors), always inside one tenant (the tenant policies still apply to it). Two
 * read-only policies let it see every tenant's settings (to know whom to prune) and evidence hashes (so an
 * object shared by content with another tenant is never deleted from the store).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE, createRoleStatement, grantRoleToMigratorStatement } from './0001_initial.ts';

/** The role the retention job switches to (SET LOCAL ROLE) for its deletions. */
export const RETENTION_ROLE = 'complywise_retention';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;
/** A window in days, 1 to 100 years; NULL keeps that data for ever. */
const window = (column: string) => `${column} integer CHECK (${column} BETWEEN 1 AND 36500)`;

const statements = [
  `CREATE TABLE retention_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    ${window('raw_scan_data_days')},
    ${window('findings_days')},
    ${window('evidence_days')},
    ${window('audit_log_days')},
    legal_hold boolean NOT NULL DEFAULT false,
    legal_hold_reason text CHECK (length(legal_hold_reason) BETWEEN 1 AND 1000),
    legal_hold_set_by text,
    legal_hold_set_at timestamptz,
    updated_by text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT legal_hold OR (legal_hold_reason IS NOT NULL AND legal_hold_set_by IS NOT NULL AND legal_hold_set_at IS NOT NULL))
  )`,
  `ALTER TABLE retention_settings ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE retention_settings FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON retention_settings USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, UPDATE ON retention_settings TO ${APP_ROLE}`,
  createRoleStatement(RETENTION_ROLE),
  // As in 0001: a migrator that is not superuser becomes a member, to SET ROLE to it.
  grantRoleToMigratorStatement(RETENTION_ROLE),
  `GRANT USAGE ON SCHEMA public TO ${RETENTION_ROLE}`,
  `GRANT SELECT ON retention_settings, scans, findings, evidence, ledger_entries TO ${RETENTION_ROLE}`,
  `GRANT UPDATE (progress, errors, updated_at) ON scans TO ${RETENTION_ROLE}`,
  `GRANT DELETE ON findings, evidence TO ${RETENTION_ROLE}`,
  // Each run that removed something is itself a ledger entry, appended in the same transaction.
  `GRANT INSERT ON ledger_entries TO ${RETENTION_ROLE}`,
  `CREATE POLICY retention_sweep ON retention_settings FOR SELECT TO ${RETENTION_ROLE} USING (true)`,
  `CREATE POLICY retention_sweep ON evidence FOR SELECT TO ${RETENTION_ROLE} USING (true)`,
  `CREATE INDEX findings_evidence_idx ON findings (tenant_id, evidence_sha256)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX IF EXISTS findings_evidence_idx`);
  await knex.raw(`DROP POLICY IF EXISTS retention_sweep ON evidence`);
  await knex.raw(`DROP TABLE IF EXISTS retention_settings`);
  for (const table of ['scans', 'findings', 'evidence', 'ledger_entries']) {
    await knex.raw(`REVOKE ALL ON ${table} FROM ${RETENTION_ROLE}`);
  }
  // Roles are cluster-wide and may serve other databases: revoke here, never drop.
  await knex.raw(`REVOKE ALL ON SCHEMA public FROM ${RETENTION_ROLE}`);
}
