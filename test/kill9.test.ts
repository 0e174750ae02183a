/**
 * The short CI version of the kill -9 bench (bench/kill9): three trials against real PostgreSQL, each
 * SIGKILLing the product's worker process mid-scan of the demo AWS sandbox (S3 only, to stay short) and
 * letting a fresh worker finish the scan. Not one finding may be lost or duplicated, and each scan completes
 * exactly once in the ledger. PostgreSQL only: the worker processes need a database they can share.
 * The replacement loads the product's code before the kill and starts after it (`preloadReplacements`): on a
 * loaded machine the loading alone took 20-40 s of each trial, longer than the lease the recovery waits for.
 */
import { describe, expect, it } from 'vitest';
import { runKill9 } from '../bench/kill9/harness.ts';

const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;

describe.skipIf(!adminUrl)('kill -9 of a worker mid-scan (needs COMPLYWISE_TEST_POSTGRES_URL)', () => {
  it('loses and duplicates no finding over 3 trials', { timeout: 150_000 }, async () => {
    const lines: string[] = [];
    const report = await runKill9({
      trials: 3,
      adminUrl: adminUrl!,
      services: ['s3'],
      preloadReplacements: true,
      log: (line) => lines.push(line),
    });
    expect(report.referenceFindings, lines.join('\n')).toBeGreaterThan(0);
    expect(report.trials).toHaveLength(3);
    for (const trial of report.trials) {
      expect(trial, lines.join('\n')).toMatchObject({
        status: 'succeeded',
        findings: report.referenceFindings,
        lost: 0,
        duplicatedByKey: 0,
        duplicatedByContent: 0,
        unexpected: 0,
        changed: 0,
        ledgerCompletions: 1,
      });
    }
    expect(report.totals).toEqual({ lost: 0, duplicated: 0, unexpected: 0, changed: 0, notSucceeded: 0 });
  });
});

if (!adminUrl) {
  // vitest prints the skipped suite's name; this says why in the output too.
  console.warn('kill -9 trials skipped: COMPLYWISE_TEST_POSTGRES_URL is not set');
}
