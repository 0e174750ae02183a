/**
 * The explorer's resource index on (tenant_id, scan_id, resource_id) only, without rule_id (issue 18: the
 * findings a scan writes pay for every index they enter). A resource has few findings (one per rule of its
 * type), so the reads in resource order still walk this index and sort each resource's few rows by rule
 * (PostgreSQL's incremental sort; a cursor's resource_id stays the index range), and a probe of one
 * resource's findings is the same range as before. A resource's findings share one key, which PostgreSQL's
 * B-tree deduplication stores once with the list of their rows. Measured in bench/README.md ("Findings
 * indexes and persist"): the index half the size, about 5 % less backend CPU for a 100k scan's findings
 * statements, and the plans of the reads it serves before and after.
 *
 * On a partitioned table the index is built on every partition. One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX findings_explorer_resource`);
  await knex.raw(`CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP INDEX findings_explorer_resource`);
  await knex.raw(
    `CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id, rule_id)`,
  );
}
