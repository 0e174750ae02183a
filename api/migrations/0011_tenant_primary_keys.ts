/**
 * Every tenant table keys its rows by tenant first (docs/scaling.md): the primary key of each table that had
 * `PRIMARY KEY (id)` becomes `(tenant_id, id)`, and the two token-hash uniques become per tenant. A
 * tenant-sharded PostgreSQL (Citus with tenant_id as distribution column) only accepts primary keys and
 * unique constraints that contain the distribution column; with this migration sharding needs no schema
 * change. api/migrations/tenant-keys.test.ts keeps it that way for tables added later.
 *
 * No data moves: ids are random UUIDs, so `(tenant_id, id)` is unique wherever `id` was, and the new
 * constraints are built from the rows already there. Every foreign key between tenant tables already names
 * the tenant (`(tenant_id, scan_id)` and so on), so no foreign key depends on the old keys. The old
 * `UNIQUE (tenant_id, id)` of scans, integrations and rule_overrides stays: foreign keys are bound to it,
 * and rebinding them would re-check every finding for a gain of one small index.
 *
 * Token hashes stay findable without a tenant (sign-in by API token or refresh token does not know the
 * tenant yet) through a plain index; a hash is of 32 random bytes, so uniqueness per tenant loses nothing.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

/** The tables whose primary key was `(id)`. */
const ID_KEYED_TABLES = [
  'api_tokens',
  'control_results',
  'findings',
  'framework_scores',
  'integrations',
  'manual_evidence',
  'refresh_tokens',
  'rule_overrides',
  'scans',
  'scoring_policies',
  'tenant_frameworks',
] as const;

/** The tables whose token_hash was unique across tenants. */
const TOKEN_TABLES = ['api_tokens', 'refresh_tokens'] as const;

export async function up(knex: Knex): Promise<void> {
  for (const table of ID_KEYED_TABLES) {
    await knex.raw(
      `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (tenant_id, id)`,
    );
  }
  for (const table of TOKEN_TABLES) {
    await knex.raw(
      `ALTER TABLE ${table} DROP CONSTRAINT ${table}_token_hash_key, ADD CONSTRAINT ${table}_token_hash_key UNIQUE (tenant_id, token_hash)`,
    );
    await knex.raw(`CREATE INDEX ${table}_token_hash ON ${table} (token_hash)`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TOKEN_TABLES) {
    await knex.raw(`DROP INDEX ${table}_token_hash`);
    await knex.raw(
      `ALTER TABLE ${table} DROP CONSTRAINT ${table}_token_hash_key, ADD CONSTRAINT ${table}_token_hash_key UNIQUE (token_hash)`,
    );
  }
  for (const table of ID_KEYED_TABLES) {
    await knex.raw(
      `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`,
    );
  }
}
