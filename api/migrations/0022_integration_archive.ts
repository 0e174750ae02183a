/**
 * Archived integrations (issue 15): deleting an integration archives it. Its row stays, so its scans,
 * findings and evidence remain readable for audit, but it has no credentials any more (the sealed columns
 * are cleared, which the CHECK below holds both ways), its name is free for a new integration (the name is
 * unique among active integrations only), and the posture leaves it out from the scoring event the archive
 * records (`integration_archived`). Row-level security of `integrations` and `scoring_events` is unchanged.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

const SEALED = ['credentials_ciphertext', 'credentials_iv', 'credentials_tag', 'key_version'];

const statements = [
  `ALTER TABLE integrations ADD COLUMN archived_at timestamptz`,
  ...SEALED.map((column) => `ALTER TABLE integrations ALTER COLUMN ${column} DROP NOT NULL`),
  `ALTER TABLE integrations ADD CONSTRAINT integrations_archived_sealed CHECK (CASE WHEN archived_at IS NULL
     THEN ${SEALED.map((c) => `${c} IS NOT NULL`).join(' AND ')}
     ELSE ${SEALED.map((c) => `${c} IS NULL`).join(' AND ')} END)`,
  `ALTER TABLE integrations DROP CONSTRAINT integrations_tenant_id_name_key`,
  `CREATE UNIQUE INDEX integrations_active_name ON integrations (tenant_id, name) WHERE archived_at IS NULL`,
  `ALTER TABLE scoring_events DROP CONSTRAINT scoring_events_reason_check`,
  `ALTER TABLE scoring_events ADD CONSTRAINT scoring_events_reason_check
     CHECK (reason IN ('scan', 'manual_evidence', 'migrated', 'integration_archived'))`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

/** Fails while an archived integration exists: its history would otherwise be lost with it. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DELETE FROM scoring_events WHERE reason = 'integration_archived'`);
  await knex.raw(`ALTER TABLE scoring_events DROP CONSTRAINT scoring_events_reason_check`);
  await knex.raw(
    `ALTER TABLE scoring_events ADD CONSTRAINT scoring_events_reason_check CHECK (reason IN ('scan', 'manual_evidence', 'migrated'))`,
  );
  await knex.raw(`DROP INDEX integrations_active_name`);
  await knex.raw(
    `ALTER TABLE integrations ADD CONSTRAINT integrations_tenant_id_name_key UNIQUE (tenant_id, name)`,
  );
  await knex.raw(`ALTER TABLE integrations DROP CONSTRAINT integrations_archived_sealed`);
  for (const column of SEALED) await knex.raw(`ALTER TABLE integrations ALTER COLUMN ${column} SET NOT NULL`);
  await knex.raw(`ALTER TABLE integrations DROP COLUMN archived_at`);
}
