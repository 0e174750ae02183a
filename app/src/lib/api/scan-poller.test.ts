import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from './client.ts';
import { fetchWithCookieJar, scanIn, startFixtureServer, type FixtureServer } from './fixture-server.ts';
import { isScanFinished, sleep, waitForScan } from './scan-poller.ts';
import type { Scan } from './types.ts';

let server: FixtureServer;
let api: ApiClient;
beforeAll(async () => {
  server = await startFixtureServer();
  api = createApiClient({ baseUrl: server.url, fetch: fetchWithCookieJar() });
  await api.login('ada@example.test', 'right');
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.state.scanReads = 0;
});

describe('waitForScan', () => {
  it('reads the scan until it succeeded and reports every state on the way', async () => {
    server.state.scanReplies = [
      { status: 200, body: scanIn('queued') },
      { status: 200, body: scanIn('running') },
      { status: 200, body: scanIn('succeeded', { bundle_revision: 'rev-1' }) },
    ];
    const seen: Scan['status'][] = [];
    const last = await waitForScan(api.getScan, 's-1', {
      intervalMs: 5,
      onUpdate: (s) => seen.push(s.status),
    });
    expect(last).toMatchObject({ status: 'succeeded', bundle_revision: 'rev-1' });
    expect(seen).toEqual(['queued', 'running', 'succeeded']);
    expect(server.state.scanReads).toBe(3);
  });

  it('returns a failed scan with its failure and errors', async () => {
    const errors = [
      {
        provider: 'aws',
        operation: 's3:GetBucketPolicyStatus',
        code: 'AccessDenied',
        message: 'denied',
        missing_permission: 's3:GetBucketPolicyStatus',
      },
    ];
    server.state.scanReplies = [
      {
        status: 200,
        body: scanIn('failed', { failure: { code: 'InvalidAccessKeyId', message: 'bad key' }, errors }),
      },
    ];
    const last = await waitForScan(api.getScan, 's-1', { intervalMs: 5 });
    expect(last.status).toBe('failed');
    expect(last.errors).toEqual(errors);
  });

  it('rides out a transient server error', async () => {
    server.state.scanReplies = [
      { status: 200, body: scanIn('running') },
      { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'restarting' } } },
      { status: 200, body: scanIn('succeeded') },
    ];
    await expect(waitForScan(api.getScan, 's-1', { intervalMs: 5 })).resolves.toMatchObject({
      status: 'succeeded',
    });
  });

  it('gives up after too many failed reads in a row', async () => {
    server.state.scanReplies = [
      { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'down' } } },
    ];
    await expect(
      waitForScan(api.getScan, 's-1', { intervalMs: 1, maxConsecutiveFailures: 2 }),
    ).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(server.state.scanReads).toBe(3);
  });

  it('throws at once when the scan does not exist', async () => {
    server.state.scanReplies = [
      { status: 404, body: { error: { code: 'SCAN_NOT_FOUND', message: 'no such scan' } } },
    ];
    await expect(waitForScan(api.getScan, 'nope', { intervalMs: 1 })).rejects.toMatchObject({
      code: 'SCAN_NOT_FOUND',
    });
    expect(server.state.scanReads).toBe(1);
  });

  it('stops when the signal fires', async () => {
    server.state.scanReplies = [{ status: 200, body: scanIn('running') }];
    const controller = new AbortController();
    const waiting = waitForScan(api.getScan, 's-1', {
      intervalMs: 10_000,
      signal: controller.signal,
      onUpdate: () => controller.abort(),
    });
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('does not report an answer that arrives after the signal fired', async () => {
    server.state.scanReplies = [{ status: 200, body: scanIn('succeeded') }];
    const controller = new AbortController();
    const updates: Scan[] = [];
    // The caller gives up while the read is in flight: the answer still arrives, and must be dropped.
    const lateRead = (id: string, signal?: AbortSignal) =>
      api.getScan(id, signal).then((scan) => {
        controller.abort();
        return scan;
      });
    await expect(
      waitForScan(lateRead, 's-1', { signal: controller.signal, onUpdate: (s) => updates.push(s) }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(updates).toEqual([]);
  });
});

describe('isScanFinished', () => {
  it('is true for succeeded, failed and cancelled only', () => {
    expect(
      ['queued', 'running', 'succeeded', 'failed', 'cancelled'].map((status) =>
        isScanFinished({ status: status as Scan['status'] }),
      ),
    ).toEqual([false, false, true, true, true]);
  });
});

describe('sleep', () => {
  it('rejects at once when the signal already fired', async () => {
    await expect(sleep(10_000, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
