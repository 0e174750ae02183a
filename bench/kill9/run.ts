/**
 * Kill -9 trials of the scan worker against real PostgreSQL: lost and duplicated findings per trial and in
 * total (target 0 and 0). See harness.ts for what one trial does.
 *
 * Usage: node bench/kill9/run.ts [--trials 50] [--seed N] [--sandbox aws|awsLegacy|github|okta|azure]
 *        [--services s3,iam] [--admin-url postgres://…]
 * The admin URL defaults to COMPLYWISE_TEST_POSTGRES_URL, then postgres://root@127.0.0.1:5432/test.
 * Exits 1 when any finding was lost or duplicated, or a scan did not succeed.
 */
import { parseArgs } from 'node:util';
import { runKill9 } from './harness.ts';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '50' },
    seed: { type: 'string' },
    sandbox: { type: 'string', default: 'aws' },
    services: { type: 'string' },
    'admin-url': { type: 'string' },
  },
});
const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 1) {
  process.stderr.write(`--trials must be a positive integer, got "${values.trials}"\n`);
  process.exit(2);
}
const SANDBOXES = ['aws', 'awsLegacy', 'github', 'okta', 'azure'] as const;
const sandbox = SANDBOXES.find((name) => name === values.sandbox);
if (!sandbox) {
  process.stderr.write(`--sandbox must be one of ${SANDBOXES.join(', ')}, got "${values.sandbox}"\n`);
  process.exit(2);
}
const seed = values.seed === undefined ? undefined : Number(values.seed);
const adminUrl =
  values['admin-url'] ?? process.env.COMPLYWISE_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

const started = Date.now();
// Ctrl-C stops after the current trial, so the trial database is dropped and the workers are stopped.
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());
const report = await runKill9({
  signal: stop.signal,
  trials,
  adminUrl,
  sandbox,
  ...(values.services ? { services: values.services.split(',') } : {}),
  ...(seed === undefined ? {} : { seed }),
});
process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
const { lost, duplicated, notSucceeded } = report.totals;
process.exit(lost === 0 && duplicated === 0 && notSucceeded === 0 ? 0 : 1);
