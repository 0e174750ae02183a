/**
 * POST /api/scans/:id/cancel on every backend: a queued scan is cancelled at once (its job too), a running
 * one stops at its next checkpoint without writing results, a finished one answers 409, auditors may not,
 * another tenant's scan is 404, and each cancel is a ledger event. The app runs without its worker, so the
 * test decides when the scan job runs (the real runScanJob against a real S3 fixture server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { addMember, connectS3Sandbox } from '../../../test/scanned-tenant.ts';
import { SCAN_QUEUE } from '../../plugins/external/boss.ts';
import type { ScanJobDeps } from '../../scans/pipeline.ts';
import { runScanJob } from '../../worker/scan-job.ts';

describe.each(databaseBackends())('scan cancel on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenantId: string;
  let userToken: string;
  let auditorToken: string;
  let otherToken: string;
  let integrationId: string;

  const post = (url: string, token: string, payload?: object) =>
    t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) });

  const queue = async (): Promise<string> => {
    const response = await post('/api/scans', userToken, { integration_id: integrationId });
    expect(response.statusCode, response.body).toBe(202);
    return response.json().id;
  };

  const deps = (overrides: Partial<ScanJobDeps> = {}): ScanJobDeps => ({
    withTenant: t.app.withTenant,
    vault: t.app.vault,
    evidenceStore: t.app.evidenceStore,
    engine: t.app.engine,
    log: t.app.log,
    ledger: t.app.ledger,
    egress: t.app.egress.policy,
    ...overrides,
  });

  const ledgerKinds = (scanId: string) =>
    t.app.withTenant(tenantId, async (trx) =>
      (
        await trx('ledger_entries')
          .select('kind')
          .whereRaw(`payload->>'scan_id' = ?`, [scanId])
          .orderBy('seq')
      ).map((row: { kind: string }) => row.kind),
    );

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend, { worker: false });
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'cancel-a' });
    tenantId = admin.tenantId;
    const adminToken = (await login(t.app, admin.email, admin.password)).access_token;
    userToken = await addMember(t, tenantId, 'user');
    auditorToken = await addMember(t, tenantId, 'auditor');
    const other = await seedTenant(t.database.knex, { slug: 'cancel-b' });
    otherToken = (await login(t.app, other.email, other.password)).access_token;
    integrationId = await connectS3Sandbox(t, adminToken, sandbox.url, 'Sandbox');
  });

  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('cancels a queued scan at once, with its job, and records it in the ledger', async () => {
    const scanId = await queue();
    const response = await post(`/api/scans/${scanId}/cancel`, userToken);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({
      id: scanId,
      status: 'cancelled',
      progress: { phase: 'cancelled' },
    });
    expect(response.json().finished_at).not.toBeNull();
    const job = await t.app.boss.getJobById(SCAN_QUEUE, scanId);
    expect(job?.state).toBe('cancelled');
    expect(await ledgerKinds(scanId)).toEqual(['scan.cancelled']);
    // A job that still reaches a worker finds the scan cancelled and does nothing.
    expect(await runScanJob(deps(), { tenant_id: tenantId, scan_id: scanId })).toBe('skipped');
    const listed = await t.app.inject({ url: '/api/scans?status=cancelled', headers: bearer(userToken) });
    expect(listed.json().items.map((s: { id: string }) => s.id)).toContain(scanId);
  });

  it('stops a running scan at its next checkpoint without writing results', async () => {
    const scanId = await queue();
    // The cancel arrives while the worker loads the policy engine (the provider scan has finished; nothing
    // stored yet). Outside any transaction, as a request would be.
    const engine = new Proxy(t.app.engine, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !property.startsWith('policyEngine')) return value;
        return async (...args: unknown[]) => {
          const response = await post(`/api/scans/${scanId}/cancel`, userToken);
          expect(response.statusCode, response.body).toBe(200);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const outcome = await runScanJob(deps({ engine }), { tenant_id: tenantId, scan_id: scanId });
    expect(outcome).toBe('cancelled');
    const scan = (await t.app.inject({ url: `/api/scans/${scanId}`, headers: bearer(userToken) })).json();
    expect(scan).toMatchObject({ status: 'cancelled', finding_counts: { pass: 0, fail: 0 } });
    expect(await ledgerKinds(scanId)).toEqual(['scan.cancelled']);
  });

  it('answers 409 SCAN_NOT_CANCELLABLE for a finished scan', async () => {
    const scanId = await queue();
    expect(await runScanJob(deps(), { tenant_id: tenantId, scan_id: scanId })).toBe('succeeded');
    const response = await post(`/api/scans/${scanId}/cancel`, userToken);
    expect(response.statusCode).toBe(409);
    expect(response.json().error).toMatchObject({
      code: 'SCAN_NOT_CANCELLABLE',
      details: { status: 'succeeded' },
    });
    const again = await post(`/api/scans/${(await queue()) as string}/cancel`, userToken);
    expect(again.statusCode).toBe(200);
    const twice = await post(`/api/scans/${again.json().id}/cancel`, userToken);
    expect(twice.json().error).toMatchObject({
      code: 'SCAN_NOT_CANCELLABLE',
      details: { status: 'cancelled' },
    });
  });

  it('refuses auditors (403) and hides another tenant’s scan (404)', async () => {
    const scanId = await queue();
    const byAuditor = await post(`/api/scans/${scanId}/cancel`, auditorToken);
    expect(byAuditor.statusCode).toBe(403);
    const byOther = await post(`/api/scans/${scanId}/cancel`, otherToken);
    expect(byOther.statusCode).toBe(404);
    expect(byOther.json().error.code).toBe('SCAN_NOT_FOUND');
    const scan = (await t.app.inject({ url: `/api/scans/${scanId}`, headers: bearer(userToken) })).json();
    expect(scan.status).toBe('queued');
  });
});
