/**
 * The container image: built from the Dockerfile with podman and started as the API against a fresh
 * PostgreSQL database (host network), or against embedded PGlite when COMPLYWISE_TEST_POSTGRES_URL is not
 * set. Checks readiness, that the built app is served at `/`, that the process is not root and cannot write
 * its own code, and (on PostgreSQL) that a worker-only container starts on the same database, as in
 * compose.yaml.
 *
 * No registry is reachable on our machines, so the base image is built from Debian packages
 * (test/container/base-image.ts, cached across runs). It takes minutes, so it runs only with
 * COMPLYWISE_CONTAINER_TEST=1. A machine without podman and no way to install it, or one that cannot start a
 * container, skips every test here with the reason.
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from './container/base-image.ts';
import { ensureContainerTools, LIMIT_FLAGS, podman } from './container/podman.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

const MINUTE = 60_000;
const repositoryRoot = resolve(import.meta.dirname, '..');
const IMAGE = 'localhost/complywise:container-test';
const log = (line: string) => process.stderr.write(`container test: ${line}\n`);

/** A port nothing listens on right now (the containers share the host network). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `url` until it answers 200 or `timeoutMs` passes; returns the last answer or error. */
async function waitForOk(url: string, timeoutMs: number, failed: () => Promise<string | null>) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    const exited = await failed();
    if (exited) throw new Error(`the container stopped before ${url} answered:\n${exited}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${last}`);
}

describe('the container image, built and run with podman', () => {
  let unavailable: string | null = null;
  let testDb: TestDatabase | null = null;
  const containers: string[] = [];
  let url = '';

  async function startContainer(name: string, env: Record<string, string>): Promise<string> {
    const envFlags = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
    const id = await podman([
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      ...LIMIT_FLAGS,
      ...envFlags,
      IMAGE,
    ]);
    containers.push(id);
    return id;
  }

  /** The container's logs when it is no longer running, else null. */
  async function stopped(id: string): Promise<string | null> {
    const running = await podman(['inspect', '--format', '{{.State.Running}}', id]);
    if (running === 'true') return null;
    return podman(['logs', '--tail', '40', id]).catch((error: Error) => error.message);
  }

  beforeAll(async () => {
    if (process.env.COMPLYWISE_CONTAINER_TEST !== '1') {
      unavailable = 'slow (builds the image): set COMPLYWISE_CONTAINER_TEST=1 to run it';
      return log(`skipped: ${unavailable}`);
    }
    unavailable = await ensureContainerTools();
    if (unavailable) return log(`skipped: ${unavailable}`);
    const started = Date.now();
    const base = await ensureBaseImage(log);
    try {
      await podman(['run', '--rm', '--network', 'host', ...LIMIT_FLAGS, base, 'true'], 2 * MINUTE);
    } catch (error) {
      unavailable = `this machine cannot run containers: ${(error as Error).message}`;
      return log(`skipped: ${unavailable}`);
    }
    log(`building ${IMAGE} on ${base}`);
    await podman(
      [
        'build',
        '--network',
        'host',
        ...LIMIT_FLAGS,
        '--build-arg',
        `BASE_IMAGE=${base}`,
        '--tag',
        IMAGE,
        repositoryRoot,
      ],
      40 * MINUTE,
    );
    log(`image ready after ${Math.round((Date.now() - started) / 1000)} s`);
    // Earlier builds of the tag are left untagged; they are ours, and only take disk.
    await podman([
      'image',
      'prune',
      '--force',
      '--filter',
      'label=org.opencontainers.image.title=ComplyWise',
    ]).catch(() => '');

    if (process.env.COMPLYWISE_TEST_POSTGRES_URL) testDb = await createTestDatabase({ name: 'postgres' });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const suffix = `${process.pid}-${Date.now().toString(36)}`;
    const common = {
      COMPLYWISE_DEMO: '0',
      ...(testDb?.databaseUrl ? { DATABASE_URL: testDb.databaseUrl } : {}),
    };
    const api = await startContainer(`complywise-test-api-${suffix}`, {
      ...common,
      COMPLYWISE_ROLE: testDb ? 'api' : 'all',
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    await waitForOk(`${url}/api/health/ready`, 3 * MINUTE, () => stopped(api));
    if (testDb)
      await startContainer(`complywise-test-worker-${suffix}`, { ...common, COMPLYWISE_ROLE: 'worker' });
  }, 60 * MINUTE);

  afterAll(async () => {
    for (const id of containers) await podman(['rm', '--force', '--time', '5', id]).catch(() => '');
    await testDb?.drop();
  }, 2 * MINUTE);

  it('answers ready with its database', async (context) => {
    if (unavailable) return context.skip(unavailable);
    const response = await fetch(`${url}/api/health/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('serves the built web app at / and the API under /api', async (context) => {
    if (unavailable) return context.skip(unavailable);
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await index.text();
    expect(html).toMatch(/<html/i);
    // The SvelteKit client bundle the page loads is served from the image too.
    const asset = /["'](\/_app\/immutable\/[^"']+\.js)["']/.exec(html)?.[1];
    expect(asset, html).toBeDefined();
    expect((await fetch(`${url}${asset}`)).status).toBe(200);
    const me = await fetch(`${url}/api/me`);
    expect(me.status).toBe(401);
  });

  it('runs as a user other than root that cannot change its own code', async (context) => {
    if (unavailable) return context.skip(unavailable);
    const api = containers[0]!;
    const uid = await podman(['exec', api, 'id', '-u']);
    expect(uid).toMatch(/^\d+$/);
    expect(uid).not.toBe('0');
    await expect(podman(['exec', api, 'touch', '/opt/complywise/api/src/main.ts'])).rejects.toThrow(
      /Permission denied/,
    );
    // The data folder is its own.
    await podman(['exec', api, 'touch', '/var/lib/complywise/.written']);
  });

  it('starts a worker-only container on the same database (PostgreSQL only)', async (context) => {
    if (unavailable) return context.skip(unavailable);
    if (!testDb) return context.skip('needs COMPLYWISE_TEST_POSTGRES_URL: PGlite cannot be shared');
    const worker = containers[1]!;
    // Give it the time to migrate (nothing to do), connect and start its queue; it must still be running.
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await stopped(worker)).toBeNull();
    expect(await podman(['exec', worker, 'id', '-u'])).not.toBe('0');
  });
});
