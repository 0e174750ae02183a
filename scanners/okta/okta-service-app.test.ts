// Signing in as an Okta OAuth 2.0 service app with a private-key JWT, through the Okta SDK's
// authorizationMode 'PrivateKey' over HTTP against the Okta fixture: the fixture verifies the client
// assertion (and the DPoP proof the SDK sends along) with the registered public key and issues an
// access token limited to the granted scopes. Keys are generated here, never committed.
import { afterEach, describe, expect, it } from 'vitest';
import { testRsaKey } from '../test-keys.ts';
import { ScanFailedError } from '../types.ts';
import {
  demoOktaOrg,
  startOktaFixtureServer,
  type FixtureOktaServiceApp,
  type OktaFixtureServer,
} from './fixtures/okta-fixture-server.ts';
import { OKTA_REQUIRED_SCOPES, OKTA_SCOPES, scanOkta, type OktaScanOptions } from './okta.ts';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const CLIENT_ID = '0oa1complywisescan0x7';
const fast: OktaScanOptions = { callsPerSecond: 10_000, now: () => NOW };

const rsaKey = () => testRsaKey();
const key = rsaKey();

let server: OktaFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(app: Partial<FixtureOktaServiceApp> = {}): Promise<OktaFixtureServer> {
  const org = demoOktaOrg({ asOf: NOW });
  org.serviceApps = [
    { clientId: CLIENT_ID, publicKeyPem: key.publicKeyPem, scopes: [...OKTA_SCOPES], ...app },
  ];
  server = await startOktaFixtureServer({ org });
  return server;
}

const target = (s: OktaFixtureServer, privateKey = key.privateKey) => ({
  orgUrl: s.url,
  serviceApp: { clientId: CLIENT_ID, privateKey },
});

describe('scanOkta as an OAuth 2.0 service app with a private-key JWT', () => {
  it('gets an access token for the scan scopes and scans with it, as with an API token', async () => {
    const s = await start();
    const outcome = await scanOkta(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'okta.user').length).toBeGreaterThan(10);
    expect(outcome.resources.filter((r) => r.type === 'okta.policy').length).toBeGreaterThan(3);
    expect(s.requests[0]).toMatchObject({ path: '/oauth2/v1/token', status: 200 });
    expect(s.requests.filter((r) => r.path === '/oauth2/v1/token')).toHaveLength(1);
    expect(s.org.issuedTokens).toEqual([
      { token: expect.any(String), clientId: CLIENT_ID, scopes: [...OKTA_SCOPES] },
    ]);
    expect(outcome.progress.calls_made).toBe(s.requests.length);
  });

  it('fails fast, naming the app, when the key is not the registered one', async () => {
    const s = await start();
    const error = await scanOkta(target(s, rsaKey().privateKey), fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: expect.stringContaining(
        `Okta refused the client assertion of the Okta service app ${CLIENT_ID}`,
      ),
    });
    expect(s.requests).toHaveLength(1);
  });

  it('scans with the required scopes when the app holds only those, recording each type it cannot read', async () => {
    const s = await start({ scopes: [...OKTA_REQUIRED_SCOPES] });
    const outcome = await scanOkta(target(s), fast);
    expect(outcome.resources.filter((r) => r.type === 'okta.user').length).toBeGreaterThan(10);
    expect(outcome.resources.filter((r) => r.type === 'okta.policy').length).toBeGreaterThan(3);
    expect(outcome.resources.filter((r) => r.type === 'okta.application')).toEqual([]);
    // The token Okta issued holds the required scopes only; the first request, for all of them, was refused.
    expect(s.org.issuedTokens?.map((t) => t.scopes)).toEqual([[...OKTA_REQUIRED_SCOPES]]);
    const missing = outcome.errors.map((e) => [e.operation, e.missing_permission]);
    expect(missing).toEqual(
      expect.arrayContaining([
        ['okta:listAuthenticators', 'okta.authenticators.read'],
        ['okta:listNetworkZones', 'okta.networkZones.read'],
        ['okta:listApiTokens', 'okta.apiTokens.read'],
        ['okta:listApplications', 'okta.apps.read'],
      ]),
    );
    expect(outcome.errors.every((e) => e.missing_permission !== null)).toBe(true);
  });

  it('fails fast naming the scopes when the app is not granted them', async () => {
    const s = await start({ scopes: ['okta.users.read'] });
    await expect(scanOkta(target(s), fast)).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: expect.stringContaining('okta.roles.read'),
    });
  });

  it('answers the DPoP nonce challenge of an app that requires DPoP and proves possession on every call', async () => {
    const s = await start({ requireDpop: true });
    const outcome = await scanOkta(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.length).toBeGreaterThan(10);
    // use_dpop_nonce, then the token; the fixture only accepts DPoP-bound tokens with a valid proof.
    expect(s.requests.filter((r) => r.path === '/oauth2/v1/token').map((r) => r.status)).toEqual([400, 200]);
    expect(s.org.issuedTokens?.[0]?.dpopJwk).toMatchObject({ kty: 'RSA' });
  });

  it('says to check the clock when Okta finds the fresh assertion expired', async () => {
    const s = await start({ clockOffsetSeconds: 10 * 60 }); // the SDK's assertions live 5 minutes
    await expect(scanOkta(target(s), fast)).rejects.toMatchObject({
      code: 'CLOCK_SKEW',
      message: expect.stringContaining("check this machine's clock"),
    });
  });

  it('refuses a private key it cannot read before any call', async () => {
    const s = await start();
    await expect(scanOkta(target(s, 'not-a-key-at-all-but-long-enough'), fast)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: expect.stringContaining('is not a PEM or JWK'),
    });
    expect(s.requests).toHaveLength(0);
  });

  it('keeps the access token to its scopes: a call outside them is refused by the fixture', async () => {
    const s = await start();
    s.org.issuedTokens = [{ token: 'eyJlimited', clientId: CLIENT_ID, scopes: ['okta.users.read'] }];
    const res = await fetch(`${s.url}/api/v1/policies?type=PASSWORD`, {
      headers: { authorization: 'Bearer eyJlimited' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('okta.policies.read');
  });
});
