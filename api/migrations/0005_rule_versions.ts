/**
 * The rule-version registry for auditors (issue 3): every rule version ever deployed, global (rules are the
 * same for every tenant), with its full source, content hash, bundle revision, git commit when known, and
 * when it was first and last in force (`last_in_force_at` null = in force now). Findings link to it by
 * (rule_id, rule_hash). Written at startup by the owner role; the runtime role only reads it.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';

const statements = [
  `CREATE TABLE rule_versions (
    rule_id text NOT NULL,
    hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    version text NOT NULL,
    files jsonb NOT NULL,
    bundle_revision text NOT NULL,
    git_commit text,
    first_in_force_at timestamptz NOT NULL,
    last_in_force_at timestamptz,
    PRIMARY KEY (rule_id, hash),
    CHECK (last_in_force_at IS NULL OR last_in_force_at >= first_in_force_at)
  )`,
  `CREATE INDEX rule_versions_in_force ON rule_versions (first_in_force_at, last_in_force_at)`,
  `GRANT SELECT ON rule_versions TO ${APP_ROLE}`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TABLE IF EXISTS rule_versions`);
}
