/**
 * Several scan workers on one PostgreSQL scanning one integration: the provider call limit measured at the
 * sandbox while every worker scans it at once, then kill -9 trials of the worker running a scan (see
 * harness.ts).
 *
 * Usage: node bench/scaleout/run.ts [--trials 50] [--workers 4] [--calls-per-second 20] [--seed N]
 *        [--services s3,iam,kms,cloudtrail] [--admin-url postgres://…]
 * The admin URL defaults to COMPLYWISE_TEST_POSTGRES_URL, then postgres://root@127.0.0.1:5432/test.
 * Exits 1 when the limit was exceeded (busiest second over busiestSecondBound, mean over it by 5%), a finding was lost or duplicated, or a scan did not succeed.
 */
import { parseArgs } from 'node:util';
import { busiestSecondBound, runScaleOut, SPLIT_SERVICES } from './harness.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    workers: { type: 'string', default: '4' },
    'calls-per-second': { type: 'string', default: '20' },
    seed: { type: 'string' },
    services: { type: 'string', default: SPLIT_SERVICES.join(',') },
    'admin-url': { type: 'string' },
  },
});
/** A positive integer option, or exit 2 with the reason. */
function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  process.stderr.write(`--${name} must be a positive integer, got "${value}"\n`);
  process.exit(2);
}
const trials = positive('trials', values.trials);
const workers = positive('workers', values.workers);
const callsPerSecond = positive('calls-per-second', values['calls-per-second']);
const adminUrl =
  values['admin-url'] ?? process.env.COMPLYWISE_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

const started = Date.now();
// Ctrl-C stops after the current trial, so the trial database is dropped and the workers are stopped.
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
const report = await runScaleOut({
  signal: stop.signal,
  adminUrl,
  trials,
  workers,
  callsPerSecond,
  services: values.services.split(','),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
});
process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
const { lost, duplicated, notSucceeded } = report.totals;
const { rate } = report;
const rateHeld =
  rate.busiestSecond <= busiestSecondBound(callsPerSecond, rate.proxyLagMs) &&
  rate.meanPerSecond <= callsPerSecond * 1.05;
const clean = rate.lost + rate.duplicated + rate.changed === 0 && rate.succeeded === rate.scans;
process.exit(rateHeld && clean && lost === 0 && duplicated === 0 && notSucceeded === 0 ? 0 : 1);
