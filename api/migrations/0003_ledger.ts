/**
 * The evidence ledger: per tenant, an append-only hash chain of entries (evidence artifacts and the events
 * that change results or access), and Ed25519-signed checkpoints over it. The runtime role may only SELECT
 * and INSERT: no UPDATE, no DELETE, so even a bug in the app cannot rewrite history.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

const statements = [
  `CREATE TABLE ledger_entries (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq integer NOT NULL CHECK (seq >= 1),
    kind text NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor text,
    payload jsonb NOT NULL,
    artifact_sha256 text CHECK (artifact_sha256 ~ '^[0-9a-f]{64}$'),
    prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    entry_hash text NOT NULL CHECK (entry_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (tenant_id, seq)
  )`,
  `CREATE INDEX ledger_entries_time ON ledger_entries (tenant_id, occurred_at)`,
  `CREATE TABLE ledger_checkpoints (
    tenant_id uuid NOT NULL,
    seq integer NOT NULL,
    entry_hash text NOT NULL,
    signed_at timestamptz NOT NULL,
    key_id text NOT NULL,
    signature text NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    FOREIGN KEY (tenant_id, seq) REFERENCES ledger_entries (tenant_id, seq)
  )`,
  ...['ledger_entries', 'ledger_checkpoints'].flatMap((table) => [
    `ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY tenant_isolation ON ${table} USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
    `GRANT SELECT, INSERT ON ${table} TO ${APP_ROLE}`,
  ]),
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS ledger_checkpoints`);
  await knex.raw(`DROP TABLE IF EXISTS ledger_entries`);
}
