/**
 * A tenant with an admin and one finished scan of an S3 sandbox, created through the API as a user would
 * (integration, scan, worker), for suites that need real findings, evidence, scores and ledger entries.
 */
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoS3Account,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { randomUUID } from 'node:crypto';
import { hashPassword } from '../src/plugins/app/passwords.ts';
import { runAsOwner } from '../src/plugins/app/tenancy.ts';
import { bearer, login, seedTenant, type TestApp } from './helpers.ts';

export interface ScannedTenant {
  tenantId: string;
  userId: string;
  token: string;
  scanId: string;
}

/** An S3 sandbox serving the demo buckets renamed with `marker`, so each tenant's resources are its own. */
export function startMarkedSandbox(marker: string): Promise<S3FixtureServer> {
  const account = demoS3Account();
  account.buckets = account.buckets.map((b) => ({ ...b, name: b.name.replace(DEMO_AWS_ACCOUNT_ID, marker) }));
  return startS3FixtureServer({ port: 0, host: '127.0.0.1', account });
}

/** Connects an AWS integration (S3 only) to the sandbox at `sandboxUrl` through the API; returns its id. */
export async function connectS3Sandbox(
  t: TestApp,
  token: string,
  sandboxUrl: string,
  name: string,
): Promise<string> {
  // A fixture on loopback: the app's egress policy allows exactly its host and port.
  t.app.egress.allowEndpoint(sandboxUrl);
  const integration = await t.app.inject({
    method: 'POST',
    url: '/api/integrations',
    headers: bearer(token),
    payload: {
      provider: 'aws',
      name,
      config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandboxUrl, services: ['s3'] },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    },
  });
  if (integration.statusCode !== 201) throw new Error(`integration: ${integration.body}`);
  return integration.json().id as string;
}

/** Queues a scan of the integration through the API, as a user would; returns the scan id. */
export async function queueScan(t: TestApp, token: string, integrationId: string): Promise<string> {
  const queued = await t.app.inject({
    method: 'POST',
    url: '/api/scans',
    headers: bearer(token),
    payload: { integration_id: integrationId },
  });
  if (queued.statusCode !== 202) throw new Error(`scan: ${queued.statusCode} ${queued.body}`);
  return queued.json().id as string;
}

/** Adds a new user with `role` to the tenant (as the owner) and returns an access token for them. */
export async function addMember(
  t: TestApp,
  tenantId: string,
  role: 'admin' | 'user' | 'auditor',
): Promise<string> {
  const userId = randomUUID();
  const email = `${role}-${userId}@members.example`;
  const password = `pw-${randomUUID()}`;
  const passwordHash = await hashPassword(password);
  await runAsOwner(t.database.knex, { tenantId, userId }, async (trx) => {
    await trx('users').insert({ id: userId, email, password_hash: passwordHash });
    await trx('memberships').insert({ tenant_id: tenantId, user_id: userId, role });
  });
  return (await login(t.app, email, password)).access_token;
}

/** Seeds a tenant, connects the sandbox and waits for its first scan to succeed. */
export async function scannedTenant(t: TestApp, slug: string, sandboxUrl: string): Promise<ScannedTenant> {
  const admin = await seedTenant(t.database.knex, { slug });
  const token = (await login(t.app, admin.email, admin.password)).access_token;
  const integrationId = await connectS3Sandbox(t, token, sandboxUrl, `${slug} sandbox`);
  const scanId = await queueScan(t, token, integrationId);
  const deadline = Date.now() + 90_000;
  for (;;) {
    const scan = (await t.app.inject({ url: `/api/scans/${scanId}`, headers: bearer(token) })).json();
    if (scan.status === 'succeeded') break;
    if (scan.status === 'failed' || Date.now() > deadline)
      throw new Error(`scan ${scanId} ended ${scan.status}: ${JSON.stringify(scan)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { tenantId: admin.tenantId, userId: admin.userId, token, scanId };
}
