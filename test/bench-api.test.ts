/**
 * Smoke test of the API benchmark's parts (bench/api/), so they do not rot between full runs: the seeding
 * clones a real scan into bulk scans with unique findings, and the RLS replay's hand-filtered SQL returns
 * exactly what the same SQL returns under the policies, for the endpoints the benchmark drives. PostgreSQL
 * only (the replay needs a BYPASSRLS role).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureQueries, compareRls, withTenantFilter } from '../bench/api/rls.ts';
import { cursorAfter, exportRate } from '../bench/api/http.ts';
import { COPIED_FINDING_COLUMNS, seedBenchTenant, type SeededTenant } from '../bench/api/seed.ts';
import { login, startTestApp, type TestApp } from '../api/test/helpers.ts';
import { startS3FixtureServer, type S3FixtureServer } from '../scanners/aws/fixtures/s3-fixture-server.ts';

describe('withTenantFilter', () => {
  it('ANDs the tenant condition to the outermost WHERE, or adds one before ORDER BY / LIMIT', () => {
    expect(
      withTenantFilter(
        { sql: 'select "id" from "scans" where "a" = $1 or "b" = $2 limit $3', bindings: [1, 2, 3] },
        't',
      ).sql,
    ).toBe('select "id" from "scans" where "scans"."tenant_id" = $4 and ("a" = $1 or "b" = $2) limit $3');
    const joined = withTenantFilter(
      {
        sql: 'select "s"."id" from "scans" as "s" inner join "x" on 1=1 order by "s"."id" asc',
        bindings: [],
      },
      't',
    );
    expect(joined).toEqual({
      sql: 'select "s"."id" from "scans" as "s" inner join "x" on 1=1 where "s"."tenant_id" = $1 order by "s"."id" asc',
      bindings: ['t'],
    });
  });
});

describe.skipIf(!process.env.COMPLYWISE_TEST_POSTGRES_URL)('API benchmark parts on postgres', () => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let seeded: SeededTenant;
  const role = `cw_bench_test_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp({ name: 'postgres' }, { worker: false });
    t.app.egress.allowEndpoint(sandbox.url);
    seeded = await seedBenchTenant(t.app, t.database.knex, sandbox, {
      slug: 'bench-smoke',
      scans: 2,
      findingsPerScan: 500,
      batch: 200, // two full batches and a part of one per scan
    });
    const knex = t.database.knex;
    await knex.raw(`CREATE ROLE ${role} NOLOGIN BYPASSRLS`);
    await knex.raw(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await knex.raw(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    await knex.raw(`GRANT ${role} TO CURRENT_USER`);
  }, 120_000);
  afterAll(async () => {
    await t?.database.knex.raw(`DROP OWNED BY ${role}`).catch(() => {});
    await t?.database.knex.raw(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await t?.close();
    await sandbox?.close();
  });

  it('seeds bulk scans of unique findings, the newest being the latest scores', async () => {
    const knex = t.database.knex;
    for (const scanId of seeded.scanIds) {
      const { rows } = await knex.raw<{ rows: { n: string; resources: string }[] }>(
        'select count(*) as n, count(distinct resource_id) as resources from findings where scan_id = ?',
        [scanId],
      );
      expect(rows[0]).toEqual({ n: '500', resources: '500' });
    }
    const { access_token } = await login(t.app, seeded.email, seeded.password);
    const scores = await t.app.inject({
      url: '/api/scores',
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(scores.json().scan_id).toBe(seeded.scanIds.at(-1));
    expect(scores.json().items.length).toBeGreaterThan(0);
  });

  it('copies every column a finding needs, and the rest take their defaults', async () => {
    const knex = t.database.knex;
    // A column the seed neither names nor sets must have a default (or be generated or nullable):
    // this fails, naming it, when a migration adds one without, e.g. a partition key.
    const { rows } = await knex.raw<{ rows: { column_name: string }[] }>(
      `select column_name from information_schema.columns
        where table_schema = 'public' and table_name = 'findings' and is_nullable = 'NO'
          and column_default is null and is_generated = 'NEVER'`,
    );
    const set = ['scan_id', 'resource_id', 'resource_name', 'new_failure', ...COPIED_FINDING_COLUMNS];
    expect(rows.map((r) => r.column_name).filter((c) => !set.includes(c))).toEqual([]);
    // Each copy carries its template's values: the templates are the tenant's real scan's findings.
    const copies = await knex('findings as f')
      .join('findings as t', function () {
        this.on('t.tenant_id', 'f.tenant_id')
          .andOn('t.rule_id', 'f.rule_id')
          .andOn(knex.raw(`left(f.resource_id, length(t.resource_id) + 1) = t.resource_id || '#'`));
      })
      .where('f.scan_id', seeded.scanIds[0])
      .whereNotIn('t.scan_id', seeded.scanIds)
      .select(
        ...COPIED_FINDING_COLUMNS.map((c) =>
          knex.raw(`count(*) filter (where f.?? is distinct from t.??) as ??`, [c, c, c]),
        ),
      )
      .select(knex.raw('count(*) as n'));
    expect(Number(copies[0].n)).toBe(500);
    for (const c of COPIED_FINDING_COLUMNS) expect([c, Number(copies[0][c])]).toEqual([c, 0]);
  });

  it('finds a deep explorer cursor and reads the findings CSV off the wire', async () => {
    const { access_token } = await login(t.app, seeded.email, seeded.password);
    const get = async (url: string) =>
      (await t.app.inject({ url, headers: { authorization: `Bearer ${access_token}` } })).json();
    // The posture is the newest scan's 500 findings: after 400 of them, a page of 100 is left.
    const cursor = await cursorAfter(get, '/api/findings?sort=resource_id', 400);
    const rest = await get(`/api/findings?sort=resource_id&limit=1000&cursor=${cursor}`);
    expect([rest.items.length, rest.next_cursor]).toEqual([100, null]);
    expect(await cursorAfter(get, '/api/findings', 500)).toBeNull();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const all = await exportRate(`${base}/api/reports/findings.csv`, access_token, 10_000);
    expect([all.rows, all.complete]).toEqual([500, true]);
    const part = await exportRate(`${base}/api/reports/findings.csv`, access_token, 100);
    expect(part.complete).toBe(false);
    expect(part.rows).toBeGreaterThanOrEqual(100);
    expect(part.rows).toBeLessThan(500);
  });

  it('replays the endpoints’ SQL under RLS and hand-filtered with identical rows', async () => {
    const { access_token } = await login(t.app, seeded.email, seeded.password);
    for (const url of ['/api/scores', `/api/scans/${seeded.scanIds.at(-1)}/findings`]) {
      const queries = await captureQueries(t.app, seeded.tenantId, {
        url,
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(queries.length).toBeGreaterThan(0);
      // compareRls throws when the two ways return different rows.
      const result = await compareRls(t.database.knex, seeded.tenantId, queries, role, 3);
      expect(result.iterations).toBe(3);
    }
  });
});
