/**
 * The evidence store: content-addressed, write-once bytes named by their sha256. Evidence is the canonical
 * JSON (sorted keys) of the normalized resource snapshot a finding was computed from, so anyone holding the
 * bytes can recompute the hash. Which tenant may read which evidence lives in the `evidence` table (RLS);
 * the store only holds bytes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, chmod, link, readFile, unlink, writeFile } from 'node:fs/promises';
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
import type { Knex } from 'knex';
import { chunks } from '../../batch.ts';
import { canonicalJson, sha256Hex } from '../../canonical.ts';
import type { EvidenceStoreConfig } from '../../config.ts';
import { ApiError } from '../../errors.ts';
import type { WithTenant } from './tenancy.ts';

/** Stores bytes under their sha256 and never overwrites them. */
export interface EvidenceStore {
  /** Stores `bytes` (no-op when already there) and returns their lowercase hex sha256. */
  put(bytes: Uint8Array): Promise<string>;
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

/** Files at `${dir}/ab/abcd…`, written to a temp file then linked into place (atomic, never replaces). */
export class FilesystemEvidenceStore implements EvidenceStore {
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
  }

  #path(sha256: string): string {
    return join(this.#dir, sha256.slice(0, 2), sha256);
  }

  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = sha256Hex(bytes);
    const target = this.#path(sha256);
    await mkdir(join(this.#dir, sha256.slice(0, 2)), { recursive: true });
    const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(temp, bytes, { flag: 'wx', mode: 0o444 });
    try {
      // link() fails with EEXIST instead of replacing: the first writer wins, later writers had the same bytes.
      await link(temp, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp).catch(() => {});
    }
    await chmod(target, 0o444).catch(() => {});
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
      await unlink(this.#path(sha256));
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

  async put(bytes: Uint8Array): Promise<string> {
    const sha256 = sha256Hex(bytes);
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

/**
 * Transaction-scoped advisory locks on evidence hashes (sorted, so two lockers never deadlock). A writer that
 * records bytes takes them shared until its evidence rows commit; the retention job takes one exclusive
 * before it deletes bytes no tenant records, so it never removes bytes a row is about to name.
 */
export async function lockEvidence(
  trx: Knex.Transaction,
  sha256s: string[],
  mode: 'shared' | 'exclusive',
): Promise<void> {
  if (sha256s.length === 0) return;
  const fn = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await trx.raw(`select ${fn}(hashtextextended('evidence:' || sha, 0)) from unnest(?::text[]) as sha`, [
    [...new Set(sha256s)].sort(),
  ]);
}

/** An `evidence` row: the tenant records these bytes. */
export interface EvidenceRow {
  tenant_id: string;
  sha256: string;
  size: number;
  content_type: string;
}

/** Records evidence rows for their tenant, once per (tenant, sha256); returns the sha256s newly recorded. */
export async function insertEvidenceRows(
  trx: Knex.Transaction,
  rows: readonly EvidenceRow[],
): Promise<string[]> {
  const added: string[] = [];
  for (const batch of chunks(rows)) {
    const inserted = (await trx('evidence')
      .insert(batch)
      .onConflict(['tenant_id', 'sha256'])
      .ignore()
      .returning('sha256')) as { sha256: string }[];
    added.push(...inserted.map((row) => row.sha256));
  }
  return added;
}

/** The store the configuration names. */
export function createEvidenceStore(config: EvidenceStoreConfig): EvidenceStore {
  return config.kind === 's3' ? new S3EvidenceStore(config) : new FilesystemEvidenceStore(config.dir);
}

export const EVIDENCE_CONTENT_TYPE = 'application/json';

/**
 * Stores `value` as canonical JSON evidence and records it for the tenant (idempotent). `trx` must be scoped
 * to `tenantId`. Returns the sha256.
 */
export async function recordEvidence(
  trx: Knex.Transaction,
  store: EvidenceStore,
  tenantId: string,
  value: unknown,
): Promise<string> {
  const bytes = Buffer.from(canonicalJson(value), 'utf8');
  await lockEvidence(trx, [sha256Hex(bytes)], 'shared');
  const sha256 = await store.put(bytes);
  await trx('evidence')
    .insert({ tenant_id: tenantId, sha256, size: bytes.length, content_type: EVIDENCE_CONTENT_TYPE })
    .onConflict(['tenant_id', 'sha256'])
    .ignore();
  return sha256;
}

export interface EvidenceView {
  sha256: string;
  size: number;
  content_type: string;
  created_at: Date;
  /** The parsed canonical JSON. */
  content: unknown;
}

/** Reads evidence for a tenant: only what its `evidence` rows name (RLS), bytes from the store. */
export class EvidenceService {
  readonly #withTenant: WithTenant;
  readonly #store: EvidenceStore;
  constructor(withTenant: WithTenant, store: EvidenceStore) {
    this.#withTenant = withTenant;
    this.#store = store;
  }

  async read(tenantId: string, sha256: string): Promise<EvidenceView> {
    const row = await this.#withTenant(tenantId, (trx) =>
      trx('evidence').select('sha256', 'size', 'content_type', 'created_at').where({ sha256 }).first(),
    );
    if (!row) throw new ApiError('EVIDENCE_NOT_FOUND', `no evidence ${sha256}`);
    const bytes = await this.#store.get(sha256);
    if (!bytes) throw new Error(`evidence ${sha256} is recorded but missing from the store`);
    return { ...row, content: JSON.parse(bytes.toString('utf8')) };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    evidenceStore: EvidenceStore;
    evidence: EvidenceService;
  }
}

/** Decorates `app.evidenceStore` (bytes) and `app.evidence` (tenant-scoped reads). */
export const evidencePlugin = fp<{ store: EvidenceStore }>(
  async (app, { store }) => {
    app.decorate('evidenceStore', store);
    app.decorate('evidence', new EvidenceService(app.withTenant, store));
  },
  { name: 'evidence', dependencies: ['tenancy'] },
);
