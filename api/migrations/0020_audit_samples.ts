/**
 * Audit samples: an auditor or admin draws a sample of a population (the resources of one type that the
 * audit's period scans saw as of a moment) with a seed. The seed, the population's size and digest and the
 * resources drawn are kept, so the same request with the same seed can be shown to give the same sample.
 * Samples are appended, never edited (each is also a ledger entry).
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE audit_samples (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    audit_id uuid NOT NULL,
    resource_type text NOT NULL CHECK (length(resource_type) BETWEEN 1 AND 200),
    as_of timestamptz NOT NULL,
    size integer NOT NULL CHECK (size BETWEEN 1 AND 500),
    seed text NOT NULL CHECK (length(seed) BETWEEN 1 AND 64),
    population_size integer NOT NULL CHECK (population_size >= 0),
    population_sha256 text NOT NULL CHECK (length(population_sha256) = 64),
    scan_ids jsonb NOT NULL,
    items jsonb NOT NULL,
    drawn_by uuid REFERENCES users (id) ON DELETE SET NULL,
    drawn_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, audit_id) REFERENCES audits (tenant_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX audit_samples_audit ON audit_samples (tenant_id, audit_id, drawn_at DESC)`,
  `ALTER TABLE audit_samples ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE audit_samples FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON audit_samples USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT ON audit_samples TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS audit_samples`);
}
