/**
 * Scans split into parts (issue 18), in one process on PGlite and PostgreSQL: the same plan, part and
 * finish steps that several workers run (test/scaleout.test.ts runs them on four processes).
 *
 * - A scan through the worker (parts sent to the part queue and taken back from it) and a scan whose parts
 *   run inline give exactly the findings of the same scan made one part (as before scans were split).
 * - Finding ids are time-ordered and grow in the order the rows are written.
 * - The API shows the parts; each part records the worker that collected it, and the scan where its time went.
 * - Two attempts of the last part finishing at once: exactly one finishes the scan, one scan.completed.
 * - A part that cannot be scanned fails the scan, naming the part.
 * - A part job whose attempts were all lost (the queue's dead letters) fails the scan, naming the part; once
 *   every part is collected that includes a finish lost on every attempt, and before that the scan is left
 *   to its other parts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFixtureServer,
} from '../../../scanners/aws/fixtures/aws-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import type { ScanPartJobData } from '../scans/types.ts';
import { login, scanJobDepsOf, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { splitScanClient, type SplitScanClient } from '../../test/split-scans.ts';
import { failLostPart, LOST_FINISH, runScanJob, runScanPart } from './scan-job.ts';

const SERVICES = ['s3', 'iam', 'ec2', 'kms', 'cloudtrail', 'config', 'lambda'];

describe.each(databaseBackends())('split scans on $name', (backend) => {
  let t: TestApp;
  let sandbox: AwsFixtureServer;
  let tenantId: string;
  let token: string;
  let integrationId: string;
  let regions: string[];
  let reference: string[];

  let c: SplitScanClient;
  const call = (...args: Parameters<SplitScanClient['call']>) => c.call(...args);
  const queuedScan = (integration = integrationId) => c.queuedScan(integration);
  const getScan = (scanId: string) => c.getScan(scanId);
  const findingsOf = (scanId: string) => c.findingsOf(scanId);
  const completions = (scanId: string) => c.completions(scanId);
  const partsOf = (scanId: string) => c.partsOf(scanId);

  beforeAll(async () => {
    t = await startTestApp(backend);
    const account = withConfigRecording(demoAwsAccount());
    sandbox = await startAwsFixtureServer({ port: 0, host: '127.0.0.1', account });
    t.app.egress.allowEndpoint(sandbox.url);
    regions = account.regions.map((r) => r.name).slice(0, 2);
    const admin = await seedTenant(t.database.knex, { slug: 'split-scans' });
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
    c = splitScanClient(t, tenantId, token);
    const created = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Split sandbox',
      config: {
        accountId: DEMO_AWS_ACCOUNT_ID,
        region: 'us-east-1',
        endpoint: sandbox.url,
        services: SERVICES,
        regions,
      },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    integrationId = created.body.id;
    // The reference: the same scan made one part, inline.
    reference = await findingsOf(await c.unsplitScan(integrationId));
    expect(reference.length).toBeGreaterThan(20);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  const partCount = () => 2 + (SERVICES.length - 2) * 2;

  it('gives the findings of the unsplit scan through the worker, showing its parts and their workers', async () => {
    const queued = await call('POST', '/api/scans', { integration_id: integrationId });
    expect(queued.status).toBe(202);
    const scan = await c.settled(queued.body.id, 90_000);
    expect(scan.status, JSON.stringify(scan.failure)).toBe('succeeded');
    expect(scan.parts).toEqual({ total: partCount(), done: partCount() });
    expect(scan.progress.phase).toBe('done');
    expect(await findingsOf(scan.id)).toEqual(reference);
    expect(await completions(scan.id)).toBe(1);
    // Finding ids are time-ordered (version 7) and grow in the order the rows were written (rule, then
    // resource), so each insert appends to the primary key's index instead of landing on a random page.
    const rows: { id: string; rule_id: string; resource_id: string }[] = await t.app.withTenant(
      tenantId,
      (trx) => trx('findings').select('id', 'rule_id', 'resource_id').where({ scan_id: scan.id }),
    );
    // Code-unit order, as the rows are written (the database's collation may order punctuation otherwise).
    const byCodeUnits = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const ids = rows
      .sort((a, b) => byCodeUnits(a.rule_id, b.rule_id) || byCodeUnits(a.resource_id, b.resource_id))
      .map((r) => r.id);
    expect(ids.length).toBe(reference.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    const parts = await partsOf(scan.id);
    expect(parts.map((p) => p.part_key)).toEqual(
      SERVICES.flatMap((s) => (s === 's3' || s === 'iam' ? [s] : regions.map((r) => `${s}@${r}`))),
    );
    for (const part of parts) {
      expect(part).toMatchObject({ status: 'done', attempts: 1 });
      expect(part.worker_id).toMatch(new RegExp(`:${process.pid}$`));
      expect(part.timings).toEqual({ collect_ms: expect.any(Number), store_evidence_ms: expect.any(Number) });
    }
    // Where the time went (migration 0025): the parts' times added up, and the finish's steps.
    const [row] = await t.app.withTenant(tenantId, (trx) =>
      trx('scans').select('timings').where({ id: scan.id }),
    );
    const sum = (key: 'collect_ms' | 'store_evidence_ms') => parts.reduce((n, p) => n + p.timings![key], 0);
    expect(row.timings).toEqual({
      collect_ms: sum('collect_ms'),
      store_evidence_ms: sum('store_evidence_ms'),
      gather_ms: expect.any(Number),
      evaluate_ms: expect.any(Number),
      score_ms: expect.any(Number),
      persist_ms: expect.any(Number),
    });
    expect(row.timings.collect_ms).toBeGreaterThan(0);
    expect(row.timings.evaluate_ms).toBeGreaterThan(0);
  }, 120_000);

  it('gives the same findings with its parts run inline, and finishes exactly once when two attempts race', async () => {
    const inline = await queuedScan();
    expect(
      await runScanJob(scanJobDepsOf(t.app, t.config.jobs), { tenant_id: tenantId, scan_id: inline }),
    ).toBe('succeeded');
    expect(await findingsOf(inline)).toEqual(reference);

    // The plan hands its parts to a stand-in queue; all but the last are collected, then two attempts of
    // the last one (a retry while the first still runs) both collect it and both try to finish.
    const raced = await queuedScan();
    const sent: ScanPartJobData[] = [];
    const deps = scanJobDepsOf(t.app, t.config.jobs);
    const job = { tenant_id: tenantId, scan_id: raced };
    expect(await runScanJob(deps, job, undefined, async (parts) => void sent.push(...parts))).toBe('planned');
    expect(sent).toHaveLength(partCount());
    expect((await getScan(raced)).parts).toEqual({ total: partCount(), done: 0 });
    for (const part of sent.slice(0, -1))
      expect(await runScanPart(deps, part, { final: false })).toBe('collected');
    expect((await getScan(raced)).parts).toEqual({ total: partCount(), done: partCount() - 1 });
    const last = sent.at(-1)!;
    const outcomes = await Promise.all([
      runScanPart({ ...deps, workerId: 'one' }, last, { final: false }),
      runScanPart({ ...deps, workerId: 'two' }, last, { final: false }),
    ]);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(1);
    expect(await completions(raced)).toBe(1);
    expect(await findingsOf(raced)).toEqual(reference);
    // A late retry of the part finds the scan finished.
    expect(await runScanPart(deps, last, { final: true })).toBe('skipped');
    expect(await completions(raced)).toBe(1);
    expect((await getScan(raced)).parts).toEqual({ total: partCount(), done: partCount() });
  }, 120_000);

  it('fails the scan naming the part that could not be scanned', async () => {
    const bad = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Split sandbox, wrong key',
      config: {
        accountId: DEMO_AWS_ACCOUNT_ID,
        region: 'us-east-1',
        endpoint: sandbox.url,
        services: SERVICES,
      },
      // Well-shaped (so the integration is stored) but unknown to the provider.
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'not-the-secret-of-any-key' },
    });
    expect(bad.status).toBe(201);
    const scanId = await queuedScan(bad.body.id);
    expect(
      await runScanJob(scanJobDepsOf(t.app, t.config.jobs), { tenant_id: tenantId, scan_id: scanId }),
    ).toBe('failed');
    const scan = await getScan(scanId);
    expect(scan.status).toBe('failed');
    expect(scan.failure.code).toBe('INVALID_CREDENTIALS');
    expect(scan.failure.message).toMatch(/^part s3: /);
    const parts = await partsOf(scanId);
    expect(parts[0]).toMatchObject({ part_key: 's3', status: 'failed' });
    expect(parts.slice(1).every((p) => p.status === 'queued')).toBe(true);
  }, 60_000);

  it('fails a scan whose part or whose finish was lost on every attempt, and only then', async () => {
    const deps = scanJobDepsOf(t.app, t.config.jobs);
    const plan = async () => {
      const scanId = await queuedScan();
      const sent: ScanPartJobData[] = [];
      const job = { tenant_id: tenantId, scan_id: scanId };
      expect(await runScanJob(deps, job, undefined, async (parts) => void sent.push(...parts))).toBe(
        'planned',
      );
      return { scanId, sent };
    };

    // A part never collected: the scan fails, naming it.
    const lost = await plan();
    await failLostPart(deps, lost.sent[1]!);
    expect((await getScan(lost.scanId)).failure).toEqual({
      code: 'INTERNAL_ERROR',
      message: `part ${lost.sent[1]!.part}: its worker stopped before finishing it, on every attempt`,
    });
    expect((await partsOf(lost.scanId))[1]).toMatchObject({ status: 'failed' });

    // A collected part while others remain: their last one finishes the scan, so it keeps running.
    const { scanId, sent } = await plan();
    expect(await runScanPart(deps, sent[0]!, { final: false })).toBe('collected');
    await failLostPart(deps, sent[0]!);
    expect((await getScan(scanId)).status).toBe('running');

    // Every part collected but the finish never done (its attempts were killed): failed, not running for ever.
    await t.app.withTenant(tenantId, (trx) =>
      trx('scan_parts')
        .where({ scan_id: scanId })
        .whereIn(
          'part_key',
          sent.slice(1).map((p) => p.part),
        )
        .update({ status: 'done' }),
    );
    await failLostPart(deps, sent.at(-1)!);
    const scan = await getScan(scanId);
    expect(scan.status).toBe('failed');
    expect(scan.failure).toEqual({
      code: 'INTERNAL_ERROR',
      message: `part ${sent.at(-1)!.part}: ${LOST_FINISH}`,
    });
  }, 60_000);
});
