/**
 * The evidence store: content-addressed, write-once bytes named by their sha256. Evidence is the canonical
 * JSON (sorted keys) of the normalized resource snapshot a finding was computed from, so anyone holding the
 * bytes can recompute the hash. Which tenant may read which evidence lives in the `evidence` table (RLS);
 * the store only holds bytes.
 */
import { randomBytes } from 'node:crypto';
import { close, link, open, unlink, write } from 'node:fs';
import { mkdir, chmod, readFile, unlink as unlinkFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import fp from 'fastify-plugin';
import { sha256Hex } from '../../canonical.ts';
import type { EvidenceStoreConfig } from '../../config.ts';

/** Stores bytes under their sha256 and never overwrites them. */
export interface EvidenceStore {
  /**
   * Stores `bytes` (no-op when already there) and returns their lowercase hex sha256. `sha256` is for a
   * caller that has just hashed these very bytes (the scan pipeline hashes every snapshot to name it): the
   * store then does not hash them a second time.
   */
  put(bytes: Uint8Array, sha256?: string): Promise<string>;
  /** The bytes named `sha256`, or null when the store does not have them. */
  get(sha256: string): Promise<Buffer | null>;
  /**
   * Removes the bytes named `sha256` (no-op when absent). Only the retention job calls it, under the
   * exclusive evidence lock and after checking that no tenant records the hash any more.
   */
  delete(sha256: string): Promise<void>;
}

const SHA256 = /^[0-9a-f]{64}$/;

/** Stored bytes that no longer hash to their name: the store was tampered with or damaged. */
export class EvidenceCorruptedError extends Error {
  readonly sha256: string;
  constructor(sha256: string, where: string) {
    super(`evidence ${sha256} ${where} does not match its hash: its bytes were corrupted`);
    this.name = 'EvidenceCorruptedError';
    this.sha256 = sha256;
  }
}

function assertSha256(sha256: string): void {
  if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256.slice(0, 80)}`);
}

/**
 * Temp file names: this process's random prefix and a counter, unique across processes sharing the
 * directory without drawing random bytes for every file (a scan writes one file per resource).
 */
const tempPrefix = randomBytes(6).toString('hex');
let tempCount = 0;

/** Runs one callback-style file call; resolves with its error (null when it succeeded), never rejects. */
function settle(
  call: (done: (error: NodeJS.ErrnoException | null) => void) => void,
): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => call((error) => resolve(error)));
}

/**
 * Writes `bytes` to a file that must not exist yet, read-only. The callback calls rather than
 * fs/promises' writeFile: the same open, write and close, without a FileHandle and its promises per file.
 * A scan writes one file per resource; 10,000 puts 16 at a time took 0.62-0.88 s of user CPU that way
 * against 0.39-0.51 s this way (with the hash not taken twice and no random bytes per temp name).
 */
function writeNew(path: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, 'wx', 0o444, (opened, fd) => {
      if (opened) return reject(opened);
      const finish = (failed: NodeJS.ErrnoException | null) =>
        close(fd, (closed) => ((failed ?? closed) ? reject(failed ?? closed) : resolve()));
      let offset = 0;
      const rest = (): void => write(fd, bytes, offset, bytes.byteLength - offset, null, wrote);
      // A short write goes on from where it stopped; a write of nothing would never finish, so it fails.
      const wrote = (failed: NodeJS.ErrnoException | null, written: number): void => {
        offset += written;
        if (failed) finish(failed);
        else if (offset >= bytes.byteLength) finish(null);
        else if (written === 0) finish(Object.assign(new Error(`wrote nothing to ${path}`), { code: 'EIO' }));
        else rest();
      };
      if (bytes.byteLength === 0) finish(null);
      else rest();
    });
  });
}

/** Files at `${dir}/ab/abcd…`, written to a temp file then linked into place (atomic, never replaces). */
export class FilesystemEvidenceStore implements EvidenceStore {
  readonly #dir: string;
  /** Fan-out directories this store made or found: created once per process, not checked on every put. */
  readonly #made = new Set<string>();
  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(sha256: string): string {
    return join(this.#dir, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Uint8Array, sha256?: string): Promise<string> {
    // A name given is only checked for its shape (it becomes a path): hashing again is what it saves.
    if (sha256 === undefined) sha256 = sha256Hex(bytes);
    else assertSha256(sha256);
    const target = this.#path(sha256);
    const fanOut = join(this.#dir, sha256.slice(0, 2));
    if (!this.#made.has(fanOut)) {
      await mkdir(fanOut, { recursive: true });
      this.#made.add(fanOut);
    }
    const temp = `${target}.${tempPrefix}${(tempCount += 1).toString(36)}.tmp`;
    await writeNew(temp, bytes).catch(async (error: unknown) => {
      // The directory was removed since (an operator emptied the store): made again, once.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(fanOut, { recursive: true });
      await writeNew(temp, bytes);
    });
    // link() fails with EEXIST instead of replacing: the first writer wins, later writers had the same bytes.
    const linked = await settle((done) => link(temp, target, done));
    await settle((done) => unlink(temp, done));
    if (linked && linked.code !== 'EEXIST') throw linked;
    // Bytes already there, possibly from a writer that did not make them read-only.
    if (linked) await chmod(target, 0o444).catch(() => {});
    return sha256;
  }

  async get(sha256: string): Promise<Buffer | null> {
    assertSha256(sha256);
    try {
      const bytes = await readFile(this.#path(sha256));
      if (sha256Hex(bytes) !== sha256) throw new EvidenceCorruptedError(sha256, 'on disk');
      return bytes;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(sha256: string): Promise<void> {
    assertSha256(sha256);
    try {
      await unlinkFile(this.#path(sha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** Objects at `${prefix}ab/abcd…` in one bucket; written with If-None-Match so nothing is overwritten. */
export class S3EvidenceStore implements EvidenceStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  constructor(options: {
    bucket: string;
    region: string;
    endpoint?: string;
    prefix: string;
    client?: S3Client;
  }) {
    this.#client =
      options.client ??
      new S3Client({
        region: options.region,
        ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      });
    this.#bucket = options.bucket;
    this.#prefix = options.prefix;
  }

  #key(sha256: string): string {
    return `${this.#prefix}${sha256.slice(0, 2)}/${sha256}`;
  }

  async #exists(key: string): Promise<boolean> {
    try {
      await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || (error as S3ServiceException).$metadata?.httpStatusCode === 404)
        return false;
      throw error;
    }
  }

  async put(bytes: Uint8Array, sha256 = sha256Hex(bytes)): Promise<string> {
    const key = this.#key(sha256);
    if (await this.#exists(key)) return sha256;
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: key,
          Body: bytes,
          ContentType: 'application/json',
          ChecksumAlgorithm: 'SHA256',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      const status = (error as S3ServiceException).$metadata?.httpStatusCode;
      // 412: someone stored the same bytes first; 409: a concurrent conditional write is in progress.
      if (status !== 412 && status !== 409) throw error;
    }
    return sha256;
  }

  async get(sha256: string): Promise<Buffer | null> {
    assertSha256(sha256);
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(sha256) }),
      );
      const bytes = Buffer.from(await out.Body!.transformToByteArray());
      if (sha256Hex(bytes) !== sha256) throw new EvidenceCorruptedError(sha256, 'in the bucket');
      return bytes;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as S3ServiceException).$metadata?.httpStatusCode === 404)
        return null;
      throw error;
    }
  }

  async delete(sha256: string): Promise<void> {
    assertSha256(sha256);
    // S3 answers 204 whether or not the key existed.
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(sha256) }));
  }
}

/** The store the configuration names. */
export function createEvidenceStore(config: EvidenceStoreConfig): EvidenceStore {
  return config.kind === 's3' ? new S3EvidenceStore(config) : new FilesystemEvidenceStore(config.dir);
}

declare module 'fastify' {
  interface FastifyInstance {
    evidenceStore: EvidenceStore;
  }
}

/** Decorates `app.evidenceStore`: the bytes (which tenant may read them: api/src/evidence). */
export const evidencePlugin = fp<{ store: EvidenceStore }>(
  async (app, { store }) => {
    app.decorate('evidenceStore', store);
  },
  { name: 'evidence' },
);
