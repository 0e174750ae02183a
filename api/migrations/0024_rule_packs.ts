/**
 * Rule packs a tenant has enabled (docs/rules.md, "Rule packs"). A row means the pack is enabled; disabling
 * deletes it (the ledger keeps both events). The pack itself lives in the deployed bundle's catalog, so
 * `pack_id` names no table: a pack a later bundle drops stays enabled here and is listed as unknown.
 * Enabling a pack changes no scan and no score: it adds a per-pack view.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE tenant_rule_packs (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    pack_id text NOT NULL CHECK (length(pack_id) BETWEEN 1 AND 100),
    enabled_by uuid REFERENCES users (id) ON DELETE SET NULL,
    enabled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, pack_id)
  )`,
  `ALTER TABLE tenant_rule_packs ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE tenant_rule_packs FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON tenant_rule_packs USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, DELETE ON tenant_rule_packs TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS tenant_rule_packs`);
}
