/**
 * A secret canary (password, bearer token, cookie, integration secret key) goes through login, requests, an
 * integration and a full scan with the logger at trace level: it must never appear in the captured logs,
 * in an API answer, or in the job queue.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, testConfig, type TestApp } from '../test/helpers.ts';
import { loggerOptions } from './app.ts';

const CANARY = 'CANARY-7f3a9c1e-do-not-log';

describe.each(databaseBackends())('secrets stay out of logs on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    const logger = { ...(loggerOptions(testConfig('/tmp', undefined)) as object), level: 'trace', stream };
    t = await startTestApp(backend, { logger });
    t.app.egress.allowEndpoint(sandbox.url);
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('never logs the canary', async () => {
    const user = await seedTenant(t.database.knex, { slug: 'canary' });
    const wrongLogin = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: user.email, password: CANARY },
    });
    expect(wrongLogin.statusCode).toBe(401);
    const forged = await t.app.inject({ method: 'GET', url: '/api/me', headers: bearer(CANARY) });
    expect(forged.statusCode).toBe(401);
    const badRefresh = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: { cw_refresh: CANARY },
    });
    expect(badRefresh.statusCode).toBe(401);

    const session = await login(t.app, user.email, user.password);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(session.access_token),
      payload: {
        provider: 'aws',
        name: 'Canary account',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
        // The sandbox checks the access key id, not the signature: any secret scans.
        credentials: {
          accessKeyId: 'AKIADEMO00000000EXAMPLE',
          secretAccessKey: CANARY,
          sessionToken: CANARY,
        },
      },
    });
    expect(created.statusCode).toBe(201);
    const scan = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(session.access_token),
      payload: { integration_id: created.json().id },
    });
    expect(scan.statusCode).toBe(202);
    let status = 'queued';
    for (let i = 0; i < 300 && status !== 'succeeded' && status !== 'failed'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const current = await t.app.inject({
        method: 'GET',
        url: `/api/scans/${scan.json().id}`,
        headers: bearer(session.access_token),
      });
      status = current.json().status;
      expect(current.body).not.toContain(CANARY);
    }
    expect(status).toBe('succeeded');
    const integrations = await t.app.inject({
      method: 'GET',
      url: '/api/integrations',
      headers: bearer(session.access_token),
    });
    expect(integrations.body).toContain('Canary account');
    expect(integrations.body).not.toContain(CANARY);

    // Whoever logs a credential object by mistake still writes no secret.
    t.app.log.info(
      { credentials: { secretAccessKey: CANARY }, password: CANARY, body: { password: CANARY } },
      'redaction check',
    );

    // The queue holds ids only.
    const jobs = await t.database.knex.raw(`select data::text as data from pgboss.job`);
    expect(jobs.rows.length).toBeGreaterThan(0);
    for (const row of jobs.rows as { data: string }[]) expect(row.data).not.toContain(CANARY);

    const log = lines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain('redaction check');
    expect(log).toContain('scan succeeded');
    expect(log).not.toContain(CANARY);
  });
});
