/**
 * A real S3-compatible server (@20minutes/s3rver, the maintained s3rver fork for Node 24) on a free port of
 * 127.0.0.1, storing objects in a temporary folder, with the buckets created up front. Tests point the real
 * AWS SDK at it, so signing, path-style addressing, checksums and error documents go over HTTP for real.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from '@20minutes/s3rver';

export interface RunningS3rver {
  url: string;
  /** A client signed with s3rver's built-in key pair. */
  client: S3Client;
  close(): Promise<void>;
}

/** Starts s3rver with `buckets` created. */
export async function startS3rver(buckets: string[]): Promise<RunningS3rver> {
  const directory = mkdtempSync(join(tmpdir(), 'cw-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const { port } = (await server.run()) as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: url,
    forcePathStyle: true,
    // s3rver's built-in account.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return {
    url,
    client,
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
