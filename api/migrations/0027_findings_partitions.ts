/**
 * Findings partitioned by month (issue 18): a tenant scanning 100k resources daily writes ~100M findings a
 * year, and retention deleting them row by row costs as much WAL, index maintenance and vacuum as writing
 * them did. With `findings` RANGE-partitioned on `created_at`, a month every tenant is done with goes with
 * one DETACH + DROP (docs/scaling.md, "Findings partitioned by month").
 *
 * - Partition key `created_at`, which the scan pipeline's upsert now sets to the scan's own created_at
 *   (api/src/scans/store.ts): stable across a retried write, so the upsert still meets the rows of the
 *   attempt before it, and all of a scan's findings sit in one partition. Retention compares the scan's
 *   finished_at with its window; whether a partition may go is decided from the scans of its rows, so the
 *   gap between a scan's creation and its end (minutes, or days for a queued split scan) costs nothing but
 *   a partition living a little longer. Rows written without it (none by the product) take now().
 * - Month partitions, in UTC: ~8M rows a month for that tenant, a size where one partition's indexes stay in
 *   memory while it is written, and 12-13 partitions a year keeps planning cheap for queries that cannot
 *   prune (they name a scan, not a time). A week would mean 52+ partitions to plan over for every such
 *   query, for a finer retention grain no window needs (windows are counted in days, and a partition is
 *   only dropped once its last day is past every window anyway).
 * - Keys: a partitioned table's primary key and unique keys must contain the partition key, so they become
 *   (tenant_id, id, created_at) and (tenant_id, scan_id, rule_id, resource_id, created_at). As all of one
 *   scan's findings carry the scan's created_at, the natural key is as unique as before for every row the
 *   product writes; the upsert names the new key.
 * - A DEFAULT partition takes any row no month partition covers, so an insert never fails for a missing
 *   partition; `findings_create_partition` moves such rows into their month when it is created. Months
 *   are created ahead: here for every month with findings plus the next three, and again by the worker at
 *   start and by each retention run (`findings_ensure_partitions`).
 * - Row-level security lives on the parent: a query through `findings` applies its policies to every
 *   partition. A partition named directly is checked only against its own privileges and policies, so
 *   partitions grant nothing to the app and retention roles (they cannot name one); only the owner can,
 *   and the owner could switch RLS off anyway.
 * - Partition DDL needs the owner; the retention role is not it. Three SECURITY DEFINER functions owned by
 *   the migration owner, with a fixed search_path and EXECUTE only for the retention role, do exactly that
 *   much: create the coming months, list the tenants with rows in a partition (a partition has no RLS, so
 *   the owner sees every tenant's rows; the function returns only tenant ids), and detach and drop a month
 *   partition (never the default). What may go is decided by the retention run as the retention role,
 *   tenant by tenant under RLS (api/src/retention/store.ts).
 *
 * Existing rows move: the old table is renamed, copied into the new one and dropped, and the indexes are
 * created on the parent after the copy (built once per partition instead of maintained row by row). The copy
 * runs before RLS is forced on the new table, and with RLS not forced on the old one, so a migration owner
 * that is not superuser copies every tenant's rows.
 *
 * One SQL statement per knex.raw (PGlite).
 */
import type { Knex } from 'knex';
import { APP_ROLE } from './0001_initial.ts';
import { RETENTION_ROLE } from './0008_retention.ts';

const currentTenant = `NULLIF(current_setting('app.tenant_id', true), '')::uuid`;

/** The findings columns as of migration 0026, without the generated severity_rank. */
const COLUMNS = `id, tenant_id, scan_id, rule_id, rule_version, rule_hash, bundle_revision, resource_id,
  resource_type, resource_name, status, severity, message, evidence_sha256, created_at, exception_id,
  resource_account, resource_region, new_failure`;

/** How many months after the current one always have a partition. */
export const MONTHS_AHEAD = 3;

/**
 * The indexes on the parent (each partition gets its own), with the query each serves:
 * - the primary key: findingById (GET /api/findings/:id and the evidence/audit links to one finding);
 * - findings_natural_key: the upsert's conflict target, the new-failure probe of the previous scan's failures,
 *   the explorer's rule sort, and every "findings of scan X" read (findingsOf, findingsPage);
 * - findings_explorer_severity / _resource / _type: the explorer's three other sorts (migration 0019);
 * - findings_new_failures (partial): the explorer's `new_since_last_scan=true` (migration 0023);
 * - findings_exception_id (partial): the findings an exception set aside (exceptionFindings, audits);
 * - findings_evidence_idx: retention's "no finding cites this evidence" and the evidence cited_by answer.
 */
const INDEXES = [
  `CREATE INDEX findings_evidence_idx ON findings (tenant_id, evidence_sha256)`,
  `CREATE INDEX findings_exception_id ON findings (tenant_id, exception_id) WHERE exception_id IS NOT NULL`,
  `CREATE INDEX findings_explorer_severity ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id)`,
  `CREATE INDEX findings_explorer_resource ON findings (tenant_id, scan_id, resource_id, rule_id)`,
  `CREATE INDEX findings_explorer_type ON findings (tenant_id, scan_id, resource_type, rule_id, resource_id)`,
  `CREATE INDEX findings_new_failures ON findings (tenant_id, scan_id, severity_rank, rule_id, resource_id)
     WHERE new_failure`,
];
const INDEX_NAMES = [
  'findings_evidence_idx',
  'findings_exception_id',
  'findings_explorer_severity',
  'findings_explorer_resource',
  'findings_explorer_type',
  'findings_new_failures',
];

/** The bounds of the UTC month containing `$1` (plpgsql expressions). */
const monthStart = (at: string) => `(date_trunc('month', ${at} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`;

/** The new findings table's row-level security and grants, as 0001 and 0008 gave the old one (up and down). */
const SECURED = [
  `ALTER TABLE findings ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE findings FORCE ROW LEVEL SECURITY`,
  `CREATE POLICY tenant_isolation ON findings USING (tenant_id = ${currentTenant}) WITH CHECK (tenant_id = ${currentTenant})`,
  `GRANT SELECT, INSERT, UPDATE ON findings TO ${APP_ROLE}`,
  `GRANT SELECT, DELETE ON findings TO ${RETENTION_ROLE}`,
];

const FUNCTIONS = [
  // Creates the month partition containing `moment` unless it exists; returns its name, or null if it existed.
  // Built apart and attached, so rows the DEFAULT partition took for that month move into it first.
  `CREATE FUNCTION findings_create_partition(moment timestamptz) RETURNS text
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
   DECLARE
     lo timestamptz := ${monthStart('moment')};
     hi timestamptz := lo + interval '1 month';
     part text := 'findings_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY"m"MM');
     cols text;
   BEGIN
     IF to_regclass('public.' || part) IS NOT NULL THEN
       RETURN NULL;
     END IF;
     SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute
      WHERE attrelid = 'public.findings'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '';
     EXECUTE format('CREATE TABLE public.%I (LIKE public.findings INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)', part);
     EXECUTE format('WITH moved AS (DELETE FROM public.findings_default WHERE created_at >= %L AND created_at < %L RETURNING %s) INSERT INTO public.%I (%s) SELECT %s FROM moved',
       lo, hi, cols, part, cols, cols);
     EXECUTE format('ALTER TABLE public.findings ATTACH PARTITION public.%I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
     RETURN part;
   END
   $fn$`,
  // The current month and the next `ahead`, plus the month of any row the DEFAULT partition took (moved
  // into it, so it can be dropped when it expires): what the worker (at start) and each retention run do.
  // Returns how many partitions it created. The DEFAULT partition is normally empty, so its scan is cheap.
  `CREATE FUNCTION findings_ensure_partitions(ahead integer) RETURNS integer
   LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
     SELECT count(findings_create_partition(m))::integer FROM (
       SELECT now() + make_interval(months => n) FROM generate_series(0, ahead) AS n
       UNION
       SELECT DISTINCT ${monthStart('created_at')} FROM findings_default
     ) AS months (m)
   $fn$`,
  // The tenants with rows in a month partition, one index probe each (a loose index scan on the primary key).
  `CREATE FUNCTION findings_partition_tenants(part text) RETURNS SETOF uuid
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
   DECLARE
     tenant uuid;
   BEGIN
     IF NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'public.findings'::regclass
                     AND inhrelid = to_regclass('public.' || part)) THEN
       RAISE EXCEPTION 'not a partition of findings: %', part USING ERRCODE = 'invalid_parameter_value';
     END IF;
     EXECUTE format('SELECT tenant_id FROM public.%I ORDER BY tenant_id LIMIT 1', part) INTO tenant;
     WHILE tenant IS NOT NULL LOOP
       RETURN NEXT tenant;
       EXECUTE format('SELECT tenant_id FROM public.%I WHERE tenant_id > $1 ORDER BY tenant_id LIMIT 1', part) INTO tenant USING tenant;
     END LOOP;
   END
   $fn$`,
  // Detaches and drops a month partition (never the default). DETACH takes an ACCESS EXCLUSIVE lock on
  // findings: waiting for it behind a long read would queue every other query, so it gives up after 5 s
  // (the next run tries again).
  `CREATE FUNCTION findings_drop_partition(part text) RETURNS void
   LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
   BEGIN
     IF part = 'findings_default' OR NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'public.findings'::regclass
                     AND inhrelid = to_regclass('public.' || part)) THEN
       RAISE EXCEPTION 'not a month partition of findings: %', part USING ERRCODE = 'invalid_parameter_value';
     END IF;
     PERFORM set_config('lock_timeout', '5s', true);
     EXECUTE format('ALTER TABLE public.findings DETACH PARTITION public.%I', part);
     EXECUTE format('DROP TABLE public.%I', part);
   END
   $fn$`,
];
const FUNCTION_SIGNATURES = [
  'findings_create_partition(timestamptz)',
  'findings_ensure_partitions(integer)',
  'findings_partition_tenants(text)',
  'findings_drop_partition(text)',
];

const up_ = [
  `ALTER TABLE findings RENAME TO findings_unpartitioned`,
  // Owners obey forced RLS: unforced, a migration owner that is not superuser reads every tenant's rows.
  `ALTER TABLE findings_unpartitioned NO FORCE ROW LEVEL SECURITY`,
  // Index names are per schema: the new table's take the old ones'.
  `ALTER TABLE findings_unpartitioned DROP CONSTRAINT findings_pkey, DROP CONSTRAINT findings_tenant_id_scan_id_rule_id_resource_id_key`,
  `DROP INDEX ${INDEX_NAMES.join(', ')}`,
  `CREATE TABLE findings (LIKE findings_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)
     PARTITION BY RANGE (created_at)`,
  `ALTER TABLE findings ADD CONSTRAINT findings_pkey PRIMARY KEY (tenant_id, id, created_at)`,
  `ALTER TABLE findings ADD CONSTRAINT findings_natural_key UNIQUE (tenant_id, scan_id, rule_id, resource_id, created_at)`,
  `ALTER TABLE findings ADD CONSTRAINT findings_scan FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE`,
  `ALTER TABLE findings ADD CONSTRAINT findings_evidence FOREIGN KEY (tenant_id, evidence_sha256) REFERENCES evidence (tenant_id, sha256)`,
  `ALTER TABLE findings ADD CONSTRAINT findings_exception FOREIGN KEY (tenant_id, exception_id) REFERENCES rule_overrides (tenant_id, id)`,
  `CREATE TABLE findings_default PARTITION OF findings DEFAULT`,
  ...FUNCTIONS,
  ...FUNCTION_SIGNATURES.map((f) => `REVOKE ALL ON FUNCTION ${f} FROM PUBLIC`),
  `GRANT EXECUTE ON FUNCTION findings_ensure_partitions(integer), findings_partition_tenants(text),
     findings_drop_partition(text) TO ${RETENTION_ROLE}`,
  // Every month that has findings, then the coming ones; then the rows, then the indexes.
  `SELECT findings_create_partition(m) FROM generate_series(
     ${monthStart('(SELECT min(created_at) FROM findings_unpartitioned)')}, now(), interval '1 month') AS m`,
  `SELECT findings_ensure_partitions(${MONTHS_AHEAD})`,
  `INSERT INTO findings (${COLUMNS}) SELECT ${COLUMNS} FROM findings_unpartitioned`,
  `DROP TABLE findings_unpartitioned`,
  ...INDEXES,
  ...SECURED,
  `ANALYZE findings`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of up_) await knex.raw(sql);
}

/** Back to one table: the rows are copied out of the partitions the same way (RLS not forced during the copy). */
export async function down(knex: Knex): Promise<void> {
  const statements = [
    `ALTER TABLE findings RENAME TO findings_partitioned`,
    `ALTER TABLE findings_partitioned NO FORCE ROW LEVEL SECURITY`,
    `ALTER TABLE findings_partitioned DROP CONSTRAINT findings_pkey, DROP CONSTRAINT findings_natural_key`,
    `DROP INDEX ${INDEX_NAMES.join(', ')}`,
    `CREATE TABLE findings (LIKE findings_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED)`,
    `INSERT INTO findings (${COLUMNS}) SELECT ${COLUMNS} FROM findings_partitioned`,
    `DROP TABLE findings_partitioned`,
    ...FUNCTION_SIGNATURES.map((f) => `DROP FUNCTION ${f}`),
    `ALTER TABLE findings ADD CONSTRAINT findings_pkey PRIMARY KEY (tenant_id, id)`,
    `ALTER TABLE findings ADD CONSTRAINT findings_tenant_id_scan_id_rule_id_resource_id_key UNIQUE (tenant_id, scan_id, rule_id, resource_id)`,
    `ALTER TABLE findings ADD CONSTRAINT findings_scan FOREIGN KEY (tenant_id, scan_id) REFERENCES scans (tenant_id, id) ON DELETE CASCADE`,
    `ALTER TABLE findings ADD CONSTRAINT findings_evidence FOREIGN KEY (tenant_id, evidence_sha256) REFERENCES evidence (tenant_id, sha256)`,
    `ALTER TABLE findings ADD CONSTRAINT findings_exception FOREIGN KEY (tenant_id, exception_id) REFERENCES rule_overrides (tenant_id, id)`,
    ...INDEXES,
    ...SECURED,
  ];
  for (const sql of statements) await knex.raw(sql);
}
