/**
 * What the split-scan tests share (api/src/worker/scan-split.test.ts, scan-split-organization.test.ts): a tenant admin's
 * calls to the API, scans queued without a job (the tests run its steps), and what a scan stored, read back.
 */
import { insertQueuedScan, scanPartsOf } from '../src/scans/store.ts';
import { QUEUED_PROGRESS } from '../src/scans/types.ts';
import { runScanJob } from '../src/worker/scan-job.ts';
import { bearer, scanJobDepsOf, type TestApp } from './helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function splitScanClient(t: Pick<TestApp, 'app' | 'config'>, tenantId: string, token: string) {
  const { app } = t;
  const call = async (method: 'GET' | 'POST', url: string, payload?: Json) => {
    const response = await app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };
  const getScan = async (scanId: string) => (await call('GET', `/api/scans/${scanId}`)).body;
  return {
    call,
    getScan,
    /** A scan row queued through the store, without a job. */
    queuedScan: (integrationId: string) =>
      app.withTenant(tenantId, (trx) => insertQueuedScan(trx, tenantId, integrationId, QUEUED_PROGRESS)),
    /** Every finding of the scan as text, sorted; evidence hashes apart (each scan stamps its own times). */
    async findingsOf(scanId: string): Promise<string[]> {
      const items: Json[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: Json } = await call(
          'GET',
          `/api/scans/${scanId}/findings?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        items.push(...(page.body.items as Json[]));
        cursor = page.body.next_cursor as string | null;
      } while (cursor);
      for (const f of items) {
        if (!/^[0-9a-f]{64}$/.test(String(f.evidence_sha256)))
          throw new Error(`finding of ${f.resource_id} without evidence`);
      }
      return items.map((f) => [f.rule_id, f.resource_id, f.status, f.severity, f.message].join(' ')).sort();
    },
    /** The scan's scan.completed ledger entries: one for a scan finished exactly once. */
    completions: (scanId: string) =>
      app.withTenant(tenantId, async (trx) => {
        const rows = await trx('ledger_entries')
          .select('kind')
          .where({ kind: 'scan.completed' })
          .whereRaw(`payload->>'scan_id' = ?`, [scanId]);
        return rows.length;
      }),
    partsOf: (scanId: string) => app.withTenant(tenantId, (trx) => scanPartsOf(trx, scanId)),
    /** A scan of the integration made one part and run inline, as before scans were split: the reference. */
    async unsplitScan(integrationId: string): Promise<string> {
      const scanId = await app.withTenant(tenantId, (trx) =>
        insertQueuedScan(trx, tenantId, integrationId, QUEUED_PROGRESS),
      );
      const outcome = await runScanJob(
        { ...scanJobDepsOf(app, t.config.jobs), splitScans: false },
        { tenant_id: tenantId, scan_id: scanId },
      );
      const parts = (await getScan(scanId)).parts as Json;
      if (outcome !== 'succeeded' || parts.total !== 1 || parts.done !== 1)
        throw new Error(`the unsplit scan ended ${outcome} with parts ${JSON.stringify(parts)}`);
      return scanId;
    },
    /** Polls the scan until it is neither queued nor running. */
    async settled(scanId: string, timeoutMs: number): Promise<Json> {
      const deadline = Date.now() + timeoutMs;
      let scan = await getScan(scanId);
      while (scan.status === 'queued' || scan.status === 'running') {
        if (Date.now() > deadline) throw new Error(`scan still ${scan.status}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
        scan = await getScan(scanId);
      }
      return scan;
    },
  };
}

export type SplitScanClient = ReturnType<typeof splitScanClient>;
