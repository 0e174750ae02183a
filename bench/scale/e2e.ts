/**
 * A sandbox AWS organization of about N resources scanned end to end by the product's own API and worker
 * processes on PostgreSQL: wall time from "start scan" to the dashboard's scores and its split, peak memory
 * of each process, database growth (see harness.ts).
 *
 * Usage: node bench/scale/e2e.ts [--resources 100000] [--path config|direct|both] [--workers 1[,2…]]
 *        [--admin-url postgres://…]
 * `--workers 1,2` runs each path once per worker count (each worker a process of its own, sharing the
 * organization scan's per-account parts), so the table compares them in one run; `--tenant-concurrency N`
 * lets N parts of the tenant run at once across the workers (the product's default is 2).
 * The admin URL defaults to COMPLYWISE_TEST_POSTGRES_URL, then postgres://root@127.0.0.1:5432/test.
 * Each path runs in its own database and processes. Prints a markdown table; exits 1 when a scan fails.
 */
import { parseArgs } from 'node:util';
import { describeRuns, runEndToEnd, type EndToEndReport, type ScanPath } from './harness.ts';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '100000' },
    path: { type: 'string', default: 'both' },
    'admin-url': { type: 'string' },
    workers: { type: 'string', default: '1' },
    'tenant-concurrency': { type: 'string' },
    'worker-concurrency': { type: 'string' },
  },
});
/** A positive integer option, or undefined when not given; exits with a usage error otherwise. */
function positiveOption(name: 'tenant-concurrency' | 'worker-concurrency'): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) {
    process.stderr.write(`--${name} must be a positive integer, got "${value}"\n`);
    process.exit(2);
  }
  return n;
}
const tenantConcurrency = positiveOption('tenant-concurrency');
const workerConcurrency = positiveOption('worker-concurrency');
const workerCounts = values.workers.split(',').map(Number);
if (workerCounts.some((n) => !Number.isInteger(n) || n < 1)) {
  process.stderr.write(`--workers must list positive integers, got "${values.workers}"\n`);
  process.exit(2);
}
const resources = Number(values.resources);
if (!Number.isInteger(resources) || resources < 1) {
  process.stderr.write(`--resources must be a positive integer, got "${values.resources}"\n`);
  process.exit(2);
}
const paths: ScanPath[] | null =
  values.path === 'both'
    ? ['config', 'direct']
    : values.path === 'config' || values.path === 'direct'
      ? [values.path]
      : null;
if (!paths) {
  process.stderr.write(`--path must be config, direct or both, got "${values.path}"\n`);
  process.exit(2);
}
const adminUrl =
  values['admin-url'] ?? process.env.COMPLYWISE_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

const reports: EndToEndReport[] = [];
for (const path of paths) {
  for (const workers of workerCounts) {
    const report = await runEndToEnd({
      adminUrl,
      resources,
      path,
      workers,
      ...(tenantConcurrency ? { tenantConcurrency } : {}),
      ...(workerConcurrency ? { workerConcurrency } : {}),
    });
    process.stdout.write(`${JSON.stringify(report)}\n`);
    reports.push(report);
  }
}
process.stdout.write(`\n${describeRuns(reports)}\n`);
