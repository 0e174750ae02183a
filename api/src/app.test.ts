/**
 * Process roles and authorisation: an API-only instance queues a scan that a separate worker-only instance
 * runs (the scale path: stateless API, workers on the same queue); an auditor reads but cannot start scans.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { bearer, login, seedTenant, testConfig } from '../test/helpers.ts';
import { buildApp } from './app.ts';
import { hashPassword } from './plugins/app/passwords.ts';
import { runAsOwner } from './plugins/app/tenancy.ts';
import type { Database } from './plugins/external/db.ts';

describe.each(databaseBackends())('process roles on $name', (backend) => {
  let dataDir: string;
  let testDb: TestDatabase;
  let database: Database;
  let sandbox: S3FixtureServer;
  let api: FastifyInstance;
  let worker: FastifyInstance;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'complywise-roles-'));
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    testDb = await createTestDatabase(backend);
    // Two processes read the same allowlist, as COMPLYWISE_EGRESS_ALLOW gives it: exactly the sandbox.
    const config = testConfig(dataDir, testDb.databaseUrl, { egressAllow: [new URL(sandbox.url).host] });
    database = await testDb.open();
    api = await buildApp({
      config: { ...config, role: 'api' },
      database,
      ownsDatabase: false,
      logger: false,
    });
    worker = await buildApp({
      config: { ...config, role: 'worker' },
      database,
      ownsDatabase: false,
      logger: false,
    });
  });
  afterAll(async () => {
    await api?.close();
    await worker?.close();
    await database?.close();
    await testDb?.drop();
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves no API routes from a worker-only instance', async () => {
    const response = await worker.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'a@b.c', password: 'x' },
    });
    expect(response.statusCode).toBe(404);
  });

  it('lets an auditor read but not start scans, and the worker instance runs what the API queued', async () => {
    const admin = await seedTenant(database.knex, { slug: 'roles' });
    const auditorId = randomUUID();
    const auditorHash = await hashPassword('auditor-password');
    await runAsOwner(database.knex, { tenantId: admin.tenantId, userId: auditorId }, async (trx) => {
      await trx('users').insert({
        id: auditorId,
        email: 'auditor@roles.example',
        password_hash: auditorHash,
      });
      await trx('memberships').insert({ tenant_id: admin.tenantId, user_id: auditorId, role: 'auditor' });
    });
    const adminToken = (await login(api, admin.email, admin.password)).access_token;
    const auditorToken = (await login(api, 'auditor@roles.example', 'auditor-password')).access_token;

    const created = await api.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(adminToken),
      payload: {
        provider: 'aws',
        name: 'Sandbox',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
        credentials: DEMO_AWS_CREDENTIALS,
      },
    });
    expect(created.statusCode).toBe(201);
    const integrationId = created.json().id;

    const auditorCreate = await api.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(auditorToken),
      payload: created.json(),
    });
    expect(auditorCreate.statusCode).toBe(403);
    const auditorScan = await api.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(auditorToken),
      payload: { integration_id: integrationId },
    });
    expect(auditorScan.statusCode).toBe(403);
    expect(auditorScan.json().error.code).toBe('FORBIDDEN');
    const auditorList = await api.inject({
      method: 'GET',
      url: '/api/integrations',
      headers: bearer(auditorToken),
    });
    expect(auditorList.json().items).toHaveLength(1);

    const queued = await api.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(adminToken),
      payload: { integration_id: integrationId },
    });
    expect(queued.statusCode).toBe(202);
    let scan: { status: string } = { status: 'queued' };
    for (let i = 0; i < 300 && (scan.status === 'queued' || scan.status === 'running'); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      scan = (
        await api.inject({
          method: 'GET',
          url: `/api/scans/${queued.json().id}`,
          headers: bearer(auditorToken),
        })
      ).json();
    }
    expect(scan.status).toBe('succeeded');
  });
});
