/**
 * Cursor pagination on the list routes, on every backend: walking pages of any size gives exactly the full
 * list in the same order (no row twice, none missing, also for timestamps that differ by microseconds
 * only), filters narrow it, and a forged cursor or one made for another sort answers 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../test/helpers.ts';
import { runAsOwner } from './plugins/app/tenancy.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('cursor pagination on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let token: string;
  let tenantId: string;
  let integrationId: string;
  let scanId: string;

  const get = async (url: string) => {
    const response = await t.app.inject({ url, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };

  /** Follows next_cursor from `url` until the last page; returns every item in order. */
  async function walk(url: string): Promise<Json[]> {
    const items: Json[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 500; pages += 1) {
      const separator = url.includes('?') ? '&' : '?';
      const page = await get(cursor ? `${url}${separator}cursor=${cursor}` : url);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      items.push(...page.body.items);
      cursor = page.body.next_cursor;
      if (!cursor) return items;
    }
    throw new Error('pagination did not end');
  }

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'pages' });
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(token),
      payload: {
        provider: 'aws',
        name: 'Sandbox',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
    });
    integrationId = created.json().id;
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(token),
      payload: { integration_id: integrationId },
    });
    scanId = queued.json().id;
    for (let i = 0; i < 300; i += 1) {
      const { body } = await get(`/api/scans/${scanId}`);
      if (body.status === 'succeeded' || body.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Scans created within the same millisecond, apart by microseconds only.
    await runAsOwner(t.database.knex, { tenantId }, async (trx) => {
      for (let i = 1; i <= 7; i += 1) {
        await trx('scans').insert({
          tenant_id: tenantId,
          integration_id: integrationId,
          status: i % 2 ? 'failed' : 'succeeded',
          progress: JSON.stringify({ phase: 'done', resources_collected: 0, calls_made: 0, errors: 0 }),
          created_at: `2026-01-01T00:00:00.000${100 + i}Z`,
        });
      }
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('walks the findings of a scan in pages of any size to exactly the full list', async () => {
    const full = await get(`/api/scans/${scanId}/findings?limit=1000`);
    expect(full.body.next_cursor).toBeNull();
    const all = full.body.items as Json[];
    expect(all.length).toBeGreaterThan(20);
    for (const size of [1, 7, 50]) {
      const walked = await walk(`/api/scans/${scanId}/findings?limit=${size}`);
      expect(walked.map((f) => f.id)).toEqual(all.map((f) => f.id));
    }
    for (const sort of ['resource_id', 'status']) {
      const sorted = (await get(`/api/scans/${scanId}/findings?limit=1000&sort=${sort}`)).body
        .items as Json[];
      const walked = await walk(`/api/scans/${scanId}/findings?limit=6&sort=${sort}`);
      expect(walked.map((f) => f.id)).toEqual(sorted.map((f) => f.id));
      const keys = sorted.map((f) => f[sort] as string);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('filters findings by status, severity, rule and resource type', async () => {
    const all = (await get(`/api/scans/${scanId}/findings?limit=1000`)).body.items as Json[];
    const failing = await walk(`/api/scans/${scanId}/findings?status=fail&limit=5`);
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.map((f) => f.id)).toEqual(all.filter((f) => f.status === 'fail').map((f) => f.id));
    const rule = all[0]!.rule_id as string;
    const byRule = (await get(`/api/scans/${scanId}/findings?rule_id=${rule}&limit=1000`)).body
      .items as Json[];
    expect(byRule.map((f) => f.id)).toEqual(all.filter((f) => f.rule_id === rule).map((f) => f.id));
    const severity = all[0]!.severity as string;
    const type = all[0]!.resource_type as string;
    const both = (
      await get(`/api/scans/${scanId}/findings?severity=${severity}&resource_type=${type}&limit=1000`)
    ).body.items as Json[];
    expect(both.map((f) => f.id)).toEqual(
      all.filter((f) => f.severity === severity && f.resource_type === type).map((f) => f.id),
    );
  });

  it('walks scans newest first (and oldest first) without losing microsecond ties', async () => {
    const full = (await get('/api/scans?limit=200')).body.items as Json[];
    expect(full).toHaveLength(8);
    for (const size of [1, 3]) {
      expect((await walk(`/api/scans?limit=${size}`)).map((s) => s.id)).toEqual(full.map((s) => s.id));
      const oldest = await walk(`/api/scans?limit=${size}&sort=created_at`);
      expect(oldest.map((s) => s.id)).toEqual([...full].reverse().map((s) => s.id));
    }
    const failed = await walk('/api/scans?limit=2&status=failed');
    expect(failed.map((s) => s.id)).toEqual(full.filter((s) => s.status === 'failed').map((s) => s.id));
    expect((await get(`/api/scans?integration_id=${crypto.randomUUID()}`)).body.items).toEqual([]);
  });

  it('walks integrations by name', async () => {
    for (const name of ['b-two', 'a-one', 'c-three']) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/integrations',
        headers: bearer(token),
        payload: {
          provider: 'aws',
          name,
          config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
          credentials: { ...DEMO_AWS_CREDENTIALS },
        },
      });
      expect(created.statusCode).toBe(201);
    }
    const full = (await get('/api/integrations?limit=500')).body.items as Json[];
    // Name order follows the database collation; the walk must give the same order.
    expect(full.map((i) => i.name).sort()).toEqual(['Sandbox', 'a-one', 'b-two', 'c-three']);
    expect(full.map((i) => i.name).filter((n) => n !== 'Sandbox')).toEqual(['a-one', 'b-two', 'c-three']);
    const walked = await walk('/api/integrations?limit=1');
    expect(walked.map((i) => i.id)).toEqual(full.map((i) => i.id));
  });

  it('answers 400 for a forged cursor or one made for another sort', async () => {
    const page = await get('/api/scans?limit=2');
    const cursor = page.body.next_cursor as string;
    expect(cursor).toBeTruthy();
    const otherSort = await get(`/api/scans?limit=2&sort=created_at&cursor=${cursor}`);
    expect(otherSort.status).toBe(400);
    expect(otherSort.body.error.code).toBe('VALIDATION_ERROR');
    const forged = Buffer.from(JSON.stringify({ s: '-created_at', v: ["x' OR 1=1 --", 1] })).toString(
      'base64url',
    );
    expect((await get(`/api/scans?limit=2&cursor=${forged}`)).status).toBe(400);
    expect((await get(`/api/scans?limit=2&cursor=not*base64`)).status).toBe(400);
    expect((await get(`/api/scans?limit=2&cursor=${Buffer.from('[1,2').toString('base64url')}`)).status).toBe(
      400,
    );
  });
});
