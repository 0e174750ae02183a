/**
 * Findings explorer benchmark (not a test): the API benchmark's big tenant (seed.ts: a real scan, then four
 * bulk scans of `--findings / 4` findings each, so the posture is the newest 250k of 1M) on a fresh PostgreSQL
 * database; ANALYZE; then each explorer query is asked `--runs` times in a row through the app (inject: the
 * whole request path, without HTTP) and its p50 and max are printed, with the plan of its findings statement
 * (EXPLAIN ANALYZE as the runtime role under RLS). The full findings CSV of the posture is timed once.
 * Target (issue 15): an explorer answer within 1 s on the 1M-finding tenant. Results go in bench/README.md.
 *
 *   node bench/api/explorer.ts [--findings 1000000] [--runs 10]
 * PostgreSQL: COMPLYWISE_BENCH_POSTGRES_URL, else COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test.
 */
import { parseArgs } from 'node:util';
import { bearer, login } from '../../api/test/helpers.ts';
import { cursorAfter } from './http.ts';
import { startBenchApp } from './app.ts';
import { captureQueries, explainAsApp } from './rls.ts';
import { seedBenchTenant } from './seed.ts';

const { values: args } = parseArgs({
  options: { findings: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '10' } },
});
const FINDINGS = Number(args.findings);
const RUNS = Number(args.runs);

const log = (line: string) => console.log(line);

const { app, database, sandbox, close } = await startBenchApp('explorer');
const knex = database.knex;

try {
  const started = performance.now();
  const big = await seedBenchTenant(app, knex, sandbox, {
    slug: 'bench-explorer',
    scans: 4,
    findingsPerScan: Math.ceil(FINDINGS / 4),
  });
  await knex.raw('analyze');
  log(`seeded ${big.findings} findings in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const token = (await login(app, big.email, big.password)).access_token;
  const get = (url: string) => app.inject({ url, headers: bearer(token) });

  // A deep cursor: the page after 80% of the posture in the default sort.
  const deep = await cursorAfter(
    async (url) => (await get(url)).json(),
    '/api/findings',
    (FINDINGS / 4) * 0.8,
  );
  const someRule = (await get('/api/findings?limit=1&status=fail')).json().items[0].rule_id as string;
  const queries: [string, string][] = [
    ['first page (severity, 100)', '/api/findings'],
    ['page after 80% (severity)', `/api/findings?cursor=${deep}`],
    ['status=fail', '/api/findings?status=fail'],
    ['status=fail, sort=resource_id', '/api/findings?status=fail&sort=resource_id'],
    ['severity=high, sort=resource_type', '/api/findings?severity=high&sort=resource_type'],
    [`rule_id=${someRule}`, `/api/findings?rule_id=${someRule}`],
    ['framework=soc2', '/api/findings?framework=soc2'],
    ['new_since_last_scan=true', '/api/findings?new_since_last_scan=true'],
    ['region=eu-west-1', '/api/findings?region=eu-west-1'],
    ['excepted=true (none)', '/api/findings?excepted=true'],
  ];
  log(`\n| query | p50 | max | items |\n| --- | --- | --- | --- |`);
  const plans: string[] = [];
  for (const [name, url] of queries) {
    const times: number[] = [];
    let items = 0;
    for (let i = 0; i < RUNS; i += 1) {
      const t0 = performance.now();
      const answer = await get(url);
      times.push(performance.now() - t0);
      if (answer.statusCode !== 200) throw new Error(`${url}: ${answer.statusCode} ${answer.body}`);
      items = answer.json().items.length;
    }
    times.sort((a, b) => a - b);
    log(
      `| ${name} | ${times[Math.floor(RUNS / 2)]!.toFixed(0)} ms | ${times.at(-1)!.toFixed(0)} ms | ${items} |`,
    );
    const statements = await captureQueries(app, big.tenantId, { url, headers: bearer(token) });
    const page = statements.find((q) => q.sql.includes('union all') || q.sql.includes('"findings" as "f"'));
    if (page) {
      const plan = await explainAsApp(knex, big.tenantId, page, 'ANALYZE, BUFFERS');
      plans.push(`-- ${name}\n${plan}`);
    }
  }
  const t0 = performance.now();
  const csv = await get('/api/reports/findings.csv');
  log(
    `\nfull posture CSV: ${csv.body.split('\r\n').length - 2} rows, ${(csv.body.length / 1e6).toFixed(1)} MB in ${(
      (performance.now() - t0) /
      1000
    ).toFixed(1)} s`,
  );
  log(`\n${plans.join('\n\n')}`);
} finally {
  await close();
}
