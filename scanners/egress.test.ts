// The egress guard: URL settings and connections refused for internal addresses, with the usual
// bypasses. No test sends a packet off the machine: names resolve through an injected resolver to
// loopback or private addresses only, and every listener is on 127.0.0.1 and counts its connections.
import { request as httpRequest, type Agent } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  checkUrlSetting,
  egressPolicy,
  EgressDeniedError,
  guardedAgents,
  guardedFetch,
  isInternalAddress,
  parseEgressAllowList,
  type Resolve,
} from './egress.ts';
import { installLoopbackOnly, type LoopbackTripwire } from './loopback-only.ts';
import { PROVIDERS } from './registry.ts';

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

/** Test DNS: names under .test resolve as listed; anything else is an error (never the real resolver). */
const NAMES: Record<string, string> = {
  'internal.test': '10.1.2.3',
  'metadata.test': '169.254.169.254',
  'loop.test': '127.0.0.1',
  'allowed.test': '127.0.0.1',
  localhost: '127.0.0.1',
};
const resolve: Resolve = async (hostname) => {
  const address = NAMES[hostname];
  if (!address) throw Object.assign(new Error(`test resolver: ${hostname} unknown`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

/** A listener on loopback that counts the connections it receives and answers each with `answer`. */
interface Listener {
  port: number;
  connections: number;
  server: Server;
}
const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => new Promise((done) => l.server.close(done))));
});
async function listen(
  answer: (port: number) => string = () => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok',
): Promise<Listener> {
  const listener = { port: 0, connections: 0, server: createServer() };
  listener.server.on('connection', (socket) => {
    listener.connections += 1;
    socket.once('data', () => socket.end(answer(listener.port)));
  });
  await new Promise<void>((done) => listener.server.listen(0, '127.0.0.1', done));
  listener.port = (listener.server.address() as AddressInfo).port;
  listeners.push(listener);
  return listener;
}

const GITHUB = { key: 'baseUrl', publicHosts: ['api.github.com'] };

describe('isInternalAddress', () => {
  it('refuses loopback, private, link-local, multicast, unspecified and mapped forms; allows public ones', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:a9fe:a9fe',
      'fd00:ec2::254',
      'fe80::1',
      'ff02::1',
      '64:ff9b::a9fe:a9fe',
      'not-an-address',
    ])
      expect([address, isInternalAddress(address)]).toEqual([address, true]);
    for (const address of ['140.82.112.6', '52.94.236.248', '2606:50c0:8000::154'])
      expect([address, isInternalAddress(address)]).toEqual([address, false]);
  });
});

describe('checkUrlSetting', () => {
  const policy = egressPolicy([], resolve);

  it('allows the public service over https, and refuses every bypass of it', () => {
    expect(() => checkUrlSetting(policy, GITHUB, 'https://api.github.com')).not.toThrow();
    for (const value of [
      'http://api.github.com',
      'https://127.1/',
      'https://0x7f000001/',
      'https://2130706433/',
      'https://0.0.0.0/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:169.254.169.254]/',
      'https://169.254.169.254/latest/meta-data/',
      'https://localhost./',
      'https://api.github.com@127.0.0.1/',
      'https://user:pass@api.github.com/',
      'https://api.github.com.internal.test/',
      'file:///etc/passwd',
      'not a url',
    ])
      expect(() => checkUrlSetting(policy, GITHUB, value), value).toThrow(EgressDeniedError);
  });

  it('allows what the operator allowlists, host or host:port, wildcard subdomains', () => {
    const operator = egressPolicy('ghe.corp.example, 127.0.0.1:4599, *.sandbox.example:8443', resolve);
    expect(() => checkUrlSetting(operator, GITHUB, 'http://ghe.corp.example/api/v3')).not.toThrow();
    expect(() => checkUrlSetting(operator, GITHUB, 'http://127.0.0.1:4599')).not.toThrow();
    expect(() => checkUrlSetting(operator, GITHUB, 'https://a.sandbox.example:8443')).not.toThrow();
    expect(() => checkUrlSetting(operator, GITHUB, 'http://127.0.0.1:4600')).toThrow(EgressDeniedError);
    expect(() => checkUrlSetting(operator, GITHUB, 'https://a.sandbox.example')).toThrow(EgressDeniedError);
    expect(() => checkUrlSetting(operator, GITHUB, 'https://evilsandbox.example:8443')).toThrow(
      EgressDeniedError,
    );
  });

  it('refuses an allowlist entry that is not host or host:port', () => {
    expect(() => parseEgressAllowList('http://x.example/')).toThrow(RangeError);
    expect(parseEgressAllowList(' A.example , ,[::1]:80')).toEqual(['a.example', '[::1]:80']);
  });

  it('guards every URL setting every provider declares', () => {
    for (const provider of Object.values(PROVIDERS)) {
      expect(provider.urlSettings.length, provider.id).toBeGreaterThan(0);
      for (const setting of provider.urlSettings) {
        const label = `${provider.id} ${setting.key}`;
        expect(provider.keys.config, label).toContain(setting.key);
        for (const value of [
          'http://169.254.169.254/',
          'https://127.1:9/',
          'https://[::1]/',
          'https://internal.test/',
        ])
          expect(() => checkUrlSetting(policy, setting, value), `${label} ${value}`).toThrow(
            EgressDeniedError,
          );
      }
    }
  });
});

describe('guarded connections', () => {
  /** GET through an agent; resolves with the status or rejects with the connection error. */
  function get(url: string, agent: Agent): Promise<number> {
    return new Promise((done, fail) => {
      const req = httpRequest(url, { agent }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end();
    });
  }

  it('refuses loopback and internal targets after resolution, and opens no socket to them', async () => {
    const victim = await listen();
    const { httpAgent: http } = guardedAgents(egressPolicy([], resolve));
    for (const host of [
      '127.0.0.1',
      '127.1',
      '0x7f000001',
      '2130706433',
      '[::ffff:127.0.0.1]',
      'loop.test',
      'localhost.',
    ]) {
      const error = await get(`http://${host}:${victim.port}/`, http).catch((e: unknown) => e);
      expect([host, (error as { code?: string }).code]).toEqual([host, 'EGRESS_DENIED']);
    }
    expect(victim.connections).toBe(0);
  });

  it('connects to an allowlisted host (a local sandbox) through the same agent', async () => {
    const sandbox = await listen();
    const { httpAgent: http } = guardedAgents(egressPolicy(`allowed.test:${sandbox.port}`, resolve));
    expect(await get(`http://allowed.test:${sandbox.port}/`, http)).toBe(200);
    expect(sandbox.connections).toBe(1);
  });

  it('fetch through the dispatcher: refuses a redirect from an allowed host to an internal one', async () => {
    const victim = await listen();
    const redirecting = await listen(
      () =>
        `HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:${victim.port}/latest/meta-data/\r\ncontent-length: 0\r\n\r\n`,
    );
    const fetch = guardedFetch(egressPolicy(`allowed.test:${redirecting.port}`, resolve));
    const error = await fetch(`http://allowed.test:${redirecting.port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as Error).cause as { code?: string }).code).toBe('EGRESS_DENIED');
    expect(redirecting.connections).toBe(1);
    expect(victim.connections).toBe(0);
    const internal = await fetch('http://internal.test/').catch((e: unknown) => e);
    expect(((internal as Error).cause as { code?: string }).code).toBe('EGRESS_DENIED');
  });
});
