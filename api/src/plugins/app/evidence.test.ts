import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3ObjectServer, type S3ObjectServer } from '../../../test/s3-object-server.ts';
import { canonicalJson, sha256Hex } from '../../canonical.ts';
import { FilesystemEvidenceStore, S3EvidenceStore } from './evidence.ts';

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined, so equal values give equal bytes', () => {
    const one = canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined });
    const two = canonicalJson({ a: { c: null, d: [3, { y: 2, z: 1 }] }, b: 1 });
    expect(one).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(two).toBe(one);
  });
});

describe('filesystem evidence store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-evidence-'));
  const store = new FilesystemEvidenceStore(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores bytes under their sha256 at ab/abcd… and reads them back', async () => {
    const bytes = Buffer.from(
      canonicalJson({ id: 'arn:aws:s3:::bucket', attributes: { versioning: 'Enabled' } }),
    );
    const sha = await store.put(bytes);
    expect(sha).toBe(createHash('sha256').update(bytes).digest('hex'));
    const file = join(dir, sha.slice(0, 2), sha);
    expect(statSync(file).size).toBe(bytes.length);
    expect(statSync(file).mode & 0o222).toBe(0); // read-only once written
    expect((await store.get(sha))?.equals(bytes)).toBe(true);
    expect(await store.get('0'.repeat(64))).toBeNull();
    await expect(store.get('../../etc/passwd')).rejects.toThrow(/not a sha256/);
  });

  it('is write-once: a second put of the same bytes keeps the file and leaves no temp files', async () => {
    const bytes = Buffer.from('{"same":true}');
    const sha = await store.put(bytes);
    const file = join(dir, sha.slice(0, 2), sha);
    const inode = statSync(file).ino;
    await Promise.all([store.put(bytes), store.put(bytes), store.put(bytes)]);
    expect(statSync(file).ino).toBe(inode);
    expect(readdirSync(join(dir, sha.slice(0, 2)))).toEqual([sha]);
  });

  it('takes the hash a caller has just computed, and refuses one that is not a sha256', async () => {
    const bytes = Buffer.from(canonicalJson({ id: 'given', attributes: { n: 1 } }));
    const sha = sha256Hex(bytes);
    expect(await store.put(bytes, sha)).toBe(sha);
    expect((await store.get(sha))?.equals(bytes)).toBe(true);
    await expect(store.put(bytes, '../../etc/passwd')).rejects.toThrow(/not a sha256/);
    await expect(store.put(bytes, sha.toUpperCase())).rejects.toThrow(/not a sha256/);
  });

  it('writes large and empty snapshots whole, and makes a removed fan-out directory again', async () => {
    const large = Buffer.alloc(5 * 1024 * 1024 + 3, 'x');
    const sha = await store.put(large);
    expect(statSync(join(dir, sha.slice(0, 2), sha)).size).toBe(large.length);
    expect((await store.get(sha))?.equals(large)).toBe(true);

    const empty = Buffer.alloc(0);
    const emptySha = await store.put(empty);
    expect(emptySha).toBe(sha256Hex(empty));
    expect((await store.get(emptySha))?.length).toBe(0);

    // An operator emptied the store while this process still remembers the directory as made.
    rmSync(join(dir, sha.slice(0, 2)), { recursive: true, force: true });
    expect(await store.get(sha)).toBeNull();
    expect(await store.put(large, sha)).toBe(sha);
    expect((await store.get(sha))?.equals(large)).toBe(true);
    expect(readdirSync(join(dir, sha.slice(0, 2)))).toEqual([sha]);
  });

  it('refuses to serve bytes that no longer match their name', async () => {
    const sha = await store.put(Buffer.from('{"x":1}'));
    const file = join(dir, sha.slice(0, 2), sha);
    chmodSync(file, 0o644);
    writeFileSync(file, '{"x":2}');
    await expect(store.get(sha)).rejects.toThrow(/corrupted/);
    expect(sha256Hex(Buffer.from('{"x":1}'))).toBe(sha);
  });
});

describe('S3 evidence store (real SDK over HTTP)', () => {
  let server: S3ObjectServer;
  let store: S3EvidenceStore;
  beforeAll(async () => {
    server = await startS3ObjectServer();
    store = new S3EvidenceStore({
      bucket: 'evidence-bucket',
      region: 'us-east-1',
      endpoint: server.url,
      prefix: 'evidence/',
      client: new S3Client({
        region: 'us-east-1',
        endpoint: server.url,
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' },
      }),
    });
  });
  afterAll(async () => server?.close());

  it('writes once under prefix/ab/sha256 with If-None-Match and reads back verified bytes', async () => {
    const bytes = Buffer.from(canonicalJson({ id: 'arn:aws:s3:::b', attributes: {} }));
    const sha = await store.put(bytes);
    expect(sha).toBe(sha256Hex(bytes));
    const key = `evidence-bucket/evidence/${sha.slice(0, 2)}/${sha}`;
    expect(server.objects.get(key)?.equals(bytes)).toBe(true);
    expect((await store.get(sha))?.equals(bytes)).toBe(true);

    // A second put finds the object and does not write again.
    const puts = () => server.requests.filter((r) => r.startsWith('PUT')).length;
    const before = puts();
    await store.put(bytes);
    expect(puts()).toBe(before);
    expect(await store.get('f'.repeat(64))).toBeNull();
  });

  it('treats a lost race (412 on If-None-Match) as stored, and never overwrites', async () => {
    const first = Buffer.from('{"race":true}');
    const sha = sha256Hex(first);
    const key = `evidence-bucket/evidence/${sha.slice(0, 2)}/${sha}`;
    // Another writer stored the object between this store's HEAD (which misses) and its PUT.
    server.objects.set(key, first);
    server.hiddenFromHead.add(key);
    expect(await store.put(first)).toBe(sha);
    expect(server.requests).toContain(`PUT /${key} 412`);
    expect(server.objects.get(key)).toBe(first); // the very same Buffer: not rewritten
  });

  it('refuses bytes in the bucket that do not match their name', async () => {
    const sha = sha256Hex(Buffer.from('{"a":1}'));
    server.objects.set(`evidence-bucket/evidence/${sha.slice(0, 2)}/${sha}`, Buffer.from('{"a":2}'));
    await expect(store.get(sha)).rejects.toThrow(/does not match/);
  });
});
