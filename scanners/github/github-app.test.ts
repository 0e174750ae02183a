// Signing in as a GitHub App through @octokit/auth-app over HTTP against the GitHub fixture: the JWT is
// signed with a key generated here and verified by the fixture with the public half; the installation
// token it hands out is then used for the whole scan. Keys are made at test time, never committed.
import { afterEach, describe, expect, it } from 'vitest';
import { testRsaKey } from '../test-keys.ts';
import { ScanFailedError } from '../types.ts';
import {
  DEMO_GITHUB_ORGS,
  demoGithubData,
  startGithubFixtureServer,
  type GithubFixtureServer,
} from './fixtures/github-fixture-server.ts';
import { scanGithub, type GithubScanOptions } from './github.ts';

const APP_ID = 424242;
const INSTALLATION_ID = 9090;

/** GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY") files. */
const rsaKey = (format: 'pkcs1' | 'pkcs8' = 'pkcs1') => testRsaKey(format);
const key = rsaKey();

let server: GithubFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(clockOffsetSeconds = 0): Promise<GithubFixtureServer> {
  const data = demoGithubData();
  data.app = {
    appId: APP_ID,
    publicKeyPem: key.publicKeyPem,
    installations: [{ id: INSTALLATION_ID, account: 'acme-corp' }],
    clockOffsetSeconds,
  };
  server = await startGithubFixtureServer({ data });
  return server;
}

const fast: GithubScanOptions = { callsPerSecond: 10_000, retryBaseMs: 10 };
const target = (
  s: GithubFixtureServer,
  app: Partial<{ appId: number; privateKey: string; installationId: number }> = {},
) => ({
  organizations: [...DEMO_GITHUB_ORGS],
  baseUrl: s.url,
  app: { appId: APP_ID, privateKey: key.privateKey, installationId: INSTALLATION_ID, ...app },
});

describe('scanGithub as a GitHub App', () => {
  it('exchanges a signed JWT for an installation token and scans with it', async () => {
    const s = await start();
    const outcome = await scanGithub(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'github.repository')).toHaveLength(72);
    const [first, ...rest] = s.requests;
    expect(first).toMatchObject({ path: `/app/installations/${INSTALLATION_ID}/access_tokens`, status: 201 });
    // The first call carried the JWT; every later one the installation token it bought.
    expect(first?.token?.split('.')).toHaveLength(3);
    expect(new Set(rest.map((r) => r.token?.slice(0, 4)))).toEqual(new Set(['ghs_']));
    expect(rest.filter((r) => r.path.includes('access_tokens'))).toHaveLength(0);
    expect(outcome.progress.calls_made).toBe(s.requests.length);
  });

  it('accepts a PKCS#8 key too', async () => {
    const pkcs8 = rsaKey('pkcs8');
    const s = await start();
    s.data.app!.publicKeyPem = pkcs8.publicKeyPem;
    const outcome = await scanGithub(target(s, { privateKey: pkcs8.privateKey }), fast);
    expect(outcome.resources.length).toBeGreaterThan(0);
  });

  it("corrects for GitHub's clock from the date header when the JWT looks expired to it", async () => {
    const s = await start(15 * 60); // GitHub 15 minutes ahead: a fresh 10-minute JWT is already expired there
    const outcome = await scanGithub(target(s), fast);
    expect(outcome.errors).toEqual([]);
    expect(s.requests.filter((r) => r.path.endsWith('/access_tokens')).map((r) => r.status)).toEqual([
      401, 201,
    ]);
  });

  it('fails fast, naming the app, when the private key is not the one GitHub knows', async () => {
    const s = await start();
    const other = rsaKey();
    const error = await scanGithub(target(s, { privateKey: other.privateKey }), fast).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: expect.stringContaining(`GitHub refused the app JWT of GitHub App ${APP_ID}`),
    });
    expect((error as Error).message).toContain('private key does not belong to this app');
    expect((error as Error).message).not.toContain(other.privateKey.slice(40, 80));
    expect(s.requests).toHaveLength(1);
  });

  it('fails fast naming the installation when it does not exist', async () => {
    const s = await start();
    await expect(scanGithub(target(s, { installationId: 1 }), fast)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('installation 1 was not found'),
    });
  });

  it('refuses a private key that is not a PEM key before any call', async () => {
    const s = await start();
    await expect(
      scanGithub(
        target(s, {
          privateKey: '-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----',
        }),
        fast,
      ),
    ).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: expect.stringContaining('is not a PEM RSA private key'),
    });
    expect(s.requests).toHaveLength(0);
  });
});
