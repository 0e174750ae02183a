/**
 * Which index each read of `findings` uses (issue 18's index audit; not a test). The API benchmark's big
 * tenant (seed.ts: a real scan, then four bulk scans, so `--findings` in all and the posture the newest quarter)
 * on a fresh PostgreSQL database, ANALYZE; then every request that reads findings is made once through the
 * app, its findings statements captured and each EXPLAIN ANALYZEd as the runtime role under RLS; the
 * findings indexes each plan reads, its execution time and, with `--full`, the plan itself are printed.
 * With `--down <migration>` the same is done again after that migration's `down`, on the same rows: the plans
 * before and after it side by side. With `--merged` it is done again with the explorer's resource index
 * merged into the natural key (the key reordered to (tenant_id, scan_id, resource_id, rule_id, created_at),
 * findings_explorer_resource dropped): the candidate merge of the index audit, tried without a migration.
 *
 *   node bench/api/findings-plans.ts [--findings 300000] [--down <migration>] [--merged] [--full]
 * PostgreSQL: COMPLYWISE_BENCH_POSTGRES_URL, else COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test.
 */
import { parseArgs } from 'node:util';
import { migrationSource } from '../../api/migrations/index.ts';
import { bearer, login } from '../../api/test/helpers.ts';
import { startBenchApp } from './app.ts';
import { cursorAfter } from './http.ts';
import { captureQueries, explainAsApp, type CapturedQuery } from './rls.ts';
import { seedBenchTenant } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '300000' },
    down: { type: 'string' },
    merged: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
  },
});
const FINDINGS = Number(args.findings);
const log = (line: string) => console.log(line);

const { app, database, sandbox, close } = await startBenchApp('findings-plans');
const knex = database.knex;

try {
  const big = await seedBenchTenant(app, knex, sandbox, {
    slug: 'bench-findings-plans',
    scans: 4,
    findingsPerScan: Math.ceil(FINDINGS / 4),
  });
  await knex.raw('analyze');
  const token = (await login(app, big.email, big.password)).access_token;
  const get = async (url: string) => {
    const answer = await app.inject({ url, headers: bearer(token) });
    if (answer.statusCode !== 200) throw new Error(`${url}: ${answer.statusCode} ${answer.body}`);
    return answer.json();
  };
  const scan = big.scanIds.at(-1)!;
  const perScan = Math.ceil(FINDINGS / 4);
  const some = (await get(`/api/scans/${scan}/findings?limit=1&sort=resource_id&status=fail`)).items[0] as {
    id: string;
    resource_id: string;
    rule_id: string;
  };
  const controls = (await get(`/api/scans/${scan}/controls`)) as
    { control_id: string }[] | { items: { control_id: string }[] };
  const control = (Array.isArray(controls) ? controls : controls.items)[0]!.control_id;
  const sha = (await get(`/api/findings/${some.id}`)) as {
    evidence_sha256?: string;
    finding?: { evidence_sha256: string };
  };
  const evidence = sha.evidence_sha256 ?? sha.finding?.evidence_sha256;
  const deep = async (path: string) =>
    `${path}${path.includes('?') ? '&' : '?'}cursor=${await cursorAfter(get, path, perScan * 0.8)}`;
  const requests: [string, string][] = [
    ['explorer, severity (default)', '/api/findings'],
    ['explorer, severity, after 80%', await deep('/api/findings')],
    ['explorer, sort=rule_id', '/api/findings?sort=rule_id'],
    ['explorer, sort=rule_id, after 80%', await deep('/api/findings?sort=rule_id')],
    ['explorer, sort=resource_id', '/api/findings?sort=resource_id'],
    ['explorer, sort=resource_id, after 80%', await deep('/api/findings?sort=resource_id')],
    ['explorer, status=fail, sort=resource_id', '/api/findings?status=fail&sort=resource_id'],
    ['explorer, sort=resource_type', '/api/findings?sort=resource_type'],
    ['explorer, resource_id=<one>', `/api/findings?resource_id=${encodeURIComponent(some.resource_id)}`],
    ['explorer, rule_id=<one>', `/api/findings?rule_id=${encodeURIComponent(some.rule_id)}`],
    ['explorer, new_since_last_scan=true', '/api/findings?new_since_last_scan=true'],
    ['scan findings, rule_id (default)', `/api/scans/${scan}/findings`],
    ['scan findings, rule_id, after 80%', await deep(`/api/scans/${scan}/findings`)],
    ['scan findings, sort=resource_id', `/api/scans/${scan}/findings?sort=resource_id`],
    [
      'scan findings, sort=resource_id, after 80%',
      await deep(`/api/scans/${scan}/findings?sort=resource_id`),
    ],
    ['scan findings, sort=status', `/api/scans/${scan}/findings?sort=status`],
    ['scan resources (first page)', `/api/scans/${scan}/resources`],
    ['scan control (findingsOf, its rules)', `/api/scans/${scan}/controls/${encodeURIComponent(control)}`],
    ['posture control (findingsOfScans, rules)', `/api/scores/controls/${encodeURIComponent(control)}`],
    [
      'posture resource (findingsOfScans, resource)',
      `/api/resources/${encodeURIComponent(some.resource_id)}`,
    ],
    ['finding by id', `/api/findings/${some.id}`],
    ...(evidence ? ([['evidence cited_by', `/api/evidence/${evidence}`]] as [string, string][]) : []),
  ];

  /** Per request: the findings indexes its plans read and their execution time. */
  async function audit(label: string): Promise<void> {
    log(`\n## ${label}\n\n| request | findings indexes read | execution |\n| --- | --- | --- |`);
    const full: string[] = [];
    // A partition's index has a name of its own; the plan names it, the parent's name says which one it is.
    const parents = new Map(
      (
        (await knex.raw(`select c.relname as child, p.relname as parent from pg_inherits i
           join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relkind = 'I'`)) as {
          rows: { child: string; parent: string }[];
        }
      ).rows.map((r) => [r.child, r.parent]),
    );
    for (const [name, url] of requests) {
      let statements: CapturedQuery[];
      try {
        statements = (await captureQueries(app, big.tenantId, { url, headers: bearer(token) })).filter((q) =>
          /\bfindings\b/.test(q.sql),
        );
      } catch (error) {
        log(`| ${name} | ${(error as Error).message.slice(0, 100)} | |`);
        continue;
      }
      const indexes = new Set<string>();
      let ms = 0;
      for (const statement of statements) {
        // Nodes run-time pruning skipped (other months' partitions) say "never executed": not read.
        const plan = (await explainAsApp(knex, big.tenantId, statement, 'ANALYZE'))
          .split('\n')
          .filter((line) => !line.includes('never executed'))
          .join('\n');
        for (const m of plan.matchAll(
          /(?:Index Scan(?: Backward)? using|Index Only Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g,
        )) {
          const parent = parents.get(m[1]!);
          if (parent?.startsWith('findings_')) indexes.add(parent);
        }
        // An empty partition (a coming month's) is read whole at no cost: only a read of some rows counts.
        for (const m of plan.matchAll(/Seq Scan on (findings\w*) .*rows=(\d+) loops/g))
          if (m[2] !== '0') indexes.add(`seq scan ${m[1]}`);
        ms += Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1] ?? 0);
        full.push(`-- ${name}\n${plan}`);
      }
      const read = statements.length === 0 ? '(no findings statement)' : '(no findings row read)';
      log(`| ${name} | ${[...indexes].join(', ') || read} | ${ms.toFixed(1)} ms |`);
    }
    if (args.full) log(`\n${full.join('\n\n')}`);
  }

  await audit('as migrated');
  if (args.down) {
    const migrations = await migrationSource.getMigrations([]);
    const entry = migrations.find(([name]) => name === args.down);
    if (!entry) throw new Error(`no migration ${args.down}`);
    await entry[1].down(knex);
    await knex.raw('analyze findings');
    await audit(`after ${args.down} down`);
  }
  if (args.merged) {
    await knex.raw(`ALTER TABLE findings DROP CONSTRAINT findings_natural_key,
      ADD CONSTRAINT findings_natural_key UNIQUE (tenant_id, scan_id, resource_id, rule_id, created_at)`);
    await knex.raw(`DROP INDEX findings_explorer_resource`);
    await knex.raw('analyze findings');
    await audit(
      'natural key (tenant_id, scan_id, resource_id, rule_id, created_at), no findings_explorer_resource',
    );
  }
} finally {
  await close();
}
