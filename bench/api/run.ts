/**
 * API benchmark (not a test): the real app over HTTP on a fresh PostgreSQL database it creates and drops.
 * One tenant holds `--findings` findings under four scans, nine more hold `--small` each (every tenant's
 * data starts from a real scan, see seed.ts); ANALYZE; then autocannon (in a worker thread, so the load
 * generator does not share the server's event loop) drives, at `--rate` requests/s for `--seconds` each:
 *   GET /api/scores                                   (the tenant's posture: framework scores)
 *   GET /api/scans/:id/findings                       (first page, default sort and limit)
 *   GET /api/scans/:id/findings?cursor=<deep>         (the page after 80% of the newest scan's findings)
 * and reports p50/p99 latency. Then the page loads: the API requests the app's dashboard (home) and a framework
 * page make, in the same waves as their load functions (app/src/routes/+page.ts, frameworks/[frameworkId]/+page.ts),
 * `--page-loads` times one after another, timed from the first request to the last answer. Then the RLS overhead: each endpoint's SQL replayed as the runtime role under
 * RLS against the same SQL with an explicit tenant filter as a BYPASSRLS role (rls.ts). Targets: score p99
 * <= 50 ms, every page load's API part within 1 s, RLS overhead <= 20%. Results go in bench/README.md.
 *
 *   node bench/api/run.ts [--findings 1000000] [--small 10000] [--tenants 10] [--seconds 20] [--rate 200]
 *                         [--page-loads 30]
 *   node bench/api/run.ts --quick          (smoke run: 20k findings, 1k per small tenant, 3 s per endpoint)
 * PostgreSQL: COMPLYWISE_BENCH_POSTGRES_URL, else COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { encodeCursor } from '../../api/src/pagination.ts';
import { login } from '../../api/test/helpers.ts';
import { drive, type Load } from './http.ts';
import { startBenchApp } from './app.ts';
import { captureQueries, compareRls, type RlsComparison } from './rls.ts';
import { seedBenchTenant, type SeededTenant } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '1000000' },
    small: { type: 'string', default: '10000' },
    tenants: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '200' },
    iterations: { type: 'string', default: '300' },
    'page-loads': { type: 'string', default: '30' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const FINDINGS = quick ? 20_000 : Number(args.findings);
const SMALL = quick ? 1_000 : Number(args.small);
const TENANTS = Number(args.tenants);
const SECONDS = quick ? 3 : Number(args.seconds);
const RATE = Number(args.rate);
const ITERATIONS = quick ? 50 : Number(args.iterations);
const PAGE_LOADS = quick ? 5 : Number(args['page-loads']);
const BIG_SCANS = 4;
const TARGET_SCORE_P99_MS = 50;
const TARGET_PAGE_LOAD_MS = 1_000;
/** The score history points the home page's cards draw (TREND_POINTS) and a framework page's first page. */
const HOME_TREND_POINTS = 30;
const FRAMEWORK_HISTORY_PAGE = 20;
const TARGET_RLS_OVERHEAD = 0.2;

const log = (line: string) => console.log(line);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

const bypassRole = `cw_bench_bypass_${randomBytes(4).toString('hex')}`;
const { app, database, sandbox, close } = await startBenchApp('api');
const knex = database.knex;

const load = (name: string, path: string, token: string): Promise<Load> =>
  drive(base, name, path, token, { rate: RATE, seconds: SECONDS, log });

/** Each request's time in the page loads, by path without its query or ids (for the slowest-request line). */
const requestTimes = new Map<string, number[]>();

/** One GET as the app makes it: the JSON answer, or an error naming the path. */
async function getJson<T>(path: string, token: string): Promise<T> {
  const started = performance.now();
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  const answer = (await response.json()) as T;
  const key = path.replace(/\?.*$/, '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, ':id');
  requestTimes.set(key, [...(requestTimes.get(key) ?? []), performance.now() - started]);
  return answer;
}

interface ScoresAnswer {
  scan_id: string | null;
  items: { framework_id: string; framework_version: string }[];
}

/** The dashboard's requests, in the waves of app/src/routes/+page.ts: the number of requests made. */
async function homePageLoad(token: string): Promise<number> {
  const [scores] = await Promise.all([
    getJson<ScoresAnswer>('/api/scores', token),
    getJson('/api/integrations', token),
    getJson('/api/scans', token),
  ]);
  await Promise.all([
    scores.scan_id ? getJson(`/api/scans/${scores.scan_id}/controls`, token) : null,
    ...scores.items.map((score) =>
      getJson(
        `/api/scores/history?${new URLSearchParams({ framework: `${score.framework_id}@${score.framework_version}`, limit: String(HOME_TREND_POINTS) })}`,
        token,
      ),
    ),
  ]);
  return 3 + (scores.scan_id ? 1 : 0) + scores.items.length;
}

/** A framework page's requests (app/src/routes/frameworks/[frameworkId]/+page.ts), all in one wave. */
async function frameworkPageLoad(token: string, ref: string): Promise<number> {
  await Promise.all([
    getJson(`/api/frameworks/coverage/${encodeURIComponent(ref)}`, token),
    getJson(
      `/api/scores/history?${new URLSearchParams({ framework: ref, limit: String(FRAMEWORK_HISTORY_PAGE) })}`,
      token,
    ),
    getJson('/api/scores', token),
  ]);
  return 3;
}

interface PageLoads {
  name: string;
  requests: number;
  p50: number;
  p99: number;
  max: number;
}

/** `times` page loads one after another (no other load), each timed from its first request to its last answer. */
async function pageLoads(name: string, times: number, once: () => Promise<number>): Promise<PageLoads> {
  const requests = await once(); // warm: the first load after seeding also fills the scores cache
  requestTimes.clear();
  const took: number[] = [];
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    await once();
    took.push(performance.now() - started);
  }
  took.sort((a, b) => a - b);
  const at = (q: number) => took[Math.min(took.length - 1, Math.ceil(q * took.length) - 1)]!;
  const out = { name, requests, p50: at(0.5), p99: at(0.99), max: took.at(-1)! };
  log(
    `${name.padEnd(32)} ${String(requests).padStart(2)} requests  p50 ${out.p50.toFixed(0).padStart(4)} ms  ` +
      `p99 ${out.p99.toFixed(0).padStart(4)} ms  max ${out.max.toFixed(0).padStart(4)} ms  (${times} loads)`,
  );
  for (const [path, durations] of requestTimes) {
    const median = durations.sort((a, b) => a - b)[Math.floor(durations.length / 2)]!;
    log(`  ${path.padEnd(44)} median ${median.toFixed(0).padStart(4)} ms  (${durations.length} requests)`);
  }
  return out;
}

let base = '';
try {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  const started = performance.now();
  const big = await seedBenchTenant(app, knex, sandbox, {
    slug: 'bench-big',
    scans: BIG_SCANS,
    findingsPerScan: Math.ceil(FINDINGS / BIG_SCANS),
  });
  const others: SeededTenant[] = [];
  for (let i = 1; i < TENANTS; i += 1)
    others.push(
      await seedBenchTenant(app, knex, sandbox, { slug: `bench-${i}`, scans: 1, findingsPerScan: SMALL }),
    );
  await knex.raw('analyze');
  const total = big.findings + others.reduce((n, t) => n + t.findings, 0);
  log(
    `seeded ${total} findings (${big.findings} in one tenant, ${TENANTS - 1} x ${SMALL}) in ${seconds(started)}`,
  );

  // A bypass role for the explicit-filter replay: reads everything, policies do not apply to it.
  await knex.raw(`CREATE ROLE ${bypassRole} NOLOGIN BYPASSRLS`);
  await knex.raw(`GRANT USAGE ON SCHEMA public TO ${bypassRole}`);
  await knex.raw(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${bypassRole}`);
  await knex.raw(`GRANT ${bypassRole} TO CURRENT_USER`);

  const newest = big.scanIds.at(-1)!;
  const perScan = Math.ceil(FINDINGS / BIG_SCANS);
  // The deep page: the default order (rule_id, resource_id, id) after 80% of the newest scan's findings.
  const { rows } = await knex.raw<{ rows: Record<string, unknown>[] }>(
    `select rule_id, resource_id, id from findings where scan_id = ? order by rule_id, resource_id, id offset ? limit 1`,
    [newest, Math.floor(perScan * 0.8)],
  );
  const cursor = encodeCursor(
    'rule_id',
    [
      { column: 'rule_id', direction: 'asc' },
      { column: 'resource_id', direction: 'asc' },
      { column: 'id', direction: 'asc' },
    ],
    rows[0]!,
  );
  const endpoints = [
    // The floor: the same HTTP path, auth-free and without a query (framework, network, autocannon).
    { name: 'baseline: GET /api/health/live', path: '/api/health/live' },
    { name: 'GET /api/scores', path: '/api/scores' },
    { name: 'findings, first page', path: `/api/scans/${newest}/findings` },
    { name: 'findings, deep cursor page', path: `/api/scans/${newest}/findings?cursor=${cursor}` },
  ];

  log(`\nHTTP load, ${RATE} requests/s for ${SECONDS} s each (autocannon, 20 connections):`);
  const loads: (Load & { bytes: number })[] = [];
  for (const endpoint of endpoints) {
    // A fresh access token per run: seeding a million rows can outlast one.
    const { access_token: token } = await login(app, big.email, big.password);
    const once = await fetch(`${base}${endpoint.path}`, { headers: { authorization: `Bearer ${token}` } });
    const size = (await once.arrayBuffer()).byteLength;
    if (!once.ok) throw new Error(`${endpoint.path}: ${once.status}`);
    loads.push({ ...(await load(endpoint.name, endpoint.path, token)), bytes: size });
  }
  const floor = loads[0]!;
  log('');
  for (const l of loads.slice(1))
    log(
      `${l.name.padEnd(32)} ${(l.bytes / 1024).toFixed(0).padStart(6)} KiB answer  ` +
        `p50 ${(l.p50 / Math.max(floor.p50, 1)).toFixed(1)}x  p99 ${(l.p99 / Math.max(floor.p99, 1)).toFixed(1)}x the baseline`,
    );

  log(`\nPage loads: the app's API requests for a page, in its load function's waves, one load at a time:`);
  const { access_token: pageToken } = await login(app, big.email, big.password);
  const { items: frameworks } = await getJson<ScoresAnswer>('/api/scores', pageToken);
  const soc2 = frameworks.find((f) => f.framework_id === 'soc2') ?? frameworks[0]!;
  const pages = [
    await pageLoads('dashboard (home)', PAGE_LOADS, () => homePageLoad(pageToken)),
    await pageLoads(`framework page (${soc2.framework_id})`, PAGE_LOADS, () =>
      frameworkPageLoad(pageToken, `${soc2.framework_id}@${soc2.framework_version}`),
    ),
  ];

  log(
    `\nRLS overhead: the endpoints' SQL, ${ITERATIONS} alternating replays each, tenant with ${big.findings} findings:`,
  );
  const { access_token: token } = await login(app, big.email, big.password);
  const comparisons: (RlsComparison & { name: string })[] = [];
  for (const endpoint of endpoints.slice(1)) {
    const queries = await captureQueries(app, big.tenantId, {
      url: endpoint.path,
      headers: { authorization: `Bearer ${token}` },
    });
    const comparison = await compareRls(knex, big.tenantId, queries, bypassRole, ITERATIONS);
    comparisons.push({ name: endpoint.name, ...comparison });
    log(
      `${endpoint.name.padEnd(32)} ${comparison.queries} statements  RLS p50 ${comparison.rls.p50.toFixed(2)} ms ` +
        `p99 ${comparison.rls.p99.toFixed(2)} ms | filter p50 ${comparison.filter.p50.toFixed(2)} ms ` +
        `p99 ${comparison.filter.p99.toFixed(2)} ms | RLS/filter ${(1 + comparison.overhead).toFixed(2)}x`,
    );
  }

  const score = loads[1]!;
  const worstOverhead = Math.max(...comparisons.map((c) => c.overhead));
  const checks = [
    [`score p99 ${score.p99} ms <= ${TARGET_SCORE_P99_MS} ms`, score.p99 <= TARGET_SCORE_P99_MS],
    [
      `RLS overhead ${(worstOverhead * 100).toFixed(1)}% <= ${TARGET_RLS_OVERHEAD * 100}% (worst endpoint)`,
      worstOverhead <= TARGET_RLS_OVERHEAD,
    ],
    ...pages.map(
      (p) =>
        [
          `${p.name}: p99 ${p.p99.toFixed(0)} ms <= ${TARGET_PAGE_LOAD_MS} ms`,
          p.p99 <= TARGET_PAGE_LOAD_MS,
        ] as const,
    ),
    [`every answer 2xx`, loads.every((l) => l.non2xx === 0)],
  ] as const;
  log('');
  for (const [what, ok] of checks) log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await knex.raw(`DROP OWNED BY ${bypassRole}`).catch(() => {});
  await close();
  const admin = await import('pg');
  const client = new admin.default.Client({ connectionString: process.env.COMPLYWISE_TEST_POSTGRES_URL });
  await client.connect();
  await client.query(`DROP ROLE IF EXISTS ${bypassRole}`);
  await client.end();
}
