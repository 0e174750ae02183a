/**
 * GET /api/overrides on every backend: cursor pagination over the whole list (no row twice, none missed),
 * filters by rule, kind and active (live and unexpired vs retired or expired), and a malformed cursor is 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { insertOverride } from '../../overrides/store.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('listing rule overrides on $name', (backend) => {
  let t: TestApp;
  let token: string;
  const ids: Record<string, string> = {};

  const get = async (query: string) => {
    const response = await t.app.inject({ url: `/api/overrides${query}`, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };
  const idsOf = (body: Json) => (body.items as Json[]).map((i) => i.id as string);

  beforeAll(async () => {
    t = await startTestApp(backend);
    const admin = await seedTenant(t.database.knex, { slug: 'overrides-list' });
    token = (await login(t.app, admin.email, admin.password)).access_token;
    const post = async (name: string, payload: Json) => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/overrides',
        headers: bearer(token),
        payload,
      });
      expect(response.statusCode, response.body).toBe(201);
      ids[name] = response.json().id;
    };
    await post('s3Severity', { kind: 'severity', rule_id: 'CW-AWS-S3-001', severity: 'low' });
    await post('ec2Params', { kind: 'params', rule_id: 'CW-AWS-EC2-001', params: { admin_ports: [22] } });
    await post('s3Disabled', { kind: 'enabled', rule_id: 'CW-AWS-S3-001', enabled: false });
    const exception = {
      kind: 'exception',
      rule_id: 'CW-AWS-S3-002',
      selector: { resource_id: 'arn:aws:s3:::logs' },
      reason: 'public by design',
      approver: 'ciso@example.com',
      expires_at: '2099-01-01T00:00:00Z',
    };
    await post('liveException', exception);
    await post('retired', { kind: 'severity', rule_id: 'CW-AWS-EC2-001', severity: 'info' });
    await t.app.inject({ method: 'DELETE', url: `/api/overrides/${ids.retired}`, headers: bearer(token) });
    // An exception that has run out: the API refuses nothing about a past date, but it is no longer active.
    const expired = await t.app.withTenant(admin.tenantId, (trx) =>
      insertOverride(trx, admin.tenantId, admin.userId, {
        ...exception,
        kind: 'exception',
        expires_at: '2020-01-01T00:00:00Z',
      }),
    );
    ids.expiredException = expired.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('pages through every override once, oldest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`?limit=2&include_retired=true${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...idsOf(page.body));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([
      ids.s3Severity,
      ids.ec2Params,
      ids.s3Disabled,
      ids.liveException,
      ids.retired,
      ids.expiredException,
    ]);
    expect((await get('?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('filters by rule, kind and active', async () => {
    expect(idsOf((await get('?rule_id=CW-AWS-S3-001')).body)).toEqual([ids.s3Severity, ids.s3Disabled]);
    expect(idsOf((await get('?kind=exception')).body)).toEqual([ids.liveException, ids.expiredException]);
    expect(idsOf((await get('?kind=severity&include_retired=true')).body)).toEqual([
      ids.s3Severity,
      ids.retired,
    ]);
    const active = await get('?active=true');
    expect(idsOf(active.body)).toEqual([ids.s3Severity, ids.ec2Params, ids.s3Disabled, ids.liveException]);
    expect((active.body.items as Json[]).every((i) => i.active && i.valid)).toBe(true);
    const inactive = await get('?active=false');
    expect(idsOf(inactive.body)).toEqual([ids.retired, ids.expiredException]);
    expect((inactive.body.items as Json[]).map((i) => i.active)).toEqual([false, false]);
    expect(idsOf((await get('?active=false&kind=exception')).body)).toEqual([ids.expiredException]);
    expect((await get('?kind=nope')).status).toBe(400);
  });
});
