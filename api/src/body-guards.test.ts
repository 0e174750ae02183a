/**
 * Client mistakes that used to answer 500 or a reset connection, on every backend: a body nested thousands of
 * levels deep, a YAML alias bomb and an XML entity bomb in a framework upload, and a body far over the limit
 * sent by a real HTTP client that must read the 413 before the connection closes.
 */
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../test/helpers.ts';
import { canonicalJson } from './canonical.ts';

/** `{"a":{"a":…}}` nested `depth` levels, as text (JSON.stringify itself would recurse). */
const nestedJson = (depth: number, leaf = '1') => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;

describe('canonicalJson on deep input', () => {
  it('refuses a value nested 6,000 levels deep with a clear error instead of overflowing the stack', () => {
    const deep = JSON.parse(nestedJson(6000)) as unknown;
    expect(() => canonicalJson(deep)).toThrow(/nests deeper than 512 levels \(at \/a\/a\//);
    expect(canonicalJson(JSON.parse(nestedJson(100)))).toBe(nestedJson(100));
  });
});

describe.each(databaseBackends())('body guards on $name', (backend) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(backend);
    const admin = await seedTenant(t.database.knex, { slug: 'guards' });
    token = (await login(t.app, admin.email, admin.password)).access_token;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers a 6,000-level nested manual-evidence note with 400 BODY_TOO_DEEP and the path', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/evidence/manual',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      payload: `{"control_id":"IAM-01","verdict":"pass","note":${nestedJson(6000)}}`,
    });
    expect(response.statusCode, response.body).toBe(400);
    const error = response.json().error;
    expect(error.code).toBe('BODY_TOO_DEEP');
    expect(error.details.path).toMatch(/^\/note(\/a){63}$/);
    expect(error.message).toContain('64 levels');
  });

  it('answers a YAML alias bomb in a framework upload with 400', async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ...Array.from({ length: 8 }, (_v, i) => {
        const prev = String.fromCharCode(97 + i);
        const next = String.fromCharCode(98 + i);
        return `${next}: &${next} [${Array(9).fill(`*${prev}`).join(',')}]`;
      }),
    ].join('\n');
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/frameworks',
      headers: bearer(token),
      payload: { format: 'yaml', content: bomb },
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.message).toMatch(/alias/i);
  });

  it('answers an XML entity bomb in an OSCAL upload with 400', async () => {
    const entities = ['<!ENTITY e0 "lol">'];
    for (let i = 1; i < 10; i += 1) entities.push(`<!ENTITY e${i} "${`&e${i - 1};`.repeat(10)}">`);
    const content = `<?xml version="1.0"?><!DOCTYPE catalog [${entities.join('')}]><catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="x"><metadata><title>&e9;</title></metadata></catalog>`;
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/frameworks',
      headers: bearer(token),
      payload: { format: 'oscal', content, framework_id: 'bomb', framework_version: '1', title: 'Bomb' },
    });
    expect(response.statusCode, response.body).toBe(400);
  });

  it('lets a client that reads only after sending read the 413 of a 10 MB body', async () => {
    // Like curl or a blocking client: the whole body is written before the answer is read. A server that
    // closes the connection while the body is still arriving resets it, and the unread 413 is lost.
    const { port } = t.app.server.address() as AddressInfo;
    const body = Buffer.alloc(10 * 1024 * 1024, 'a');
    for (const declared of [true, false]) {
      const head = [
        'POST /api/scans HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        `authorization: Bearer ${token}`,
        'content-type: application/json',
        declared ? `content-length: ${body.length}` : 'transfer-encoding: chunked',
        '',
        '',
      ].join('\r\n');
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let text = '';
        socket.pause();
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (/\r\n\r\n[\s\S]*\}$/.test(text)) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', () => resolve(text));
        socket.on('close', () => resolve(text));
        socket.write(head);
        const payload = declared
          ? body
          : Buffer.concat([
              Buffer.from(`${body.length.toString(16)}\r\n`),
              body,
              Buffer.from('\r\n0\r\n\r\n'),
            ]);
        socket.write(payload, () => setTimeout(() => socket.resume(), 200));
      });
      expect(answer, declared ? 'content-length' : 'chunked').toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('"code":"PAYLOAD_TOO_LARGE"');
    }
  });
});
