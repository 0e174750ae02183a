/**
 * The short CI version of the end-to-end scale bench (bench/scale): a sandbox AWS organization of about 1,000
 * resources read through its Config aggregator, scanned by the product's own API and worker processes on
 * a fresh PostgreSQL database, from the API's sign-up and `POST /api/scans` to the dashboard's scores.
 *
 * What it holds the run to:
 * - the dashboard's scores are this scan's, and every framework is scored;
 * - the findings stored are exactly what the engine decides for the same organization, scanned again here
 *   in this process and evaluated with the committed bundle (same count, same rule/resource/status set);
 * - evidence is stored once per snapshot: one row per resource, never more than findings, and every hash
 *   a finding points at is one of them;
 * - the scan was split per account, the worker recorded where the time went, and the parts' span plus the
 *   finish's steps add up to no more than the wall time;
 * - each process's peak memory was read.
 *
 * PostgreSQL only: the API and the worker are separate processes sharing one database.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { organizationIntegration, runEndToEnd } from '../bench/scale/harness.ts';
import { organizationOfSize, recordingOrganization } from '../bench/scanners/organization.ts';
import { loadPolicyEngine } from '../engine/index.ts';
import { startAwsFixtureServer } from '../scanners/aws/fixtures/aws-fixture-server.ts';
import { scanIntegration, type ScannableIntegration } from '../scanners/index.ts';

const adminUrl = process.env.COMPLYWISE_TEST_POSTGRES_URL;
const RESOURCES = 1_000;

/** The engine's findings for the same organization, scanned in this process: (rule, resource) → status. */
async function engineDecides(): Promise<{ resources: number; findings: Map<string, string> }> {
  const org = recordingOrganization(organizationOfSize(RESOURCES));
  const sandbox = await startAwsFixtureServer({ account: org.management, members: org.members });
  try {
    const { config, credentials } = organizationIntegration(sandbox.url, 'config');
    const outcome = await scanIntegration(
      { provider: 'aws', config, credentials } as unknown as ScannableIntegration,
      { callsPerSecond: 100_000 },
    );
    const engine = await loadPolicyEngine(resolve(import.meta.dirname, '..', 'rules', 'dist'));
    const findings = await engine.evaluate(outcome.resources, { scanTime: new Date() });
    return {
      resources: outcome.resources.length,
      findings: new Map(findings.map((f) => [`${f.rule_id}\u0000${f.resource_id}`, f.status])),
    };
  } finally {
    await sandbox.close();
  }
}

describe.skipIf(!adminUrl)('100k end to end, smoke size (needs COMPLYWISE_TEST_POSTGRES_URL)', () => {
  it(
    'scans an organization from the API to the dashboard scores with what the engine decides',
    { timeout: 240_000 },
    async () => {
      const lines: string[] = [];
      const report = await runEndToEnd({
        adminUrl: adminUrl!,
        resources: RESOURCES,
        path: 'config',
        log: (line) => lines.push(line),
        keepFindings: true,
        // A few hundred files: nothing for the kernel to settle, and the suite does not wait.
        settleDeletes: false,
      });
      const output = `${lines.join('\n')}\n${JSON.stringify(report)}`;
      const expected = await engineDecides();

      expect(report.resources, output).toBe(expected.resources);
      expect(report.resources, output).toBeGreaterThanOrEqual(RESOURCES);
      expect(report.findings, output).toBe(expected.findings.size);
      expect(
        new Map(report.storedFindings!.map((f) => [`${f.rule_id}\u0000${f.resource_id}`, f.status])),
        output,
      ).toEqual(expected.findings);
      expect(report.frameworksScored, output).toBeGreaterThan(0);

      // One row per snapshot: every resource has its own id, so its own snapshot; recorded in transactions of
      // 500 (a part of this size takes three).
      expect(report.evidenceRows, output).toBe(report.resources);
      expect(report.evidenceRows, output).toBeLessThanOrEqual(report.findings);
      expect(report.distinctEvidenceOfFindings, output).toBeGreaterThan(0);
      expect(report.distinctEvidenceOfFindings, output).toBeLessThanOrEqual(report.evidenceRows);
      expect(report.growth.findings, output).toBeGreaterThan(0);
      expect(report.growth.evidence, output).toBeGreaterThan(0);

      const { timings } = report;
      for (const ms of Object.values(timings)) expect(ms, output).toBeGreaterThanOrEqual(0);
      expect(timings.collect_ms, output).toBeGreaterThan(0);
      expect(timings.evaluate_ms, output).toBeGreaterThan(0);
      // One part per account, collected side by side: their collect and evidence times are summed, so the
      // bound on the wall time is the parts' own span followed by the finish's steps.
      expect(report.parts, output).toBeGreaterThan(1);
      expect(report.partsSpanMs, output).toBeGreaterThan(0);
      // Every part was collected by a worker that recorded itself on the part row.
      expect(
        report.partsPerWorker.reduce((a, b) => a + b, 0),
        output,
      ).toBe(report.parts);
      const finish = timings.gather_ms + timings.evaluate_ms + timings.score_ms + timings.persist_ms;
      expect(report.partsSpanMs + finish, output).toBeLessThanOrEqual(report.wallMs);
      for (const mib of [report.peakRssMiB.api, report.peakRssMiB.worker])
        expect(mib, output).toBeGreaterThan(50);
    },
  );
});

if (!adminUrl) {
  // vitest prints the skipped suite's name; this says why in the output too.
  console.warn('end-to-end scale smoke skipped: COMPLYWISE_TEST_POSTGRES_URL is not set');
}
