/**
 * Scan workers on separate test hosts (network namespaces) sharing one PostgreSQL queue: the same queued
 * workload scanned by 1, 2 and 4 workers against a sandbox answering after 50-150 ms per call; scans per
 * minute, the ratio to one worker (goal: 4 workers at least 3.5x), CPU per worker, calls at the sandbox,
 * findings alike in every run (see hosts-harness.ts).
 *
 * Usage: node bench/scale/hosts.ts [--workers 1,2,4] [--integrations 4] [--scans-per-integration 4]
 *        [--services s3,iam,kms,cloudtrail] [--latency 50-150] [--calls-per-second 100] [--seed 18]
 *        [--admin-url postgres://…]
 * The admin URL defaults to COMPLYWISE_TEST_POSTGRES_URL, then postgres://root@127.0.0.1:5432/test.
 * Needs root and `ip netns`: exits 2 with the reason otherwise. Exits 1 when a scan did not succeed or a
 * finding was lost, duplicated or changed; the ratio goal is reported, not enforced (the machine is shared).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { SPLIT_SERVICES } from '../scaleout/harness.ts';
import { describeHosts, runHosts } from './hosts-harness.ts';
import { netnsUnavailable } from './netns.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    integrations: { type: 'string', default: '4' },
    'scans-per-integration': { type: 'string', default: '4' },
    services: { type: 'string', default: SPLIT_SERVICES.join(',') },
    latency: { type: 'string', default: '50-150' },
    'calls-per-second': { type: 'string', default: '100' },
    seed: { type: 'string', default: '18' },
    'admin-url': { type: 'string' },
  },
});

/** Exits 2 with the reason. */
function refuse(reason: string): never {
  process.stderr.write(`${reason}\n`);
  process.exit(2);
}
/** A positive integer option, or exit 2. */
function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  refuse(`--${name} must be a positive integer, got "${value}"`);
}

const unavailable = netnsUnavailable();
if (unavailable) refuse(`bench/scale/hosts.ts: ${unavailable}`);
const workerCounts = (values.workers ?? '').split(',').map((w) => positive('workers', w));
if (workerCounts[0] !== 1) refuse('--workers must start with 1 (the ratios are to one worker)');
const latency = /^(\d+)-(\d+)$/.exec(values.latency ?? '');
if (!latency || Number(latency[1]) > Number(latency[2]))
  refuse(`--latency must be MIN-MAX in ms, got "${values.latency}"`);
const adminUrl =
  values['admin-url'] ?? process.env.COMPLYWISE_TEST_POSTGRES_URL ?? 'postgres://root@127.0.0.1:5432/test';

// A signal aborts the run at its next wait; the finally blocks then stop the workers, drop the databases
// and remove the namespaces. A second signal leaves at once (the namespaces go in the exit handler).
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write(`${signal}: stopping, cleaning up\n`);
    stop.abort(new Error(`stopped by ${signal}`));
  });
}

const started = Date.now();
process.stdout.write(
  `load average at the start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
const report = await runHosts({
  adminUrl,
  workerCounts,
  integrations: positive('integrations', values.integrations),
  scansPerIntegration: positive('scans-per-integration', values['scans-per-integration']),
  services: (values.services ?? '').split(','),
  latencyMs: [Number(latency[1]), Number(latency[2])],
  callsPerSecond: positive('calls-per-second', values['calls-per-second']),
  seed: Number(values.seed),
  signal: stop.signal,
}).catch((error: unknown) => {
  // Stopped by a signal: everything is cleaned up by now; say so without a stack.
  if (!stop.signal.aborted) throw error;
  process.stderr.write(
    `${(error as Error).message}; workers stopped, databases dropped, namespaces removed\n`,
  );
  process.exit(130);
});
process.stdout.write(`${JSON.stringify(report)}\n\n${describeHosts(report)}\n`);
process.stdout.write(
  `done in ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end: ` +
    `${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
);
const clean = report.runs.every(
  (r) =>
    r.succeeded === r.scans && r.lost + r.duplicated + r.changed + r.unexpected + r.notCompletedOnce === 0,
);
process.exit(clean ? 0 : 1);
