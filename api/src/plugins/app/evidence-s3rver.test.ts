/**
 * S3EvidenceStore against a real S3-compatible server (s3rver, started here) through the real AWS SDK:
 * round trip under prefix/ab/sha256, write-once, and tampered bytes refused on read. s3rver does not honour
 * `If-None-Match: *` on PUT (it overwrites, unlike S3), so write-once here rests on the store's own HEAD
 * check; the 412 path of a lost race is covered against the wire-level fixture in evidence.test.ts.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type RunningS3rver } from '../../../test/s3rver.ts';
import { canonicalJson, sha256Hex } from '../../canonical.ts';
import { S3EvidenceStore } from './evidence.ts';

const BUCKET = 'cw-evidence';
const PREFIX = 'tenant-data/evidence/';

describe('S3 evidence store on s3rver (real SDK, real S3-compatible server)', () => {
  let s3: RunningS3rver;
  let store: S3EvidenceStore;
  const keyOf = (sha: string) => `${PREFIX}${sha.slice(0, 2)}/${sha}`;
  const read = async (key: string) => {
    const out = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return { bytes: Buffer.from(await out.Body!.transformToByteArray()), etag: out.ETag };
  };

  beforeAll(async () => {
    s3 = await startS3rver([BUCKET]);
    store = new S3EvidenceStore({ bucket: BUCKET, region: 'us-east-1', prefix: PREFIX, client: s3.client });
  });
  afterAll(async () => s3?.close());

  it('stores canonical JSON under prefix/ab/sha256 and reads back the same verified bytes', async () => {
    const bytes = Buffer.from(
      canonicalJson({ id: 'arn:aws:s3:::logs', attributes: { versioning: 'Enabled' } }),
    );
    const sha = await store.put(bytes);
    expect(sha).toBe(sha256Hex(bytes));
    const stored = await read(keyOf(sha));
    expect(stored.bytes.equals(bytes)).toBe(true);
    expect((await store.get(sha))?.equals(bytes)).toBe(true);
    expect(await store.get('e'.repeat(64))).toBeNull();
    await expect(store.get('../../secrets')).rejects.toThrow(/not a sha256/);
  });

  it('is write-once: a second put of the same sha256 leaves the stored object untouched', async () => {
    const bytes = Buffer.from(canonicalJson({ id: 'arn:aws:s3:::once', n: 1 }));
    const sha = await store.put(bytes);
    const key = keyOf(sha);
    const before = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    await new Promise((resolve) => setTimeout(resolve, 1100)); // Last-Modified has one-second resolution.
    expect(await store.put(bytes)).toBe(sha);
    await Promise.all([store.put(bytes), store.put(bytes)]);
    const after = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(after.LastModified?.getTime()).toBe(before.LastModified?.getTime());
    expect(after.ETag).toBe(before.ETag);
  });

  it('needs its own guard on this server: s3rver ignores If-None-Match and would overwrite', async () => {
    // Documents why the store checks with HEAD before writing: a bare conditional PUT is not enough here.
    const key = `${PREFIX}probe/if-none-match`;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first' }));
    await s3.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second', IfNoneMatch: '*' }),
    );
    expect((await read(key)).bytes.toString()).toBe('second');
  });

  it('refuses an object whose bytes were replaced in the bucket', async () => {
    const original = Buffer.from(canonicalJson({ id: 'arn:aws:s3:::tampered', public: false }));
    const sha = await store.put(original);
    // Someone with write access to the bucket swaps the content under the same key.
    await s3.client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: keyOf(sha),
        Body: canonicalJson({ id: 'x', public: true }),
      }),
    );
    await expect(store.get(sha)).rejects.toThrow(/does not match its hash/);
  });
});
