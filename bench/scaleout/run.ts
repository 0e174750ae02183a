/**
 * Several scan workers on one PostgreSQL scanning one integration: the provider call limit measured at the
 * sandbox while every worker scans it at once, then kill -9 trials of a worker collecting a part of a scan
 * or finishing it (see harness.ts). Ends with a table of the trials: what each kill aimed at, where it
 * landed, and the time from the kill to the scan's success.
 *
 * Usage: node bench/scaleout/run.ts [--trials 50] [--workers 4] [--calls-per-second 20] [--seed N]
 *        [--services s3,iam,kms,cloudtrail] [--admin-url postgres://…] [--worker-calls-per-second N]
 * --worker-calls-per-second sets the rate the workers are configured with, while the checks still hold the
 * calls to --calls-per-second: above it (80 for four workers at 20), both rate checks must fail and the run
 * exit 1, which shows they can (test/scaleout-checks.test.ts shows it without the product).
 * The admin URL defaults to COMPLYWISE_TEST_POSTGRES_URL, then postgres://root@127.0.0.1:5432/test.
 * Exits 1 when the limit was exceeded (the workers' limiters granted more slots than the limit in some
 * second; at the proxy, a second of the rate phase or of the whole run over busiestSecondBound with the
 * lateness measured around it; the rate phase's mean over the limit by 5%), a finding was lost or
 * duplicated, or a scan did not succeed.
 */
import { parseArgs } from 'node:util';
import { runScaleOut, SPLIT_SERVICES } from './harness.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    workers: { type: 'string', default: '4' },
    'calls-per-second': { type: 'string', default: '20' },
    seed: { type: 'string' },
    services: { type: 'string', default: SPLIT_SERVICES.join(',') },
    'admin-url': { type: 'string' },
    'worker-calls-per-second': { type: 'string' },
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
  ...(values['worker-calls-per-second'] === undefined
    ? {}
    : { workerCallsPerSecond: positive('worker-calls-per-second', values['worker-calls-per-second']) }),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
});
const cell = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(1));
process.stdout.write(
  '\n| trial | aimed at | landed in | in it for (s, share) | parts recorded | scan phase | kill to succeeded (s) | findings, lost / dup / changed | completions |\n' +
    '| ----- | -------- | --------- | -------------------- | -------------- | ---------- | --------------------- | ------------------------------ | ----------- |\n' +
    report.trials
      .map(
        (t) =>
          `| ${t.trial} | ${t.target} | ${t.landing === 'part' ? `part ${t.victimPart}` : t.landing} | ` +
          `${t.intoMs === null ? '' : `${cell(t.intoMs)} (${Math.round(t.intoShare! * 100)}%)`} | ${t.partsDone} | ` +
          `${t.killedIn} | ${cell(t.recoveredMs)} ${t.status === 'succeeded' ? '' : t.status} | ` +
          `${t.findings}, ${t.lost} / ${t.duplicatedByKey + t.duplicatedByContent} / ${t.changed + t.unexpected} | ` +
          `${t.ledgerCompletions} |`,
      )
      .join('\n') +
    `\n\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
);
const { lost, duplicated, notSucceeded } = report.totals;
const { rate, run } = report;
const rateHeld =
  run.granted.grantedBusiestSecond <= callsPerSecond &&
  rate.granted.windowsOverBound === 0 &&
  run.granted.windowsOverBound === 0 &&
  rate.meanPerSecond <= callsPerSecond * 1.05;
const clean = rate.lost + rate.duplicated + rate.changed === 0 && rate.succeeded === rate.scans;
process.exit(rateHeld && clean && lost === 0 && duplicated === 0 && notSucceeded === 0 ? 0 : 1);
