/**
 * The scan worker evaluates large inventories on worker threads: with the threshold at 1 resource the
 * parallel engine does the scan (spied), and its findings are exactly those of a scan of the same sandbox by
 * an app that keeps the serial engine.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databaseBackends } from '../../../test/db.ts';
import { sandboxTenant, type SandboxTenant } from '../overrides/testing.ts';
import { startTestApp, type TestApp } from '../../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('scan worker engine choice on $name', (backend) => {
  let parallelApp: TestApp;
  let serialApp: TestApp;
  const tenants: SandboxTenant[] = [];

  beforeAll(async () => {
    parallelApp = await startTestApp(backend, {
      configOverrides: { engineParallelThreshold: 1, engineWorkers: 2 },
    });
    serialApp = await startTestApp(backend);
    tenants.push(await sandboxTenant(parallelApp, 'engine-parallel'));
    tenants.push(await sandboxTenant(serialApp, 'engine-serial'));
  }, 60_000);
  afterAll(async () => {
    await parallelApp?.close();
    await serialApp?.close();
    for (const tenant of tenants) await tenant.close();
  });

  async function findingsOf(tenant: SandboxTenant): Promise<string[]> {
    const scan = await tenant.scan();
    expect(scan.status, JSON.stringify(scan.failure)).toBe('succeeded');
    const page = await tenant.call('GET', `/api/scans/${scan.id}/findings?limit=1000`);
    expect(page.body.next_cursor).toBeNull();
    return (page.body.items as Json[]).map((f) =>
      // Not evidence_sha256: each sandbox stamps its own snapshots (endpoint, times).
      [f.rule_id, f.resource_id, f.status, f.severity, f.rule_hash, f.message].join(' '),
    );
  }

  it('gives the findings of the serial engine', async () => {
    const parallel = (await parallelApp.app.engine.policyEngineFor(1)) as Json;
    expect(parallel.workers).toBe(2);
    const evaluate = vi.spyOn(parallel, 'evaluate');
    const serial = (await serialApp.app.engine.policyEngineFor(1)) as Json;
    expect(serial.workers).toBeUndefined();

    const [fromParallel, fromSerial] = [await findingsOf(tenants[0]!), await findingsOf(tenants[1]!)];
    // At least once: a job the queue hands out again after a slow lease (PostgreSQL under load) evaluates
    // again before finding the scan already finished, which is by design (exactly-once is the write, not the
    // evaluation).
    expect(evaluate).toHaveBeenCalled();
    expect(fromParallel.length).toBeGreaterThan(10);
    expect(fromParallel).toEqual(fromSerial);
  }, 120_000);
});
