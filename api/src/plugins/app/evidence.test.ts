import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilesystemEvidenceStore, canonicalJson, sha256Hex } from './evidence.ts';

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

  it('refuses to serve bytes that no longer match their name', async () => {
    const sha = await store.put(Buffer.from('{"x":1}'));
    const file = join(dir, sha.slice(0, 2), sha);
    chmodSync(file, 0o644);
    writeFileSync(file, '{"x":2}');
    await expect(store.get(sha)).rejects.toThrow(/corrupted/);
    expect(sha256Hex(Buffer.from('{"x":1}'))).toBe(sha);
  });
});
