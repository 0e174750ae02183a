/**
 * Excepted findings (issue 3): a failing finding set aside by a resource exception is stored like any other,
 * with status `fail` (what the rule decided stays the truth) and `exception_id` naming the exception that set
 * it aside, so an auditor sees the finding together with its exception (reason, approver, expiry). Scores
 * leave such findings out (docs/scoring.md). The foreign key includes the tenant: a finding can only name an
 * exception of its own tenant. Exceptions are never deleted (only retired), so the link always resolves.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const statements = [
  `ALTER TABLE rule_overrides ADD CONSTRAINT rule_overrides_tenant_id_id UNIQUE (tenant_id, id)`,
  `ALTER TABLE findings ADD COLUMN exception_id uuid`,
  `ALTER TABLE findings ADD CONSTRAINT findings_exception FOREIGN KEY (tenant_id, exception_id) REFERENCES rule_overrides (tenant_id, id)`,
  // Only a failing finding can be excepted: a pass needs no exception and an error stays visible.
  `ALTER TABLE findings ADD CONSTRAINT findings_exception_fails CHECK (exception_id IS NULL OR status = 'fail')`,
  `CREATE INDEX findings_exception_id ON findings (tenant_id, exception_id) WHERE exception_id IS NOT NULL`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE findings DROP COLUMN IF EXISTS exception_id`);
  await knex.raw(`ALTER TABLE rule_overrides DROP CONSTRAINT IF EXISTS rule_overrides_tenant_id_id`);
}
