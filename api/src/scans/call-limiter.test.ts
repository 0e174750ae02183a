/**
 * The integration call limit shared through the database (scans/call-limiter.ts, scans/store.ts) on every
 * backend: reservations made at once over as many connections as the pool has get slots one interval apart
 * (the database's times, exact); a limiter lets calls through no faster than that; another integration's
 * calls do not queue behind them; an aborted wait rejects. The in-process limiter of PGlite hands every scan
 * of one integration the same bucket. Several worker processes at once: test/scaleout.test.ts.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../test/db.ts';
import { login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { connectS3Sandbox } from '../../test/scanned-tenant.ts';
import { inProcessScanPacing, sharedScanPacing, type CallGrant } from './call-limiter.ts';
import { openCallSlotLog, type CallSlotLine } from './call-slot-log.ts';
import { reserveCallSlot } from './store.ts';

const RATE = 20;
const INTERVAL = 1000 / RATE;

describe.each(databaseBackends())('shared integration call limit on $name', (backend) => {
  let t: TestApp;
  let tenantId: string;
  let integrations: string[];

  beforeAll(async () => {
    t = await startTestApp(backend);
    const admin = await seedTenant(t.database.knex);
    tenantId = admin.tenantId;
    const token = (await login(t.app, admin.email, admin.password)).access_token;
    // Never scanned: only their rows matter here.
    integrations = [
      await connectS3Sandbox(t, token, 'http://127.0.0.1:9', 'first'),
      await connectS3Sandbox(t, token, 'http://127.0.0.1:9', 'second'),
    ];
  });

  afterAll(async () => {
    await t?.close();
  });

  it('hands concurrent reservations slots one interval apart, each integration its own', async () => {
    const reserve = (integrationId: string) =>
      t.app.withTenant(tenantId, (trx) => reserveCallSlot(trx, tenantId, integrationId, INTERVAL));
    const booked = await Promise.all(Array.from({ length: 30 }, () => reserve(integrations[0]!)));
    const slots = booked.map((r) => r.slotAt).sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i += 1)
      expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 0.01);
    // The first integration is booked ahead; the second's next call may go at once.
    expect((await reserve(integrations[1]!)).waitMs).toBe(0);
    expect((await reserve(integrations[0]!)).slotAt).toBeGreaterThanOrEqual(slots.at(-1)! + INTERVAL - 0.01);
  });

  it('lets calls through no faster than the rate, across two limiters of one integration', async () => {
    const started = performance.now();
    const calls = () => {
      const limiter = sharedScanPacing(t.app.withTenant).limiterFor(tenantId, integrations[1]!)(RATE);
      return Promise.all(
        Array.from({ length: 20 }, () => limiter.acquire().then(() => performance.now() - started)),
      );
    };
    // Two scans of the integration, 20 calls each, at once.
    const times = (await Promise.all([calls(), calls()])).flat().sort((x, y) => x - y);
    // 40 calls at 20 a second: slots 39 intervals apart, and a call may go up to one interval (and a reply's
    // travel) after its slot. One bucket per scan would let both bursts through within about a second.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(37 * INTERVAL);
  });

  it('tells the recorder the slot of every call it lets through, and a slot log writes them down', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'call-slots-'));
    try {
      const log = openCallSlotLog(dir);
      const grants: CallGrant[] = [];
      const limiter = sharedScanPacing(t.app.withTenant, undefined, (grant) => {
        grants.push(grant);
        log.record(grant);
      }).limiterFor(
        tenantId,
        integrations[1]!,
      )(RATE);
      await Promise.all(Array.from({ length: 6 }, () => limiter.acquire()));
      log.stop();
      expect(grants).toHaveLength(6);
      const slots = grants.map((g) => g.slotAt).sort((a, b) => a - b);
      for (let i = 1; i < slots.length; i += 1)
        expect(slots[i]! - slots[i - 1]!).toBeGreaterThanOrEqual(INTERVAL - 0.01);
      for (const grant of grants) {
        expect(grant).toMatchObject({ integrationId: integrations[1], intervalMs: INTERVAL });
        // Let go at its slot or within its interval after it (same host: one clock; a timer's early ms).
        expect(grant.grantedAt).toBeGreaterThanOrEqual(grant.slotAt - 1);
      }
      const lines = (await readFile(join(dir, `${process.pid}.jsonl`), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as CallSlotLine);
      expect(lines.filter((l) => l.kind === 'grant').map((l) => l.slot_at)).toEqual(
        grants.map((g) => g.slotAt),
      );
      // stop() writes the event loop's delay since the last second.
      expect(lines.at(-1)).toMatchObject({ kind: 'loop', max_delay_ms: expect.any(Number) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a waiting call once its signal aborts', async () => {
    const limiter = sharedScanPacing(t.app.withTenant).limiterFor(tenantId, integrations[0]!)(1);
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('in-process integration call limit', () => {
  it('gives every scan of one integration the same bucket, and another integration its own', () => {
    const pacing = inProcessScanPacing(5);
    expect(pacing.callsPerSecond).toBe(5);
    const first = pacing.limiterFor('tenant', 'integration-1');
    expect(first(5)).toBe(pacing.limiterFor('tenant', 'integration-1')(5));
    expect(first(5)).not.toBe(pacing.limiterFor('tenant', 'integration-2')(5));
  });
});
