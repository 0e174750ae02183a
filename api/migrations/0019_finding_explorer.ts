/**
 * The findings explorer (issue 15): where each finding's resource lives, a severity order, and the indexes
 * the explorer's sorts walk.
 *
 * - `resource_account` and `resource_region`: the account (AWS account, Azure subscription, GitHub or Okta
 *   organization) and region of the finding's resource, as the scanner reported them, so the explorer can
 *   filter on them. Findings stored before this migration have '' in both until their integration's next scan
 *   (the resources are only in the evidence store, which SQL cannot read).
 * - `severity_rank`: 0 for critical up to 4 for info, computed by PostgreSQL from `severity`, so "most severe
 *   first" is an index order and a keyset cursor like any other column.
 * - One index per explorer sort, each led by (tenant_id, scan_id): the explorer reads every posture scan in
 *   the sort's order and merges them (docs/api.md, GET /api/findings), so a page costs the same at any depth.
 *   The rule sort uses the unique key (tenant_id, scan_id, rule_id, resource_id) already there.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const statements = [
  `ALTER TABLE findings ADD COLUMN resource_account text NOT NULL DEFAULT ''`,
  `ALTER TABLE findings ADD COLUMN resource_region text NOT NULL DEFAULT ''`,
  `ALTER TABLE findings ADD COLUMN severity_rank smallint GENERATED ALWAYS AS (
    CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END
  ) STORED`,
  `CREATE INDEX findings_explorer_severity ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id)`,
  `CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id, rule_id)`,
  `CREATE INDEX findings_explorer_type ON findings (tenant_id, scan_id, resource_type, rule_id, resource_id)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  for (const index of ['findings_explorer_severity', 'findings_explorer_resource', 'findings_explorer_type'])
    await knex.raw(`DROP INDEX IF EXISTS ${index}`);
  for (const column of ['severity_rank', 'resource_region', 'resource_account'])
    await knex.raw(`ALTER TABLE findings DROP COLUMN IF EXISTS ${column}`);
}
