/**
 * Per-tenant rule overrides (issue 3): parameter values, enable/disable, severity and resource exceptions,
 * stored append-only with author and time. The app role may INSERT and SELECT; the only UPDATE it may make is
 * setting `retired_at`/`retired_by` once (a column grant plus a restrictive policy), so the content of an
 * override never changes after it is written. Each scan records the hash of the set it applied
 * (`scans.overrides_hash`).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE rule_overrides (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('params', 'enabled', 'severity', 'exception')),
    rule_id text NOT NULL CHECK (length(rule_id) BETWEEN 1 AND 200),
    params jsonb,
    enabled boolean,
    severity text CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    selector jsonb,
    reason text,
    approver text,
    expires_at timestamptz,
    created_by uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    retired_by uuid REFERENCES users (id),
    CHECK ((kind = 'params') = (params IS NOT NULL)),
    CHECK ((kind = 'enabled') = (enabled IS NOT NULL)),
    CHECK ((kind = 'severity') = (severity IS NOT NULL)),
    CHECK ((kind = 'exception') = (selector IS NOT NULL AND reason IS NOT NULL AND approver IS NOT NULL AND expires_at IS NOT NULL)),
    CHECK ((retired_at IS NULL) = (retired_by IS NULL))
  )`,
  `CREATE INDEX rule_overrides_tenant ON rule_overrides (tenant_id, created_at, id)`,
  `ALTER TABLE rule_overrides ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE rule_overrides FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON rule_overrides USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  // A retired override stays retired: the one permitted UPDATE applies to live rows only.
  `CREATE POLICY retire_once ON rule_overrides AS RESTRICTIVE FOR UPDATE USING (retired_at IS NULL) WITH CHECK (true)`,
  `GRANT SELECT, INSERT ON rule_overrides TO ${APP_ROLE}`,
  `GRANT UPDATE (retired_at, retired_by) ON rule_overrides TO ${APP_ROLE}`,
  `ALTER TABLE scans ADD COLUMN overrides_hash text CHECK (overrides_hash ~ '^[0-9a-f]{64}$')`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`ALTER TABLE scans DROP COLUMN IF EXISTS overrides_hash`);
  await knex.raw(`DROP TABLE IF EXISTS rule_overrides`);
}
