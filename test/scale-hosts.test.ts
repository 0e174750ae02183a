/**
 * The short CI version of the separate-hosts bench (bench/scale/hosts.ts): one and then two worker
 * processes of the product, each in its own network namespace on a bridge, reaching PostgreSQL and the AWS
 * sandbox only over their veth (a TCP forwarder and the latency proxy on the bridge address), scan the same
 * queued workload (two integrations of the sandbox, one scan each, two parts per scan).
 *
 * - Both worker counts finish every scan, with the same findings in every scan (0 lost, duplicated,
 *   changed or unexpected) and one `scan.completed` each.
 * - The work was shared: with two workers, both hosts collected parts of the timed scans; each worker ran in
 *   a namespace of its own (not this process's), and reached the database through the forwarder.
 * - Nothing is left behind: no namespace, veth or bridge of this process after the run.
 *
 * Only the work is checked, never the wall time (CI runs it beside other jobs on a shared machine). Skipped
 * with its reason without root, `ip netns` or COMPLYWISE_TEST_POSTGRES_URL.
 */
// alone: it adds a bridge and veths to the machine, and Chromium fails the requests it has in flight then
// (net::ERR_NETWORK_CHANGED), so scripts/test.sh runs it after the other files, never beside a browser test.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runHosts } from '../bench/scale/hosts-harness.ts';
import { netnsUnavailable } from '../bench/scale/netns.ts';

const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
const skipReason = adminUrl ? netnsUnavailable() : 'COMPLYWISE_TEST_POSTGRES_URL is not set';

describe.skipIf(skipReason)(
  `workers on separate hosts${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it(
      'one and two workers in their own namespaces scan the same work with the same findings, shared by both hosts',
      { timeout: 480_000 },
      async () => {
        const lines: string[] = [];
        const report = await runHosts({
          adminUrl: adminUrl!,
          workerCounts: [1, 2],
          integrations: 2,
          scansPerIntegration: 1,
          services: ['s3', 'iam'],
          // Long enough that a part outlasts the other worker's 2 s poll, so both take parts.
          latencyMs: [30, 60],
          log: (line) => lines.push(line),
        });
        const output = lines.join('\n');
        expect(
          report.runs.map((r) => r.workers),
          output,
        ).toEqual([1, 2]);
        expect(report.referenceFindings, output).toBeGreaterThan(0);
        for (const run of report.runs) {
          expect(run, output).toMatchObject({
            scans: 2,
            succeeded: 2,
            findingsPerScan: report.referenceFindings,
            lost: 0,
            duplicated: 0,
            changed: 0,
            unexpected: 0,
            notCompletedOnce: 0,
          });
          expect(run.calls, output).toBeGreaterThan(0);
          expect(run.databaseConnections, output).toBeGreaterThan(0);
          // Four parts (two scans of two), every one collected by a host of this run (a part whose lease
          // lapsed under load is collected again: at least four).
          const parts = Object.values(run.partsByHost);
          expect(parts.length, output).toBe(run.workers);
          expect(
            parts.reduce((a, b) => a + b, 0),
            output,
          ).toBeGreaterThanOrEqual(4);
          expect(new Set(run.namespaces).size, output).toBe(run.workers);
        }
        // Shared: both hosts collected parts.
        for (const [host, parts] of Object.entries(report.runs[1]!.partsByHost))
          expect(parts, `${host}\n${output}`).toBeGreaterThan(0);
        // Removed: the namespaces, and their veths and bridge, named after this process.
        const tag = `cw${process.pid}`;
        expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(tag);
        expect(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })).not.toContain(tag);
      },
    );
  },
);

if (skipReason) {
  // vitest prints the skipped suite's name; this says why in the output too.
  console.warn(`separate-hosts bench smoke skipped: ${skipReason}`);
}
