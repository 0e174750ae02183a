/**
 * The API at many findings across tenants (issue 18; not a test): the real app over HTTP on a fresh
 * PostgreSQL database it creates (through the product's migrations) and drops. The data grows in two stages
 * in the same database and the same requests are measured after each, so the report is ratios:
 *   stage 1: `--tenants` small tenants of `--small` findings and the first large tenant of `--findings`;
 *   stage 2: `--large - 1` more large tenants of `--findings` each (the default: 10 x 1M = 10M in all).
 * Every tenant starts from a real scan; bulk scans are cloned from it in SQL (seed.ts: generated in the
 * server, `--batch` rows per statement, through the production indexes), a large tenant in four scans (its
 * posture is the newest quarter). After ANALYZE, for the first large tenant AND the first small one:
 *   GET /api/scores                                 at `--rate` req/s for `--seconds` (autocannon)
 *   GET /api/findings, first page and the page after 80% of the posture, unfiltered and status=fail (same)
 *   GET /api/reports/findings.csv: rows/s off the wire, up to `--export-rows` rows
 * with GET /api/health/live at the same rate as each stage's floor, the load average, the seeding time and
 * the database size. Stage 2 / stage 1 answers "does the database's size (the large neighbours) slow a
 * tenant?"; large / small answers "does a tenant's own size?". Results go in bench/README.md.
 *
 *   node bench/api/tenants.ts [--findings 1000000] [--large 10] [--small 10000] [--tenants 20]
 *                             [--seconds 10] [--rate 200] [--export-rows 50000] [--batch 250000]
 *                             [--seed-until 2026-12-07T12:30Z]   (stage 2 stops adding large tenants then)
 *   node bench/api/tenants.ts --quick     (smoke run: 3 x 20k + 3 x 1k, 2 s per endpoint)
 * PostgreSQL: COMPLYWISE_BENCH_POSTGRES_URL, else COMPLYWISE_TEST_POSTGRES_URL, else root@127.0.0.1/test.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { login } from '../../api/test/helpers.ts';
import { cursorAfter, drive, exportRate, type ExportRate, type Load } from './http.ts';
import { startBenchApp } from './app.ts';
import { DEFAULT_SEED_BATCH, seedBenchTenant, type SeededTenant } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '1000000' },
    large: { type: 'string', default: '10' },
    small: { type: 'string', default: '10000' },
    tenants: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    'export-rows': { type: 'string', default: '50000' },
    batch: { type: 'string', default: String(DEFAULT_SEED_BATCH) },
    'seed-until': { type: 'string' },
    quick: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const FINDINGS = quick ? 20_000 : Number(args.findings);
const LARGE = quick ? 3 : Number(args.large);
const SMALL = quick ? 1_000 : Number(args.small);
const TENANTS = quick ? 3 : Number(args.tenants);
const SECONDS = quick ? 2 : Number(args.seconds);
const RATE = Number(args.rate);
const EXPORT_ROWS = quick ? 5_000 : Number(args['export-rows']);
const BATCH = quick ? 7_000 : Number(args.batch);
/** A wall-clock time (ISO, UTC): no large tenant is started in stage 2 that would end after it. */
const SEED_UNTIL = args['seed-until'] ? Date.parse(args['seed-until']) : Infinity;
const LARGE_SCANS = 4;
/** Where the deep explorer page starts: after this share of the posture (as explorer.ts). */
const DEEP = 0.8;

const log = (line: string) => console.log(line);
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

const { app, database, sandbox, close } = await startBenchApp('tenants');
const knex = database.knex;
let base = '';

async function seed(slug: string, scans: number, findings: number): Promise<SeededTenant> {
  return seedBenchTenant(app, knex, sandbox, {
    slug,
    scans,
    findingsPerScan: Math.ceil(findings / scans),
    batch: BATCH,
  });
}

async function databaseBytes(): Promise<number> {
  const { rows } = await knex.raw<{ rows: { bytes: string }[] }>(
    'select pg_database_size(current_database()) as bytes',
  );
  return Number(rows[0]!.bytes);
}

/** The explorer requests measured: the first page and the deep one, unfiltered and filtered. */
interface Probe {
  name: string;
  path: string;
}

interface Measured {
  tenant: string;
  loads: Load[];
  csv: ExportRate;
}

/** The explorer paths of a tenant: its deep cursors are found once (later tenants do not change a posture). */
async function probesOf(tenant: SeededTenant, posture: number): Promise<Probe[]> {
  const { access_token: token } = await login(app, tenant.email, tenant.password);
  const get = async (url: string) => {
    const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { items: unknown[]; next_cursor: string | null };
  };
  const { count } = (
    await knex('findings')
      .where({ scan_id: tenant.scanIds.at(-1), status: 'fail' })
      .count({ count: '*' })
  )[0] as { count: string };
  const deep = await cursorAfter(get, '/api/findings', Math.floor(posture * DEEP));
  const deepFail = await cursorAfter(get, '/api/findings?status=fail', Math.floor(Number(count) * DEEP));
  if (!deep || !deepFail) throw new Error(`no deep explorer page for ${tenant.email}`);
  return [
    { name: 'GET /api/scores', path: '/api/scores' },
    { name: 'explorer, first page', path: '/api/findings' },
    { name: `explorer, page after ${DEEP * 100}%`, path: `/api/findings?cursor=${deep}` },
    { name: 'explorer status=fail, first page', path: '/api/findings?status=fail' },
    {
      name: `explorer status=fail, after ${DEEP * 100}%`,
      path: `/api/findings?status=fail&cursor=${deepFail}`,
    },
  ];
}

async function measure(label: string, tenant: SeededTenant, probes: Probe[]): Promise<Measured> {
  log(`\n${label} (${tenant.findings} findings), load average ${load()}:`);
  const loads: Load[] = [];
  for (const probe of probes) {
    // A fresh access token per run: a stage's seeding and runs can outlast one.
    const { access_token: token } = await login(app, tenant.email, tenant.password);
    loads.push(await drive(base, probe.name, probe.path, token, { rate: RATE, seconds: SECONDS, log }));
  }
  const { access_token: token } = await login(app, tenant.email, tenant.password);
  const csv = await exportRate(`${base}/api/reports/findings.csv`, token, EXPORT_ROWS);
  log(
    `${'findings CSV export'.padEnd(40)} ${csv.rows} rows${csv.complete ? ' (all)' : ''}, ` +
      `${(csv.bytes / 2 ** 20).toFixed(1)} MiB in ${csv.seconds.toFixed(1)} s: ${(csv.rows / csv.seconds).toFixed(0)} rows/s`,
  );
  return { tenant: label, loads, csv };
}

interface Stage {
  name: string;
  findings: number;
  seedSeconds: number;
  bytes: number;
  floor: Load;
  measured: Measured[];
  loadBefore: string;
  loadAfter: string;
}

async function measureStage(
  name: string,
  findings: number,
  seedSeconds: number,
  tenants: [string, SeededTenant, Probe[]][],
): Promise<Stage> {
  const loadBefore = load();
  const bytes = await databaseBytes();
  log(
    `\n== ${name}: ${findings} findings in the database (${(bytes / 2 ** 30).toFixed(2)} GiB), ` +
      `${RATE} req/s for ${SECONDS} s each, load average ${loadBefore}`,
  );
  const { access_token: token } = await login(app, tenants[0]![1].email, tenants[0]![1].password);
  const floor = await drive(base, 'floor: GET /api/health/live', '/api/health/live', token, {
    rate: RATE,
    seconds: SECONDS,
    log,
  });
  const measured: Measured[] = [];
  for (const [label, tenant, probes] of tenants) measured.push(await measure(label, tenant, probes));
  return { name, findings, seedSeconds, bytes, floor, measured, loadBefore, loadAfter: load() };
}

const ratio = (a: number, b: number) => `${(a / Math.max(b, 1)).toFixed(2)}x`;

try {
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  log(
    `Seeding ${TENANTS} x ${SMALL} small and ${LARGE} x ${FINDINGS} large (${BATCH} rows per statement), ` +
      `load average ${load()}`,
  );
  let started = performance.now();
  const small: SeededTenant[] = [];
  for (let i = 0; i < TENANTS; i += 1) small.push(await seed(`small-${i}`, 1, SMALL));
  const large = [await seed('large-0', LARGE_SCANS, FINDINGS)];
  await knex.raw('analyze');
  const firstSeconds = (performance.now() - started) / 1000;
  let total = TENANTS * SMALL + FINDINGS;
  log(
    `stage 1 seeded ${total} findings in ${firstSeconds.toFixed(0)} s (${(total / firstSeconds).toFixed(0)}/s)`,
  );

  const perScan = Math.ceil(FINDINGS / LARGE_SCANS);
  const watched: [string, SeededTenant, Probe[]][] = [
    ['large tenant', large[0]!, await probesOf(large[0]!, perScan)],
    ['small tenant', small[0]!, await probesOf(small[0]!, SMALL)],
  ];
  const stages = [await measureStage('stage 1', total, firstSeconds, watched)];

  started = performance.now();
  for (let i = 1; i < LARGE; i += 1) {
    const lastTook = i > 1 ? (performance.now() - started) / (i - 1) : 0;
    if (Date.now() + lastTook > SEED_UNTIL) {
      log(`  stopped at ${i} large tenants: another would end after --seed-until ${args['seed-until']}`);
      break;
    }
    large.push(await seed(`large-${i}`, LARGE_SCANS, FINDINGS));
    log(
      `  large tenant ${i + 1} of ${LARGE} seeded at ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${load()}`,
    );
  }
  await knex.raw('analyze');
  const secondSeconds = (performance.now() - started) / 1000;
  const added = (large.length - 1) * FINDINGS;
  total += added;
  log(
    `stage 2 seeded ${added} more findings in ${secondSeconds.toFixed(0)} s (${(added / secondSeconds).toFixed(0)}/s)`,
  );
  stages.push(await measureStage('stage 2', total, secondSeconds, watched));

  const [first, second] = stages as [Stage, Stage];
  log(`\n| request | tenant | ${first.findings} p50 / p99 | ${second.findings} p50 / p99 | p99 ratio |`);
  log('| --- | --- | --- | --- | --- |');
  log(
    `| floor: GET /api/health/live | - | ${first.floor.p50} / ${first.floor.p99} ms | ` +
      `${second.floor.p50} / ${second.floor.p99} ms | ${ratio(second.floor.p99, first.floor.p99)} |`,
  );
  for (const [t, measured] of first.measured.entries()) {
    for (const [l, before] of measured.loads.entries()) {
      const after = second.measured[t]!.loads[l]!;
      log(
        `| ${before.name} | ${measured.tenant} | ${before.p50} / ${before.p99} ms (${before.rate.toFixed(0)}/s) | ` +
          `${after.p50} / ${after.p99} ms (${after.rate.toFixed(0)}/s) | ${ratio(after.p99, before.p99)} |`,
      );
    }
    const rate = (csv: ExportRate) => csv.rows / csv.seconds;
    log(
      `| findings CSV, rows/s | ${measured.tenant} | ${rate(measured.csv).toFixed(0)} | ` +
        `${rate(second.measured[t]!.csv).toFixed(0)} | ${(rate(second.measured[t]!.csv) / rate(measured.csv)).toFixed(2)}x |`,
    );
  }
  log('');
  for (const stage of stages)
    log(
      `${stage.name}: ${stage.findings} findings, seeded in ${stage.seedSeconds.toFixed(0)} s, database ` +
        `${(stage.bytes / 2 ** 30).toFixed(2)} GiB (${(stage.bytes / stage.findings).toFixed(0)} bytes per finding), ` +
        `load average ${stage.loadBefore} -> ${stage.loadAfter}`,
    );
  const failed = stages
    .flatMap((s) => [s.floor, ...s.measured.flatMap((m) => m.loads)])
    .filter((l) => l.non2xx);
  log(
    failed.length ? `FAIL answers not 2xx: ${failed.map((l) => l.name).join(', ')}` : 'PASS every answer 2xx',
  );
  process.exitCode = failed.length ? 1 : 0;
} finally {
  await close();
}
