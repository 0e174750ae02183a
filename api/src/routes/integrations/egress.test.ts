/**
 * The SSRF attack of issue 14, performed against the API on both backends: a tenant admin points an
 * integration's URL setting (AWS `endpoint`, GitHub `baseUrl`, Okta `orgUrl`, Azure `endpoint` and
 * `authorityHost`) at the cloud metadata service or at a port of the platform's own loopback, through
 * POST and PATCH, then runs the connection test and a scan.
 *
 * Save time refuses it: 400 VALIDATION_ERROR naming the field. A row that holds such a URL anyway (stored
 * before the check existed) is refused at call time: the connection test answers EGRESS_DENIED and the
 * scan fails with it. Either way the listener the test opens on loopback never gets a connection, and
 * nothing it would answer reaches a response.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { DEMO_AZURE_CLIENT } from '../../../../scanners/azure/fixtures/azure-fixture-server.ts';
import { DEMO_GITHUB_TOKEN } from '../../../../scanners/github/fixtures/github-fixture-org.ts';
import { DEMO_OKTA_TOKEN } from '../../../../scanners/okta/fixtures/okta-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import {
  bearer,
  login,
  scanJobDepsOf,
  seedTenant,
  startTestApp,
  type TestApp,
} from '../../../test/helpers.ts';
import { upsertIntegration } from '../../integrations/service.ts';
import type { NewIntegration } from '../../integrations/types.ts';
import { runScanJob } from '../../worker/scan-job.ts';

/** What the listener would answer: it must never appear in a response. */
const LISTENER_CANARY = 'listener-canary-4b1d';

/** A TCP listener on loopback that counts connections and answers each with the canary. */
async function startListener(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"said":"${LISTENER_CANARY}"}`);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** The attack targets: the metadata service, the listener, and spellings that try to slip past a check. */
function targets(port: number): string[] {
  return [
    'http://169.254.169.254/',
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    `http://127.0.0.1:${port}`,
    `https://127.0.0.1:${port}`,
    `http://localhost:${port}`,
    `http://2130706433:${port}`, // 127.0.0.1 as one decimal number
    `http://0x7f.0.0.1:${port}`, // hexadecimal first octet
    `http://0177.0.0.1:${port}`, // octal first octet
    `http://127.1:${port}`, // shortened form
    `http://[::ffff:127.0.0.1]:${port}`, // IPv4-mapped IPv6
    `http://[::1]:${port}`,
    `http://0.0.0.0:${port}`,
    `http://user:pass@127.0.0.1:${port}`,
    'http://[fd00:ec2::254]/', // the AWS metadata service over IPv6
    'http://metadata.google.internal/',
  ];
}

/** Each provider's integration with its URL setting set to `url` (both URL settings for Azure). */
const INTEGRATION_AT: Record<string, (url: string) => Omit<NewIntegration, 'name'>> = {
  aws: (url) => ({
    provider: 'aws',
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: url, services: ['s3'] },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  }),
  github: (url) => ({
    provider: 'github',
    config: { organizations: ['acme'], baseUrl: url },
    credentials: { token: DEMO_GITHUB_TOKEN },
  }),
  okta: (url) => ({ provider: 'okta', config: { orgUrl: url }, credentials: { token: DEMO_OKTA_TOKEN } }),
  azure: (url) =>
    ({
      provider: 'azure',
      config: {
        tenantId: '00000000-0000-4000-8000-000000000001',
        subscriptionIds: ['00000000-0000-4000-8000-000000000002'],
        endpoint: url,
        authorityHost: url,
      },
      credentials: { ...DEMO_AZURE_CLIENT },
    }) as Omit<NewIntegration, 'name'>,
};

function integrationAt(provider: string, url: string): Omit<NewIntegration, 'name'> {
  const build = INTEGRATION_AT[provider];
  if (!build) throw new Error(`no sample integration for provider ${provider}`);
  return build(url);
}

const URL_FIELDS: Record<string, string[]> = {
  aws: ['config.endpoint'],
  github: ['config.baseUrl'],
  okta: ['config.orgUrl'],
  azure: ['config.authorityHost', 'config.endpoint'],
};

describe.each(databaseBackends())('egress control of integration URLs on $name', (backend) => {
  let t: TestApp;
  let token: string;
  let tenantId: string;
  let listener: Awaited<ReturnType<typeof startListener>>;

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    listener = await startListener();
    // No worker: the test runs the queued scan's job itself, so it knows when the scan is done.
    t = await startTestApp(backend, { worker: false });
    const admin = await seedTenant(t.database.knex);
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await listener?.close();
  });

  it.each(Object.keys(URL_FIELDS))(
    'refuses %s URL settings at internal addresses when an integration is created or changed',
    async (provider) => {
      const safe = { ...integrationAt(provider, ''), config: publicConfig(provider) };
      const created = await call('POST', '/api/integrations', { name: `safe ${provider}`, ...safe });
      expect(created.statusCode, created.body).toBe(201);
      const id = created.json().id as string;
      for (const [n, url] of targets(listener.port).entries()) {
        const attack = integrationAt(provider, url);
        const posted = await call('POST', '/api/integrations', {
          name: `attack ${provider} ${n}`,
          ...attack,
        });
        const patched = await call('PATCH', `/api/integrations/${id}`, { config: attack.config });
        for (const answer of [posted, patched]) {
          expect(answer.statusCode, `${url}: ${answer.body}`).toBe(400);
          const error = answer.json().error;
          expect(error.code).toBe('VALIDATION_ERROR');
          expect(error.details.map((d: { field: string }) => d.field).sort()).toEqual(URL_FIELDS[provider]);
        }
      }
      expect(listener.connections()).toBe(0);
    },
  );

  it.each(Object.keys(URL_FIELDS))(
    'refuses a stored %s integration aimed at the listener at call time: test and scan say EGRESS_DENIED',
    async (provider) => {
      for (const url of [`http://127.0.0.1:${listener.port}`, `http://[::ffff:127.0.0.1]:${listener.port}`]) {
        // A row saved before the check existed: stored without it, as the seed's upsert does.
        const stored = await t.app.withTenant(tenantId, (trx) =>
          upsertIntegration(trx, t.app.vault, tenantId, {
            name: `stored ${provider} ${url}`,
            ...integrationAt(provider, url),
          } as NewIntegration),
        );
        const tested = await call('POST', `/api/integrations/${stored.id}/test`, {});
        expect(tested.statusCode, tested.body).toBe(200);
        expect(tested.json()).toMatchObject({ ok: false, code: 'EGRESS_DENIED' });
        expect(tested.body).not.toContain(LISTENER_CANARY);

        const queued = await call('POST', '/api/scans', { integration_id: stored.id });
        expect(queued.statusCode, queued.body).toBe(202);
        const scanId = queued.json().id as string;
        expect(
          await runScanJob(scanJobDepsOf(t.app, t.config.jobs), { tenant_id: tenantId, scan_id: scanId }),
        ).toBe('failed');
        const scan = await call('GET', `/api/scans/${scanId}`);
        expect(scan.json()).toMatchObject({ status: 'failed', failure: { code: 'EGRESS_DENIED' } });
        expect(scan.body).not.toContain(LISTENER_CANARY);
      }
      expect(listener.connections()).toBe(0);
    },
  );
});

/** A config of `provider` on its public service (no URL setting for GitHub and Azure, Okta's own domain). */
function publicConfig(provider: string): Record<string, unknown> {
  const { config } = integrationAt(provider, '');
  const rest: Record<string, unknown> = { ...config };
  delete rest.baseUrl;
  delete rest.endpoint;
  delete rest.authorityHost;
  if (provider === 'okta') rest.orgUrl = 'https://acme.okta.com';
  return rest;
}
