/**
 * Scan schedules on every backend: an admin sets a cron schedule on an integration (registered with
 * pg-boss's scheduler, next runs answered), a bad expression is a 400 naming `cron`, other roles cannot
 * change it, another tenant's integration is 404. An occurrence (the job pg-boss's scheduler sends, sent
 * here directly so the test does not wait for a minute boundary) makes the worker queue and run a normal
 * scan; once the schedule is cleared an occurrence still in flight queues nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { addMember, connectS3Sandbox } from '../../../test/scanned-tenant.ts';
import { SCHEDULE_QUEUE } from '../../plugins/external/boss.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('scan schedules on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenantId: string;
  let adminToken: string;
  let userToken: string;
  let otherToken: string;
  let integrationId: string;

  const call = async (
    method: 'GET' | 'PUT' | 'DELETE',
    token: string,
    payload?: object,
    id = integrationId,
  ) => {
    const response = await t.app.inject({
      method,
      url: `/api/integrations/${id}/schedule`,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: (response.body ? response.json() : null) as Json };
  };

  const scansOf = async (): Promise<Json[]> =>
    (
      await t.app.inject({ url: `/api/scans?integration_id=${integrationId}`, headers: bearer(adminToken) })
    ).json().items;

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'schedule-a' });
    tenantId = admin.tenantId;
    adminToken = (await login(t.app, admin.email, admin.password)).access_token;
    userToken = await addMember(t, tenantId, 'user');
    const other = await seedTenant(t.database.knex, { slug: 'schedule-b' });
    otherToken = (await login(t.app, other.email, other.password)).access_token;
    integrationId = await connectS3Sandbox(t, adminToken, sandbox.url, 'Scheduled sandbox');
  });

  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('refuses a bad cron expression with a 400 naming the field', async () => {
    for (const cron of ['every day', '61 * * * *', '* * * * * *', '* * *']) {
      const { status, body } = await call('PUT', adminToken, { cron });
      expect(status, cron).toBe(400);
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.details).toEqual([{ field: 'cron', message: expect.any(String) }]);
    }
    expect((await call('PUT', adminToken, {})).status).toBe(400);
    expect((await call('GET', adminToken)).body).toEqual({
      integration_id: integrationId,
      cron: null,
      next_runs: [],
    });
  });

  it('lets only admins of the tenant set or clear it', async () => {
    expect((await call('PUT', userToken, { cron: '0 3 * * *' })).status).toBe(403);
    expect((await call('DELETE', userToken)).status).toBe(403);
    expect((await call('GET', userToken)).status).toBe(200);
    const foreign = await call('PUT', otherToken, { cron: '0 3 * * *' });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('INTEGRATION_NOT_FOUND');
    expect((await call('GET', otherToken)).status).toBe(404);
    expect((await call('DELETE', otherToken)).status).toBe(404);
  });

  it('registers the schedule, and an occurrence queues a scan that runs', async () => {
    const set = await call('PUT', adminToken, { cron: '* * * * *' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.cron).toBe('* * * * *');
    expect(set.body.next_runs).toHaveLength(3);
    const [first, second] = set.body.next_runs.map((d: string) => Date.parse(d));
    expect(second - first).toBe(60_000);
    const [registered] = await t.app.boss.getSchedules(SCHEDULE_QUEUE, integrationId);
    expect(registered).toMatchObject({
      cron: '* * * * *',
      timezone: 'UTC',
      data: { tenant_id: tenantId, integration_id: integrationId },
    });

    // What pg-boss's scheduler sends at an occurrence: the schedule's data to its queue.
    expect(await scansOf()).toEqual([]);
    await t.app.boss.send(SCHEDULE_QUEUE, registered!.data!);
    const deadline = Date.now() + 60_000;
    let scans: Json[] = [];
    while (Date.now() < deadline) {
      scans = await scansOf();
      if (scans[0]?.status === 'succeeded') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // The scheduler itself may also have fired at a minute boundary meanwhile: each occurrence is a scan.
    expect(scans.length).toBeGreaterThanOrEqual(1);
    expect(scans[0]).toMatchObject({ integration_id: integrationId, status: 'succeeded' });
  });

  it('clears the schedule: unregistered, and a late occurrence queues nothing', async () => {
    const cleared = await call('DELETE', adminToken);
    expect(cleared.status).toBe(204);
    expect(await t.app.boss.getSchedules(SCHEDULE_QUEUE, integrationId)).toEqual([]);
    expect((await call('GET', adminToken)).body.cron).toBeNull();
    expect((await call('DELETE', adminToken)).status).toBe(204);
    const before = (await scansOf()).length;
    expect(await t.app.schedules.fire({ tenant_id: tenantId, integration_id: integrationId })).toBeNull();
    expect(await scansOf()).toHaveLength(before);
    const kinds = await t.app.withTenant(tenantId, async (trx) =>
      (
        await trx('ledger_entries')
          .select('kind')
          .where('kind', 'like', 'integration.schedule%')
          .orderBy('seq')
      ).map((row: { kind: string }) => row.kind),
    );
    expect(kinds).toEqual(['integration.schedule_set', 'integration.schedule_cleared']);
  });
});
