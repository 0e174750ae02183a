/**
 * Findings CSV in constant memory: a tenant scan of N findings and one of 10N are streamed through
 * GET /api/reports/findings.csv over real HTTP, each in its own process (bench/reports/measure.ts), next to
 * the baseline of the same app answering one JSON page of 1,000 findings. If the CSV held the whole set,
 * peak RSS would grow with it; streamed, 10N costs what N costs.
 *
 *   node bench/reports/run.ts                   # N = 5,000 (and 50,000): about a minute
 *   node bench/reports/run.ts --findings 100000 --sample-ms 1000   # 1M: a forced collection every 100 ms
 *                                                                  # would slow the stream to a crawl
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchApp } from '../api/app.ts';
import { seedBenchTenant } from '../api/seed.ts';

const { values: args } = parseArgs({
  options: { findings: { type: 'string', default: '5000' }, 'sample-ms': { type: 'string', default: '100' } },
});
const N = Number(args.findings);
const sampleMs = Number(args['sample-ms']);

interface Measure {
  mode: string;
  rows: number;
  bytes: number;
  seconds: number;
  peakRssMiB: number;
  peakLiveHeapMiB: number;
}

const { app, database, sandbox, databaseUrl, dataDir, close } = await startBenchApp('reports');
app.egress.allowEndpoint(sandbox.url);
try {
  const started = performance.now();
  const small = await seedBenchTenant(app, database.knex, sandbox, {
    slug: 'csv-small',
    scans: 1,
    findingsPerScan: N,
  });
  const large = await seedBenchTenant(app, database.knex, sandbox, {
    slug: 'csv-large',
    scans: 1,
    findingsPerScan: 10 * N,
  });
  await database.knex.raw('analyze');
  console.log(`seeded ${N} + ${10 * N} findings in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const measure = (tenant: typeof small, mode: 'baseline' | 'csv'): Measure => {
    const input = JSON.stringify({
      databaseUrl: databaseUrl,
      dataDir,
      email: tenant.email,
      password: tenant.password,
      scanId: tenant.scanIds[0],
      mode,
      sampleMs,
    });
    const script = join(import.meta.dirname, 'measure.ts');
    const output = execFileSync(process.execPath, ['--expose-gc', script, input], {
      encoding: 'utf8',
    });
    return JSON.parse(output.trim().split('\n').at(-1)!) as Measure;
  };
  const baseline = measure(large, 'baseline');
  const csvN = measure(small, 'csv');
  const csv10N = measure(large, 'csv');
  if (csvN.rows !== N || csv10N.rows !== 10 * N)
    throw new Error(`row counts ${csvN.rows} / ${csv10N.rows}, expected ${N} / ${10 * N}`);

  const mib = (m: Measure) => `${m.peakRssMiB.toFixed(0)} MiB`;
  const rows: [string, Measure][] = [
    ['baseline: one JSON page of 1,000 findings', baseline],
    [`findings CSV, N = ${N.toLocaleString('en')}`, csvN],
    [`findings CSV, 10N = ${(10 * N).toLocaleString('en')}`, csv10N],
  ];
  console.log(
    '\n| answer | rows | size | time | peak RSS | peak RSS / baseline | peak live heap | live heap / baseline |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, m] of rows)
    console.log(
      `| ${name} | ${m.rows.toLocaleString('en')} | ${(m.bytes / 2 ** 20).toFixed(1)} MiB | ${m.seconds.toFixed(1)} s | ${mib(m)} | ${(m.peakRssMiB / baseline.peakRssMiB).toFixed(2)} | ${m.peakLiveHeapMiB.toFixed(0)} MiB | ${(m.peakLiveHeapMiB / baseline.peakLiveHeapMiB).toFixed(2)} |`,
    );
  const ratio = csv10N.peakRssMiB / csvN.peakRssMiB;
  const live = csv10N.peakLiveHeapMiB / csvN.peakLiveHeapMiB;
  console.log(
    `\n10N / N: peak RSS ${ratio.toFixed(2)}, peak live heap ${live.toFixed(2)} (whole set in memory: 10)`,
  );
  process.exitCode = ratio < 1.5 && live < 1.5 ? 0 : 1;
} finally {
  await close();
}
