// Signing in to Azure as a service principal with a certificate: @azure/identity's
// ClientCertificateCredential (MSAL) over HTTPS against the fixture identity platform, which checks the
// client assertion's signature with the registered certificate and the certificate named in its header;
// the token it issues then opens the ARM fixture. Certificates and keys are made at test time with the
// openssl CLI (node:crypto cannot write X.509), in a temporary directory, never committed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ScanFailedError } from '../types.ts';
import { scanAzure, type AzureScanOptions } from './azure.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  startAzureFixtureServer,
  type AzureFixtureServer,
} from './fixtures/azure-fixture-server.ts';

let dir = '';
const pem = { tlsKey: '', tlsCert: '', client: '', clientCert: '', other: '', expired: '' };

/** A self-signed certificate and its key; `days` -1 makes one that has already expired. */
function certificate(name: string, days: number, san?: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      ...(san ? ['-addext', `subjectAltName=${san}`] : []),
    ],
    { stdio: 'ignore' },
  );
  if (days < 0)
    execFileSync('openssl', ['x509', '-in', cert, '-signkey', key, '-days', String(days), '-out', cert], {
      stdio: 'ignore',
    });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'complywise-azure-cert-'));
  const tls = certificate('127.0.0.1', 1, 'IP:127.0.0.1');
  pem.tlsKey = tls.key;
  pem.tlsCert = tls.cert;
  const client = certificate('complywise-scanner', 1);
  pem.clientCert = client.cert;
  pem.client = client.cert + client.key;
  const other = certificate('someone-else', 1);
  pem.other = other.cert + other.key;
  const expired = certificate('complywise-expired', -1);
  pem.expired = expired.cert + expired.key;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<AzureFixtureServer> {
  server = await startAzureFixtureServer({
    identity: {
      tls: { key: pem.tlsKey, cert: pem.tlsCert },
      clients: [{ clientId: DEMO_AZURE_CLIENT.clientId, certificatePem: pem.clientCert }],
    },
  });
  return server;
}

const options = (): AzureScanOptions => ({
  callsPerSecond: 10_000,
  retryDelayMs: 10,
  identityCa: pem.tlsCert,
});
const target = (s: AzureFixtureServer, certificate: string) => ({
  tenantId: DEMO_AZURE_TENANT_ID,
  subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
  clientId: DEMO_AZURE_CLIENT.clientId,
  certificate,
  endpoint: s.url,
  authorityHost: s.identity!.url,
});

describe('scanAzure with a service principal certificate', () => {
  it('signs the client assertion with the certificate and scans with the token it buys', async () => {
    const s = await start();
    const outcome = await scanAzure(target(s, pem.client), options());
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.length).toBeGreaterThan(20);
    const identity = s.identity!.requests;
    expect(identity.map((r) => [r.path.split('/').slice(2).join('/'), r.status])).toEqual([
      ['v2.0/.well-known/openid-configuration', 200],
      ['oauth2/v2.0/token', 200],
    ]);
    // The secret flow's http token endpoint was never used.
    expect(s.requests.some((r) => r.route === 'token')).toBe(false);
    expect(outcome.progress.calls_made).toBe(s.requests.length + identity.length);
  });

  it('fails fast, saying the certificate is not registered, for another certificate', async () => {
    const s = await start();
    const error = await scanAzure(target(s, pem.other), options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: expect.stringContaining('AADSTS700027'),
    });
    expect((error as Error).message).toContain('not registered on the app registration');
    expect((error as Error).message).not.toContain('PRIVATE KEY');
    // Only the platform's code and status come through, never its text (nor its trace id).
    expect((error as Error).message).toMatch(/It answered (HTTP 401, )?AADSTS700027$/);
    expect((error as Error).message).not.toMatch(/Trace ID|invalid signature|not found in the directory/i);
    expect(s.requests).toHaveLength(0);
  });

  it('fails fast with EXPIRED_CREDENTIALS for an expired certificate, before any call', async () => {
    const s = await start();
    await expect(scanAzure(target(s, pem.expired), options())).rejects.toMatchObject({
      code: 'EXPIRED_CREDENTIALS',
      message: expect.stringContaining('expired on'),
    });
    expect(s.identity!.requests).toHaveLength(0);
  });
});
