/**
 * Test support (used by *.test.ts only) for suites that scan the S3 sandbox through the real worker: a tenant
 * with an admin session and an AWS integration pointed at the sandbox, an authenticated `call`, and `scan()`
 * that queues a scan and waits until it has finished.
 */
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { bearer, login, seedTenant, type TestApp } from '../../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SandboxTenant {
  tenantId: string;
  userId: string;
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    payload?: Json,
  ): Promise<{ status: number; body: Json }>;
  /** Queues a scan of the sandbox and resolves with the finished scan (succeeded or failed). */
  scan(): Promise<Json>;
  close(): Promise<void>;
}

export async function sandboxTenant(t: TestApp, slug: string): Promise<SandboxTenant> {
  const sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
  t.app.egress.allowEndpoint(sandbox.url);
  const admin = await seedTenant(t.database.knex, { slug });
  const token = (await login(t.app, admin.email, admin.password)).access_token;
  const call: SandboxTenant['call'] = async (method, url, payload) => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };
  const integration = await call('POST', '/api/integrations', {
    provider: 'aws',
    name: 'Sandbox',
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  });
  if (integration.status !== 201) throw new Error(`integration: ${JSON.stringify(integration.body)}`);
  return {
    tenantId: admin.tenantId,
    userId: admin.userId,
    call,
    async scan() {
      const queued = await call('POST', '/api/scans', { integration_id: integration.body.id });
      if (queued.status !== 202) throw new Error(`scan not queued: ${JSON.stringify(queued.body)}`);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const { body } = await call('GET', `/api/scans/${queued.body.id}`);
        if (body.status === 'succeeded' || body.status === 'failed') return body;
        if (Date.now() > deadline) throw new Error(`scan ${queued.body.id} still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    close: () => sandbox.close(),
  };
}
