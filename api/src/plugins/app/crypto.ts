/**
 * Credential encryption. Integration secrets are sealed with AES-256-GCM under a per-tenant data key (random
 * 32 bytes); each data key is itself sealed ("wrapped") by the master key through a KeyProvider, so a KMS can
 * replace the local master key later. The AAD binds every ciphertext to its tenant, integration and key
 * version: a ciphertext copied to another row or tenant does not decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fp from 'fastify-plugin';
import type { Knex } from 'knex';
import { insertTenantKeyIfAbsent, tenantKey, type TenantKeyRow, type WrappedKey } from '../../keys/store.ts';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** An AES-256-GCM result, each part base64. */
export interface SealedBox {
  ciphertext: string;
  iv: string;
  tag: string;
}

/** Thrown when a box does not open: wrong key, tampered ciphertext/tag/iv, or another AAD. */
export class DecryptionError extends Error {
  constructor(message = 'ciphertext could not be authenticated') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** Seals `plaintext` with a fresh 12-byte IV; the AAD is authenticated, not stored. */
export function seal(key: Buffer, plaintext: Buffer, aad: Buffer): SealedBox {
  if (key.length !== KEY_BYTES) throw new Error('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    ciphertext: ciphertext.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Opens a box sealed by `seal` with the same key and AAD, or throws DecryptionError. */
export function open(key: Buffer, box: SealedBox, aad: Buffer): Buffer {
  const iv = Buffer.from(box.iv, 'base64');
  const tag = Buffer.from(box.tag, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError('malformed iv or tag');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(box.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}

/**
 * Wraps and unwraps data keys under a master key: the local provider (key files or variables, several
 * versions) or a KMS (kms-key-provider.ts). Every wrapped key is stored with the id of the master key that
 * wrapped it, so older master keys stay usable for unwrapping while a rotation moves rows to the current one.
 */
export interface KeyProvider {
  /** The current master key's id (new wraps use it), stored beside each wrapped key. */
  readonly id: string;
  /** Wraps under the current master key; `context` is authenticated (AAD or KMS encryption context). */
  wrapKey(dataKey: Buffer, context: string): Promise<SealedBox>;
  /** Unwraps a key wrapped under `masterKeyId` (default: the current one); DecryptionError when it does not open. */
  unwrapKey(wrapped: SealedBox, context: string, masterKeyId?: string): Promise<Buffer>;
  /** A fresh 32-byte data key, in clear and wrapped under the current master key (KMS: GenerateDataKey). */
  generateDataKey(context: string): Promise<{ plaintext: Buffer; wrapped: SealedBox }>;
}

const LOCAL_ID = /^local-v([1-9]\d*)$/;

/** The id of local master key version `version`. */
export const localKeyId = (version: number): string => `local-v${version}`;

/**
 * KeyProvider over 32-byte master keys held in memory, by version; the highest version is current. An
 * unknown version is looked up again through `reload` (a version added while the process runs).
 */
export class LocalKeyProvider implements KeyProvider {
  #keys: Map<number, Buffer>;
  readonly #reload: (() => Map<number, Buffer>) | undefined;
  constructor(masterKeys: Buffer | Map<number, Buffer>, reload?: () => Map<number, Buffer>) {
    this.#keys = Buffer.isBuffer(masterKeys) ? new Map([[1, masterKeys]]) : new Map(masterKeys);
    if (this.#keys.size === 0) throw new Error('at least one master key is needed');
    for (const key of this.#keys.values()) {
      if (key.length !== KEY_BYTES) throw new Error('the master key must be 32 bytes');
    }
    this.#reload = reload;
  }
  get id(): string {
    return localKeyId(Math.max(...this.#keys.keys()));
  }
  #key(masterKeyId: string): Buffer {
    const version = Number(LOCAL_ID.exec(masterKeyId)?.[1]);
    let key = this.#keys.get(version);
    if (!key && this.#reload) {
      this.#keys = this.#reload();
      key = this.#keys.get(version);
    }
    if (!key) throw new DecryptionError(`the master key ${masterKeyId} is not available`);
    return key;
  }
  async wrapKey(dataKey: Buffer, context: string): Promise<SealedBox> {
    return seal(this.#key(this.id), dataKey, Buffer.from(context, 'utf8'));
  }
  async unwrapKey(wrapped: SealedBox, context: string, masterKeyId = this.id): Promise<Buffer> {
    return open(this.#key(masterKeyId), wrapped, Buffer.from(context, 'utf8'));
  }
  async generateDataKey(context: string): Promise<{ plaintext: Buffer; wrapped: SealedBox }> {
    const plaintext = randomBytes(KEY_BYTES);
    return { plaintext, wrapped: await this.wrapKey(plaintext, context) };
  }
}

/**
 * Reads a base64 secret of `bytes` length from `fromEnv`, else from `file`, creating the file (mode 0600,
 * never overwritten) with random bytes when it does not exist.
 */
export function loadOrCreateSecret(
  fromEnv: string | undefined,
  file: string,
  bytes: number,
  name: string,
): Buffer {
  if (fromEnv !== undefined) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.length !== bytes) throw new Error(`${name} must be base64 of exactly ${bytes} bytes`);
    return key;
  }
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomBytes(bytes).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  chmodSync(file, 0o600);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== bytes) throw new Error(`${file} does not hold base64 of ${bytes} bytes`);
  return key;
}

const VERSION_FILE = /^master-v([1-9]\d*)\.key$/;

/**
 * Every local master key version: version 1 from COMPLYWISE_MASTER_KEY (config.masterKey) or
 * `${dataDir}/master.key` (created on first use), version n from `${dataDir}/master-v<n>.key` (see
 * `newLocalMasterKeyVersion`). Files are read again when a row names a version not loaded yet.
 */
export function localKeyProvider(options: { masterKey?: string; dataDir: string }): LocalKeyProvider {
  const load = (): Map<number, Buffer> => {
    const keys = new Map<number, Buffer>([
      [
        1,
        loadOrCreateSecret(
          options.masterKey,
          join(options.dataDir, 'master.key'),
          KEY_BYTES,
          'COMPLYWISE_MASTER_KEY',
        ),
      ],
    ]);
    // With COMPLYWISE_MASTER_KEY set the data dir may not exist: then there are no version files either.
    const names = existsSync(options.dataDir) ? readdirSync(options.dataDir) : [];
    for (const name of names) {
      const version = Number(VERSION_FILE.exec(name)?.[1]);
      if (version > 1) {
        keys.set(version, loadOrCreateSecret(undefined, join(options.dataDir, name), KEY_BYTES, name));
      }
    }
    return keys;
  };
  return new LocalKeyProvider(load(), load);
}

/** Creates `${dataDir}/master-v<n+1>.key` (mode 0600) after the highest version present; returns n+1. */
export function newLocalMasterKeyVersion(options: { masterKey?: string; dataDir: string }): number {
  const next = Number(LOCAL_ID.exec(localKeyProvider(options).id)?.[1]) + 1;
  loadOrCreateSecret(
    undefined,
    join(options.dataDir, `master-v${next}.key`),
    KEY_BYTES,
    `master key v${next}`,
  );
  return next;
}

/** AAD of an integration's credentials: binds tenant, integration and data-key version. */
export function credentialsAad(tenantId: string, integrationId: string, keyVersion: number): Buffer {
  return Buffer.from(
    `complywise/integration-credentials/v1|tenant=${tenantId}|integration=${integrationId}|key=${keyVersion}`,
    'utf8',
  );
}

/** Context (AAD) of a tenant's wrapped data key. */
export function dataKeyContext(tenantId: string, keyVersion: number): string {
  return `complywise/tenant-data-key/v1|tenant=${tenantId}|key=${keyVersion}`;
}

/** The encrypted-credential columns of an integration row. */
export interface EncryptedCredentials {
  credentials_ciphertext: string;
  credentials_iv: string;
  credentials_tag: string;
  key_version: number;
}

/** How a data key wrapped under master key `masterKeyId` is stored. */
export function wrappedKeyColumns(masterKeyId: string, wrapped: SealedBox): WrappedKey {
  return {
    master_key_id: masterKeyId,
    wrapped_key: wrapped.ciphertext,
    wrap_iv: wrapped.iv,
    wrap_tag: wrapped.tag,
  };
}

/** The sealed box of a stored wrapped data key. */
export function wrappedKeyBox(row: WrappedKey): SealedBox {
  return { ciphertext: row.wrapped_key, iv: row.wrap_iv, tag: row.wrap_tag };
}

/** Encrypts and decrypts integration credentials with the tenant's data key. */
export class CredentialVault {
  readonly #keys: KeyProvider;
  /** Unwrapped data keys by `${tenant}:${version}`; they never leave this process. */
  readonly #cache = new Map<string, Buffer>();

  constructor(keys: KeyProvider) {
    this.#keys = keys;
  }

  async #unwrap(tenantId: string, row: TenantKeyRow): Promise<Buffer> {
    const cacheKey = `${tenantId}:${row.key_version}`;
    let key = this.#cache.get(cacheKey);
    if (!key) {
      key = await this.#keys.unwrapKey(
        wrappedKeyBox(row),
        dataKeyContext(tenantId, row.key_version),
        row.master_key_id,
      );
      this.#cache.set(cacheKey, key);
    }
    return key;
  }

  /** The tenant's newest data key, created (and wrapped) on first use. `trx` must be scoped to the tenant. */
  async #currentKey(trx: Knex.Transaction, tenantId: string): Promise<{ version: number; key: Buffer }> {
    let row = await tenantKey(trx, tenantId);
    if (!row) {
      const { wrapped } = await this.#keys.generateDataKey(dataKeyContext(tenantId, 1));
      await insertTenantKeyIfAbsent(trx, tenantId, 1, wrappedKeyColumns(this.#keys.id, wrapped));
      // Re-read: a concurrent first use may have won the insert.
      row = await tenantKey(trx, tenantId);
      if (!row) throw new Error('tenant data key could not be created');
    }
    return { version: row.key_version, key: await this.#unwrap(tenantId, row) };
  }

  /** Seals `credentials` (any JSON value) for one integration. */
  async encrypt(
    trx: Knex.Transaction,
    target: { tenantId: string; integrationId: string },
    credentials: unknown,
  ): Promise<EncryptedCredentials> {
    const { version, key } = await this.#currentKey(trx, target.tenantId);
    const box = seal(
      key,
      Buffer.from(JSON.stringify(credentials), 'utf8'),
      credentialsAad(target.tenantId, target.integrationId, version),
    );
    return {
      credentials_ciphertext: box.ciphertext,
      credentials_iv: box.iv,
      credentials_tag: box.tag,
      key_version: version,
    };
  }

  /** Opens an integration's credentials; throws DecryptionError when anything was altered or moved. */
  async decrypt(
    trx: Knex.Transaction,
    target: { tenantId: string; integrationId: string },
    sealed: EncryptedCredentials,
  ): Promise<unknown> {
    const row = await tenantKey(trx, target.tenantId, sealed.key_version);
    if (!row) throw new DecryptionError('the data key of these credentials is not available');
    const key = await this.#unwrap(target.tenantId, row);
    const plaintext = open(
      key,
      { ciphertext: sealed.credentials_ciphertext, iv: sealed.credentials_iv, tag: sealed.credentials_tag },
      credentialsAad(target.tenantId, target.integrationId, sealed.key_version),
    );
    return JSON.parse(plaintext.toString('utf8'));
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    vault: CredentialVault;
  }
}

/** Decorates `app.vault` with a vault over the given key provider. */
export const cryptoPlugin = fp<{ keyProvider: KeyProvider }>(
  async (app, { keyProvider }) => {
    app.decorate('vault', new CredentialVault(keyProvider));
  },
  { name: 'crypto' },
);
