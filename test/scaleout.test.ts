/**
 * The short CI version of the scale-out bench (bench/scaleout): four worker processes of the product on one
 * real PostgreSQL scan the same AWS sandbox integration at once, each scan split into parts (one per
 * service) that any worker collects, then one kill -9 trial.
 *
 * - One scan is collected by several workers: the parts of every scan were started by at least two
 *   different worker processes (their log lines; each part row also records its worker).
 * - The integration's call limit holds across the four: exactly where it is decided, in the slots the
 *   workers' limiters granted (their slot logs), and end to end where the provider would count, at a proxy
 *   in front of the sandbox, within a bound for how late the workers and the proxy ran. With one limiter
 *   per process each worker would make the full rate itself, about four times the limit: both checks fail
 *   on such grants and arrivals (test/scaleout-checks.test.ts; live: bench/scaleout/run.ts
 *   --worker-calls-per-second 80).
 * - The worker collecting a part of a scan is SIGKILLed mid-scan; the part is retried alone by another of the
 *   remaining three once its lease lapses, and the scan finishes with not one finding lost, duplicated or
 *   changed, and completes exactly once in the ledger.
 *
 * PostgreSQL only: several worker processes need a database they can share (PGlite is one process).
 */
import { describe, expect, it } from 'vitest';
import { busiestSecondBound, runScaleOut } from '../bench/scaleout/harness.ts';

const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
const CALLS_PER_SECOND = 20;

describe.skipIf(!adminUrl)('four workers on one integration (needs COMPLYWISE_TEST_POSTGRES_URL)', () => {
  it(
    'keeps the call limit across all four and loses no finding when one is killed',
    { timeout: 420_000 },
    async () => {
      const lines: string[] = [];
      const report = await runScaleOut({
        adminUrl: adminUrl!,
        workers: 4,
        callsPerSecond: CALLS_PER_SECOND,
        trials: 1,
        // The one trial aims at a part (the bench aims at the finish too).
        finishKills: false,
        // Within the first quarter of the part's usual time, so it has not finished by then.
        latestShare: 0.25,
        log: (line) => lines.push(line),
      });
      const output = lines.join('\n');
      const { rate } = report;
      // Four scans of four parts, collected by the four workers, each scan's parts by two workers or more,
      // all running at the same time.
      expect(rate, output).toMatchObject({ scans: 4, succeeded: 4, distinctWorkers: 4, partsPerScan: 4 });
      expect(rate.fewestWorkersPerScan, output).toBeGreaterThanOrEqual(2);
      expect(rate.overlapMs, output).toBeGreaterThan(0);
      expect(rate.calls, output).toBeGreaterThan(4 * CALLS_PER_SECOND);
      // Where the limit is decided: the slots granted to all four workers together, by the database clock,
      // never more than the limit in a second, whatever the load (over the kill trial too).
      expect(rate.granted.grants, output).toBeGreaterThanOrEqual(rate.calls);
      expect(rate.granted.grantedBusiestSecond, output).toBeLessThanOrEqual(CALLS_PER_SECOND);
      expect(report.run.granted.grantedBusiestSecond, output).toBeLessThanOrEqual(CALLS_PER_SECOND);
      // End to end at the proxy: a call arrives within its interval of its slot, later only by the stalls of
      // its worker and the proxy (measured), each interval of which can bunch one more call into a second:
      // every second within the bound of the lateness measured around it, so within the whole run's too.
      expect(rate.granted.windowsOverBound, output).toBe(0);
      expect(rate.busiestSecond, output).toBeLessThanOrEqual(
        busiestSecondBound(CALLS_PER_SECOND, rate.granted.arrivalLateMs),
      );
      // The first call may go up to an interval late, which shortens the span the mean is taken over a little.
      expect(rate.meanPerSecond, output).toBeLessThanOrEqual(CALLS_PER_SECOND * 1.05);
      expect(rate, output).toMatchObject({ lost: 0, duplicated: 0, changed: 0 });

      expect(report.referenceFindings, output).toBeGreaterThan(0);
      const [trial] = report.trials;
      expect(trial, output).toMatchObject({
        status: 'succeeded',
        findings: report.referenceFindings,
        lost: 0,
        duplicatedByKey: 0,
        duplicatedByContent: 0,
        unexpected: 0,
        changed: 0,
        ledgerCompletions: 1,
      });
      // The kill landed on a worker collecting one of the scan's parts; another worker finished the scan.
      expect(trial!.landing, output).toBe('part');
      expect(trial!.victimPart, output).not.toBeNull();
      if (trial!.killedIn !== 'succeeded') {
        expect(trial!.finishedByPid, output).not.toBeNull();
        expect(trial!.finishedByPid, output).not.toBe(trial!.victimPid);
      }
    },
  );
});

if (!adminUrl) {
  // vitest prints the skipped suite's name; this says why in the output too.
  console.warn('scale-out trials skipped: COMPLYWISE_TEST_POSTGRES_URL is not set');
}
