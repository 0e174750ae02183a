// The egress policy through the real SDKs: scanIntegration and testConnection refuse URL settings it does
// not allow before any call, and the clients refuse a public host name that resolves to an internal
// address. Names resolve through an injected resolver only; every listener is a local fixture that
// records its requests, so nothing leaves the machine.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_AWS_ACCOUNT_ID, DEMO_AWS_CREDENTIALS } from './aws/fixtures/s3-fixture-server.ts';
import { startAwsFixtureServer, type AwsFixtureServer } from './aws/fixtures/aws-fixture-server.ts';
import { DEMO_GITHUB_ORGS, DEMO_GITHUB_TOKEN } from './github/fixtures/github-fixture-org.ts';
import {
  startGithubFixtureServer,
  type GithubFixtureServer,
} from './github/fixtures/github-fixture-server.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
} from './azure/fixtures/azure-fixture-server.ts';
import { DEMO_OKTA_TOKEN } from './okta/fixtures/okta-fixture-server.ts';
import { installLoopbackOnly, type LoopbackTripwire } from './loopback-only.ts';
import { egressPolicy, type Resolve } from './egress.ts';
import { PROVIDERS, scanIntegration, testConnection, type ScannableIntegration } from './index.ts';

// A guard that failed must fail the test before a packet leaves the machine: connections outside loopback
// are refused and recorded by the tripwire, and each test checks that none was attempted.
let tripwire: LoopbackTripwire;
beforeAll(() => {
  tripwire = installLoopbackOnly();
});
afterEach(() => {
  expect(tripwire.attempts).toEqual([]);
});
afterAll(() => tripwire.uninstall());

const servers: (AwsFixtureServer | GithubFixtureServer)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Every public name resolves to loopback or a private address: a guard that failed would hit a local port. */
const internalDns =
  (address: string): Resolve =>
  async () => [{ address, family: 4 }];

const hostOf = (url: string): string => new URL(url).host;

function aws(endpoint?: string): ScannableIntegration {
  return {
    provider: 'aws',
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', ...(endpoint ? { endpoint } : {}) },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  };
}

describe('egress policy through the scanners', () => {
  it('scans and tests a fixture the policy allowlists, as before', async () => {
    const s = await startAwsFixtureServer({ port: 0, host: '127.0.0.1' });
    servers.push(s);
    const egress = egressPolicy(hostOf(s.url));
    const outcome = await scanIntegration(aws(s.url), { egress });
    expect(outcome.resources.length).toBeGreaterThan(0);
    expect(await testConnection(aws(s.url), { egress })).toMatchObject({ ok: true });
  });

  it('refuses a loopback or metadata endpoint the operator has not allowed, before any call', async () => {
    const s = await startAwsFixtureServer({ port: 0, host: '127.0.0.1' });
    servers.push(s);
    const egress = egressPolicy([]);
    for (const endpoint of [s.url, 'http://169.254.169.254/', `http://127.1:${new URL(s.url).port}/`]) {
      await expect(scanIntegration(aws(endpoint), { egress })).rejects.toMatchObject({
        code: 'EGRESS_DENIED',
      });
      expect(await testConnection(aws(endpoint), { egress })).toMatchObject({
        ok: false,
        code: 'EGRESS_DENIED',
      });
    }
    expect(s.requests).toHaveLength(0);
    expect(s.s3.requests).toHaveLength(0);
  });

  it('AWS: refuses the public endpoint when its name resolves to an internal address', async () => {
    const egress = egressPolicy([], internalDns('10.20.30.40'));
    const result = await testConnection(aws(), { egress });
    expect(result).toMatchObject({ ok: false, code: 'EGRESS_DENIED' });
    await expect(scanIntegration(aws(), { egress })).rejects.toMatchObject({ code: 'EGRESS_DENIED' });
  });

  it('GitHub: refuses api.github.com resolving to a local listener, and opens no connection to it', async () => {
    const s = await startGithubFixtureServer({ port: 0, host: '127.0.0.1' });
    servers.push(s);
    const github = (baseUrl: string): ScannableIntegration => ({
      provider: 'github',
      config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl },
      credentials: { token: DEMO_GITHUB_TOKEN },
    });
    // Allowed, the fixture answers through the guarded fetch.
    const allowed = await testConnection(github(s.url), { egress: egressPolicy(hostOf(s.url)) });
    expect(allowed).toMatchObject({ ok: true });
    const before = s.requests.length;
    // The public name, resolved to the fixture's loopback address, is refused at connection time.
    const egress = egressPolicy([], internalDns('127.0.0.1'));
    const refused = await testConnection(github('https://api.github.com'), { egress });
    expect(refused).toMatchObject({ ok: false, code: 'EGRESS_DENIED' });
    await expect(
      scanIntegration(github('https://api.github.com'), {
        egress,
        callsPerSecond: 1000,
        retryBaseMs: 1,
      } as object),
    ).rejects.toMatchObject({ code: 'EGRESS_DENIED' });
    expect(s.requests.length).toBe(before);
  });

  /** A valid integration of each provider, with its public URL settings; a new provider adds one. */
  const SAMPLES: Record<keyof typeof PROVIDERS, ScannableIntegration> = {
    aws: aws('https://s3.us-east-1.amazonaws.com'),
    github: {
      provider: 'github',
      config: { organizations: ['acme-corp'], baseUrl: 'https://api.github.com' },
      credentials: { token: DEMO_GITHUB_TOKEN },
    },
    okta: {
      provider: 'okta',
      config: { orgUrl: 'https://acme.okta.com' },
      credentials: { token: DEMO_OKTA_TOKEN },
    },
    azure: {
      provider: 'azure',
      config: {
        tenantId: DEMO_AZURE_TENANT_ID,
        subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
        endpoint: 'https://management.azure.com',
        authorityHost: 'https://login.microsoftonline.com',
      },
      credentials: { ...DEMO_AZURE_CLIENT },
    },
  };

  it('refuses every URL setting every provider declares when it names the metadata service', async () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(PROVIDERS).sort());
    const egress = egressPolicy([], internalDns('10.0.0.1'));
    for (const provider of Object.values(PROVIDERS)) {
      const sample = SAMPLES[provider.id as keyof typeof PROVIDERS];
      for (const { key } of provider.urlSettings) {
        const integration = {
          ...sample,
          config: { ...sample.config, [key]: 'http://169.254.169.254/latest/meta-data/' },
        } as ScannableIntegration;
        const label = `${provider.id} ${key}`;
        expect(await testConnection(integration, { egress }), label).toMatchObject({
          ok: false,
          code: 'EGRESS_DENIED',
        });
        await expect(scanIntegration(integration, { egress }), label).rejects.toMatchObject({
          code: 'EGRESS_DENIED',
        });
      }
    }
  });

  it('refuses the public service of every provider when its name resolves to an internal address', async () => {
    const egress = egressPolicy([], internalDns('127.0.0.1'));
    for (const [id, integration] of Object.entries(SAMPLES)) {
      const result = await testConnection(integration, { egress });
      expect([id, result.ok ? 'ok' : result.code]).toEqual([id, 'EGRESS_DENIED']);
    }
  });
});
