/**
 * Seeding for the API benchmark. Each tenant gets a real scan first (the real scanner against the S3
 * sandbox, the real rule bundle, through the app), which gives real findings, framework scores and control
 * results; then bulk scans are cloned from it in SQL as the owner (INSERT … SELECT over generate_series),
 * each with the real scan's scores and controls and `findings` findings copied round-robin from the real
 * ones with unique resource ids. The newest bulk scan of a tenant is its latest succeeded scan.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { S3FixtureServer } from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { bearer, login, s3SandboxIntegration, scanJobDepsOf, seedTenant } from '../../api/test/helpers.ts';
import { runScanJob } from '../../api/src/worker/scan-job.ts';
import { recordFindingCounts } from '../../api/src/scans/store.ts';

export interface SeededTenant {
  tenantId: string;
  email: string;
  password: string;
  /** The bulk scans, oldest first: the last one is what GET /api/scores answers. */
  scanIds: string[];
  findings: number;
}

/**
 * The columns of `findings` copied as they are from a template finding, named rather than read from the
 * catalog: a column added later (findings partitioned by a time key, say) takes its default instead of the
 * template's value, and if it has none, naming it here is the one change the seed needs. Left out: the ones
 * made unique per copy (resource_id, resource_name), set per scan (scan_id, new_failure), and the ones with
 * defaults (id, created_at) or generated (severity_rank).
 */
export const COPIED_FINDING_COLUMNS = [
  'tenant_id',
  'rule_id',
  'rule_version',
  'rule_hash',
  'bundle_revision',
  'resource_type',
  'status',
  'severity',
  'message',
  'evidence_sha256',
  'exception_id',
  'resource_account',
  'resource_region',
] as const;

/** Findings inserted per statement: one statement per batch keeps each transaction and its WAL bounded. */
export const DEFAULT_SEED_BATCH = 250_000;

/** One tenant: an admin, a real scan, then `scans` bulk scans of `findingsPerScan` findings each. */
export async function seedBenchTenant(
  app: FastifyInstance,
  knex: Knex,
  sandbox: S3FixtureServer,
  options: { slug: string; scans: number; findingsPerScan: number; batch?: number },
): Promise<SeededTenant> {
  // The sandbox is on loopback: the app's egress policy allows exactly its host and port (idempotent).
  app.egress.allowEndpoint(sandbox.url);
  const admin = await seedTenant(knex, { slug: options.slug });
  const { access_token: token } = await login(app, admin.email, admin.password);
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers: bearer(token), payload });
    if (response.statusCode >= 300) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    return response.json() as { id: string };
  };
  const integration = await post(
    '/api/integrations',
    s3SandboxIntegration(`bench ${options.slug}`, sandbox.url),
  );
  const real = await post('/api/scans', { integration_id: integration.id });
  const outcome = await runScanJob(scanJobDepsOf(app), { tenant_id: admin.tenantId, scan_id: real.id });
  if (outcome !== 'succeeded') throw new Error(`the template scan of ${options.slug} ${outcome}`);

  const list = COPIED_FINDING_COLUMNS.map((c) => `"${c}"`).join(', ');
  const fromTemplate = COPIED_FINDING_COLUMNS.map((c) => `t."${c}"`).join(', ');
  const batch = options.batch ?? DEFAULT_SEED_BATCH;
  const scanIds: string[] = [];
  for (let i = 0; i < options.scans; i += 1) {
    const scanId = randomUUID();
    scanIds.push(scanId);
    // Finished one second apart, after the real scan: the last bulk scan is the latest.
    await knex.raw(
      `insert into scans (id, tenant_id, integration_id, status, progress, errors, bundle_revision,
                          created_at, started_at, finished_at, updated_at)
       select ?, tenant_id, integration_id, 'succeeded', progress, errors, bundle_revision,
              now() + make_interval(secs => ?), now() + make_interval(secs => ?),
              now() + make_interval(secs => ?), now() + make_interval(secs => ?)
         from scans where id = ?`,
      [scanId, i + 1, i + 1, i + 1, i + 1, real.id],
    );
    for (const table of ['framework_scores', 'control_results']) {
      const { rows } = await knex.raw<{ rows: { column_name: string }[] }>(
        `select column_name from information_schema.columns
          where table_schema = 'public' and table_name = ? and column_name not in ('id', 'scan_id')`,
        [table],
      );
      const cols = rows.map((r) => `"${r.column_name}"`).join(', ');
      await knex.raw(`insert into ?? (scan_id, ${cols}) select ?, ${cols} from ?? where scan_id = ?`, [
        table,
        scanId,
        table,
        real.id,
      ]);
    }
    // Generated in the server, `batch` findings per statement, through the production indexes as they are;
    // with the scan's created_at, as the product writes them (the reads of a scan name it, migration 0027).
    for (let from = 0; from < options.findingsPerScan; from += batch) {
      await knex.raw(
        `with template as (
           select row_number() over (order by rule_id, resource_id) - 1 as i, f.*
             from findings f where f.scan_id = ?
         ), size as (select count(*) as n from template)
         insert into findings (scan_id, created_at, resource_id, resource_name, new_failure, ${list})
         select ?, (select created_at from scans where id = ?), t.resource_id || '#' || g, t.resource_name || '-' || g,
                ? and t.status = 'fail', ${fromTemplate}
           from generate_series(?::int, ?::int - 1) g cross join size
           join template t on t.i = g % size.n`,
        // As the product records it: the first bulk scan's resources are all new to the real scan before it;
        // each later bulk scan repeats the one before, so none of its failures is new.
        [real.id, scanId, scanId, i === 0, from, Math.min(from + batch, options.findingsPerScan)],
      );
    }
    await knex.transaction((trx) => recordFindingCounts(trx, scanId)); // as the product records them
  }
  return {
    tenantId: admin.tenantId,
    email: admin.email,
    password: admin.password,
    scanIds,
    findings: options.scans * options.findingsPerScan,
  };
}
