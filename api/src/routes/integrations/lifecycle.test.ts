/**
 * Integration lifecycle on both backends, against the four providers' fixture servers through the real
 * SDKs: the connection test answers ok or a specific code (refused credentials, wrong account, refused
 * AssumeRole, unreachable endpoint) without the secret; PATCH re-checks and re-seals; DELETE archives (scan history is kept:
 * api/src/integrations/archive.test.ts); the ledger records each change; a secret canary never reaches an answer or
 * a log line, even at trace level.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { DEMO_ASSUME_ROLE } from '../../../../scanners/aws/fixtures/aws-fixture-account.ts';
import { startAwsFixtureServer } from '../../../../scanners/aws/fixtures/aws-fixture-server.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  startAzureFixtureServer,
} from '../../../../scanners/azure/fixtures/azure-fixture-server.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
} from '../../../../scanners/github/fixtures/github-fixture-org.ts';
import { startGithubFixtureServer } from '../../../../scanners/github/fixtures/github-fixture-server.ts';
import {
  DEMO_OKTA_TOKEN,
  startOktaFixtureServer,
} from '../../../../scanners/okta/fixtures/okta-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, testConfig, type TestApp } from '../../../test/helpers.ts';
import { loggerOptions } from '../../app.ts';
import { SCHEDULE_QUEUE } from '../../plugins/external/boss.ts';
import { runAsOwner } from '../../plugins/app/tenancy.ts';

/** A well-shaped secret key that no fixture knows: it must never come back in any answer or log line. */
const CANARY_SECRET = 'CanarySecretKey0000do-not-log-7f3a9c1e';

describe.each(databaseBackends())('integration lifecycle on $name', (backend) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  const servers: { url: string; close(): Promise<void> }[] = [];
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const ids: Record<string, string> = {};

  const call = (method: 'POST' | 'PATCH' | 'PUT' | 'DELETE' | 'GET', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
  const test = async (id: string) => {
    const answer = await call('POST', `/api/integrations/${id}/test`, {});
    expect(answer.statusCode, answer.body).toBe(200);
    return answer;
  };

  beforeAll(async () => {
    const [aws, github, okta, azure] = await Promise.all([
      startAwsFixtureServer({ port: 0, host: '127.0.0.1' }),
      startGithubFixtureServer({ port: 0, host: '127.0.0.1' }),
      startOktaFixtureServer({ port: 0, host: '127.0.0.1' }),
      startAzureFixtureServer({ port: 0, host: '127.0.0.1' }),
    ]);
    servers.push(aws, github, okta, azure);
    const logger = { ...(loggerOptions(testConfig('/tmp', undefined)) as object), level: 'trace', stream };
    t = await startTestApp(backend, { logger, worker: false });
    for (const server of servers) t.app.egress.allowEndpoint(server.url);
    const admin = await seedTenant(t.database.knex);
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
    const inputs = {
      aws: {
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: aws.url },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
      github: {
        config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: github.url },
        credentials: { token: DEMO_GITHUB_TOKEN },
      },
      okta: { config: { orgUrl: okta.url }, credentials: { token: DEMO_OKTA_TOKEN } },
      azure: {
        config: {
          tenantId: DEMO_AZURE_TENANT_ID,
          subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
          endpoint: azure.url,
        },
        credentials: { ...DEMO_AZURE_CLIENT },
      },
    };
    for (const [provider, input] of Object.entries(inputs)) {
      const created = await call('POST', '/api/integrations', { provider, name: provider, ...input });
      expect(created.statusCode, created.body).toBe(201);
      ids[provider] = created.json().id;
    }
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    for (const server of servers) await server.close();
  });

  it.each(['aws', 'github', 'okta', 'azure'])(
    'connects to the %s fixture with the stored credentials',
    async (p) => {
      const answer = (await test(ids[p]!)).json();
      expect(answer, JSON.stringify(answer)).toMatchObject({ ok: true, identity: expect.any(String) });
    },
  );

  it('names refused credentials, a wrong account and an unreachable endpoint, never echoing the secret', async () => {
    const wrongKey = await call('PATCH', `/api/integrations/${ids.aws}`, {
      credentials: { accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: CANARY_SECRET },
    });
    expect(wrongKey.statusCode, wrongKey.body).toBe(200);
    expect(wrongKey.body).not.toContain(CANARY_SECRET);
    const refused = await test(ids.aws!);
    expect(refused.json()).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(refused.body).not.toContain(CANARY_SECRET);

    const restored = await call('PATCH', `/api/integrations/${ids.aws}`, {
      credentials: { ...DEMO_AWS_CREDENTIALS },
      config: { accountId: '111122223333', region: 'us-east-1', endpoint: servers[0]!.url },
    });
    expect(restored.statusCode, restored.body).toBe(200);
    expect((await test(ids.aws!)).json()).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });

    // A role to assume: a wrong external id is a refused AssumeRole, the right one connects.
    const withRole = (externalId: string) => ({
      config: {
        accountId: DEMO_AWS_ACCOUNT_ID,
        region: 'us-east-1',
        endpoint: servers[0]!.url,
        roleArn: DEMO_ASSUME_ROLE.arn,
        externalId,
      },
    });
    expect(
      (await call('PATCH', `/api/integrations/${ids.aws}`, withRole('wrong-external-id'))).statusCode,
    ).toBe(200);
    expect((await test(ids.aws!)).json()).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
    await call('PATCH', `/api/integrations/${ids.aws}`, withRole(DEMO_ASSUME_ROLE.externalId));
    expect((await test(ids.aws!)).json()).toMatchObject({ ok: true });

    const badToken = await call('PATCH', `/api/integrations/${ids.github}`, {
      credentials: { token: `ghp_${'x'.repeat(36)}` },
    });
    expect(badToken.statusCode).toBe(200);
    expect((await test(ids.github!)).json()).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });

    // A port nothing listens on: the endpoint of a server that was started and closed.
    const closed = await startOktaFixtureServer({ port: 0, host: '127.0.0.1' });
    await closed.close();
    t.app.egress.allowEndpoint(closed.url);
    const moved = await call('PATCH', `/api/integrations/${ids.okta}`, { config: { orgUrl: closed.url } });
    expect(moved.statusCode, moved.body).toBe(200);
    expect((await test(ids.okta!)).json()).toMatchObject({ ok: false, code: 'ENDPOINT_UNREACHABLE' });
  });

  it('PATCH checks the result like POST: wrong shape and unknown keys named, names unique, 404 elsewhere', async () => {
    const wrongShape = await call('PATCH', `/api/integrations/${ids.azure}`, {
      credentials: { clientId: DEMO_AZURE_CLIENT.clientId, clientSecret: 'Canary with spaces' },
    });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().error.details).toContainEqual({
      field: 'credentials.clientSecret',
      message: expect.any(String),
    });
    expect(wrongShape.body).not.toContain('Canary with spaces');
    const typo = await call('PATCH', `/api/integrations/${ids.azure}`, {
      config: {
        tenantId: DEMO_AZURE_TENANT_ID,
        subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
        endpointUrl: 'x',
      },
    });
    expect(typo.json().error.details.map((d: { field: string }) => d.field)).toEqual(['config.endpointUrl']);
    const clash = await call('PATCH', `/api/integrations/${ids.azure}`, { name: 'aws' });
    expect(clash.statusCode).toBe(409);
    expect((await call('PATCH', `/api/integrations/${randomUUID()}`, { name: 'x' })).statusCode).toBe(404);
    expect((await call('PATCH', `/api/integrations/${ids.azure}`, {})).statusCode).toBe(400);

    // A rename alone keeps the sealed credentials, which still open.
    const renamed = await call('PATCH', `/api/integrations/${ids.azure}`, { name: 'azure renamed' });
    expect(renamed.json()).toMatchObject({ name: 'azure renamed', provider: 'azure' });
    expect((await test(ids.azure!)).json()).toMatchObject({ ok: true });
  });

  it('archives an integration, with or without scans: gone from the list, its timer with it', async () => {
    await runAsOwner(t.database.knex, { tenantId }, (trx) =>
      trx('scans').insert({ tenant_id: tenantId, integration_id: ids.github, status: 'succeeded' }),
    );
    expect((await call('DELETE', `/api/integrations/${ids.github}`)).statusCode).toBe(204);

    // A scheduled integration takes its timer with it.
    const scheduled = await call('PUT', `/api/integrations/${ids.okta}/schedule`, { cron: '0 3 * * *' });
    expect(scheduled.statusCode, scheduled.body).toBe(200);
    expect(await t.app.boss.getSchedules(SCHEDULE_QUEUE, ids.okta)).toHaveLength(1);
    expect((await call('DELETE', `/api/integrations/${ids.okta}`)).statusCode).toBe(204);
    expect(await t.app.boss.getSchedules(SCHEDULE_QUEUE, ids.okta)).toEqual([]);
    expect((await call('DELETE', `/api/integrations/${ids.okta}`)).statusCode).toBe(404);
    const names = (await call('GET', '/api/integrations')).json().items.map((i: { name: string }) => i.name);
    expect(names).toEqual(['aws', 'azure renamed']);

    const kinds = (await call('GET', '/api/ledger?limit=100'))
      .json()
      .items.map((e: { kind: string }) => e.kind);
    for (const kind of ['integration.updated', 'integration.tested', 'integration.archived']) {
      expect(kinds).toContain(kind);
    }
  });

  it('never puts the secret canary in a log line', () => {
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.filter((line) => line.includes(CANARY_SECRET))).toEqual([]);
  });
});
