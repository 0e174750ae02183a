// The connection test signs in the way the scanners do: a GitHub App gets an installation token and an Okta
// service app an access token (private-key JWTs signed here, verified by the fixture servers with the public
// half, real SDKs over HTTP), then the cheapest read; a wrong key, installation or scope is named, and no
// answer carries the key. Keys are generated at test time, never committed.
import { afterEach, describe, expect, it } from 'vitest';
import { testConnection } from './connection.ts';
import {
  DEMO_GITHUB_ORGS,
  demoGithubData,
  startGithubFixtureServer,
} from './github/fixtures/github-fixture-server.ts';
import { demoOktaOrg, startOktaFixtureServer } from './okta/fixtures/okta-fixture-server.ts';
import { OKTA_SCOPES } from './okta/okta.ts';
import { testRsaKey } from './test-keys.ts';

const key = testRsaKey();
const otherKey = testRsaKey();
/** A line from the middle of the PEM body: no answer may contain any of the key. */
const keyLine = key.privateKey.split('\n')[5]!;
const otherKeyLine = otherKey.privateKey.split('\n')[5]!;

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('testConnection with a GitHub App', () => {
  const APP_ID = 424242;
  const INSTALLATION_ID = 9090;

  async function github(privateKey: string, installationId = INSTALLATION_ID) {
    const data = demoGithubData();
    data.app = {
      appId: APP_ID,
      publicKeyPem: key.publicKeyPem,
      installations: [{ id: INSTALLATION_ID, account: 'acme-corp' }],
      clockOffsetSeconds: 0,
    };
    const server = await startGithubFixtureServer({ data });
    servers.push(server);
    const result = await testConnection({
      provider: 'github',
      config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: server.url },
      credentials: { appId: APP_ID, privateKey, installationId },
    });
    return { result, server };
  }

  it('gets an installation token and reads every organization with it', async () => {
    const { result, server } = await github(key.privateKey);
    expect(result).toEqual({
      ok: true,
      identity: `GitHub App ${APP_ID} on github organizations ${DEMO_GITHUB_ORGS.join(', ')}`,
    });
    const paths = server.requests.map((r) => r.path);
    expect(paths[0]).toBe(`/app/installations/${INSTALLATION_ID}/access_tokens`);
    expect(paths.slice(1)).toEqual(DEMO_GITHUB_ORGS.map((org) => `/orgs/${org}`));
  });

  it('names a key that is not the app’s, and an installation that does not exist', async () => {
    const wrongKey = await github(otherKey.privateKey);
    expect(wrongKey.result).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(JSON.stringify(wrongKey.result)).not.toContain(otherKeyLine);
    const wrongInstallation = await github(key.privateKey, 1);
    expect(wrongInstallation.result).toMatchObject({ ok: false, code: 'INVALID_CONFIG' });
    expect(JSON.stringify(wrongInstallation.result)).not.toContain(keyLine);
  });
});

describe('testConnection with an Okta service app', () => {
  const CLIENT_ID = '0oa1complywisescan0x7';

  async function okta(privateKey: string, scopes: string[] = [...OKTA_SCOPES]) {
    const org = demoOktaOrg({ asOf: new Date() });
    org.serviceApps = [{ clientId: CLIENT_ID, publicKeyPem: key.publicKeyPem, scopes }];
    const server = await startOktaFixtureServer({ org });
    servers.push(server);
    const result = await testConnection({
      provider: 'okta',
      config: { orgUrl: server.url },
      credentials: { clientId: CLIENT_ID, privateKey },
    });
    return { result, server };
  }

  it('gets an access token with the scan scopes, then reads a user with it', async () => {
    const { result, server } = await okta(key.privateKey);
    expect(result).toEqual({ ok: true, identity: `okta org ${server.url} as service app ${CLIENT_ID}` });
    expect(server.requests.map((r) => r.path)).toEqual(['/oauth2/v1/token', '/api/v1/users?limit=1']);
  });

  it('names a key that is not registered, and scopes the app is not granted', async () => {
    const wrongKey = await okta(otherKey.privateKey);
    expect(wrongKey.result).toMatchObject({ ok: false, code: 'INVALID_CREDENTIALS' });
    expect(JSON.stringify(wrongKey.result)).not.toContain(otherKeyLine);
    const fewScopes = await okta(key.privateKey, ['okta.users.read']);
    expect(fewScopes.result).toMatchObject({ ok: false, code: 'PERMISSION_DENIED' });
    expect(JSON.stringify(fewScopes.result)).not.toContain(keyLine);
  });
});
