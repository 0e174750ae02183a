import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../../../test/db.ts';
import type { Database } from '../external/db.ts';
import {
  CredentialVault,
  DecryptionError,
  LocalKeyProvider,
  credentialsAad,
  localKeyProvider,
  open,
  seal,
  type SealedBox,
} from './crypto.ts';
import { runAsApp, runAsOwner } from './tenancy.ts';

/** Flips one bit of a base64 field. */
function flip(b64: string, byte = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[byte] = bytes[byte]! ^ 0x01;
  return bytes.toString('base64');
}

describe('AES-256-GCM sealing', () => {
  const key = randomBytes(32);
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const integration = randomUUID();
  const aad = credentialsAad(tenantA, integration, 1);
  const plaintext = Buffer.from(JSON.stringify({ secretAccessKey: 'canary-secret' }));

  it('round-trips with a fresh 12-byte IV and a 16-byte tag each time', () => {
    const one = seal(key, plaintext, aad);
    const two = seal(key, plaintext, aad);
    expect(Buffer.from(one.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(one.tag, 'base64')).toHaveLength(16);
    expect(one.iv).not.toBe(two.iv);
    expect(one.ciphertext).not.toBe(two.ciphertext);
    expect(open(key, one, aad).equals(plaintext)).toBe(true);
    expect(Buffer.from(one.ciphertext, 'base64').toString('utf8')).not.toContain('canary');
  });

  it('refuses a tampered ciphertext, tag or IV, another key, or another AAD', () => {
    const box = seal(key, plaintext, aad);
    const tampered: SealedBox[] = [
      { ...box, ciphertext: flip(box.ciphertext, 3) },
      { ...box, tag: flip(box.tag) },
      { ...box, iv: flip(box.iv) },
    ];
    for (const bad of tampered) expect(() => open(key, bad, aad)).toThrow(DecryptionError);
    expect(() => open(randomBytes(32), box, aad)).toThrow(DecryptionError);
    // The same ciphertext moved to another tenant, integration or key version does not open.
    expect(() => open(key, box, credentialsAad(tenantB, integration, 1))).toThrow(DecryptionError);
    expect(() => open(key, box, credentialsAad(tenantA, randomUUID(), 1))).toThrow(DecryptionError);
    expect(() => open(key, box, credentialsAad(tenantA, integration, 2))).toThrow(DecryptionError);
  });

  it('refuses every single-bit flip of ciphertext, IV, tag and AAD, and every truncated tag', () => {
    const box = seal(key, plaintext, aad);
    let refused = 0;
    const flipAt = (b64: string, bit: number) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[bit >> 3] = bytes[bit >> 3]! ^ (1 << (bit & 7));
      return bytes.toString('base64');
    };
    for (const field of ['ciphertext', 'iv', 'tag'] as const) {
      const bits = Buffer.from(box[field], 'base64').length * 8;
      for (let bit = 0; bit < bits; bit += 1) {
        expect(
          () => open(key, { ...box, [field]: flipAt(box[field], bit) }, aad),
          `${field} bit ${bit}`,
        ).toThrow(DecryptionError);
        refused += 1;
      }
    }
    for (let bit = 0; bit < aad.length * 8; bit += 1) {
      const otherAad = Buffer.from(aad);
      otherAad[bit >> 3] = otherAad[bit >> 3]! ^ (1 << (bit & 7));
      expect(() => open(key, box, otherAad), `aad bit ${bit}`).toThrow(DecryptionError);
      refused += 1;
    }
    const tag = Buffer.from(box.tag, 'base64');
    for (let length = 0; length < tag.length; length += 1) {
      expect(() => open(key, { ...box, tag: tag.subarray(0, length).toString('base64') }, aad)).toThrow(
        DecryptionError,
      );
    }
    // Dropping or adding a ciphertext byte fails too.
    const bytes = Buffer.from(box.ciphertext, 'base64');
    expect(() => open(key, { ...box, ciphertext: bytes.subarray(1).toString('base64') }, aad)).toThrow(
      DecryptionError,
    );
    expect(() =>
      open(key, { ...box, ciphertext: Buffer.concat([bytes, Buffer.from([0])]).toString('base64') }, aad),
    ).toThrow(DecryptionError);
    expect(refused).toBe((bytes.length + 12 + 16 + aad.length) * 8);
    expect(open(key, box, aad).equals(plaintext)).toBe(true);
  });

  it('wraps data keys with the master key bound to their context', async () => {
    const provider = new LocalKeyProvider(randomBytes(32));
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey(dataKey, 'tenant=a');
    expect((await provider.unwrapKey(wrapped, 'tenant=a')).equals(dataKey)).toBe(true);
    await expect(provider.unwrapKey(wrapped, 'tenant=b')).rejects.toThrow(DecryptionError);
  });

  it('creates the local master key file once, mode 0600, and reads it back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-key-'));
    try {
      localKeyProvider({ dataDir: dir });
      const file = join(dir, 'master.key');
      const first = readFileSync(file, 'utf8');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.from(first.trim(), 'base64')).toHaveLength(32);
      localKeyProvider({ dataDir: dir });
      expect(readFileSync(file, 'utf8')).toBe(first);
      expect(() => localKeyProvider({ dataDir: dir, masterKey: 'dG9vLXNob3J0' })).toThrow(/32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseBackends())('credential vault on $name', (backend) => {
  let testDb: TestDatabase;
  let db: Database;
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const vault = new CredentialVault(new LocalKeyProvider(randomBytes(32)));

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    db = await testDb.open();
    for (const [id, slug] of [
      [tenantA, 'vault-a'],
      [tenantB, 'vault-b'],
    ] as const) {
      await runAsOwner(db.knex, { tenantId: id }, (trx) => trx('tenants').insert({ id, slug, name: slug }));
    }
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  it('seals under a per-tenant data key stored wrapped, and opens only for the same tenant and integration', async () => {
    const integrationId = randomUUID();
    const credentials = { accessKeyId: 'AKIAEXAMPLE0000000', secretAccessKey: 'canary-vault-secret' };
    const sealed = await runAsApp(db.knex, { tenantId: tenantA }, (trx) =>
      vault.encrypt(trx, { tenantId: tenantA, integrationId }, credentials),
    );
    expect(sealed.key_version).toBe(1);
    expect(JSON.stringify(sealed)).not.toContain('canary');

    const opened = await runAsApp(db.knex, { tenantId: tenantA }, (trx) =>
      vault.decrypt(trx, { tenantId: tenantA, integrationId }, sealed),
    );
    expect(opened).toEqual(credentials);

    // The wrapped data key in the table is not the raw key and is tenant A's only.
    const keys = await runAsApp(db.knex, { tenantId: tenantA }, (trx) => trx('tenant_keys').select('*'));
    expect(keys).toHaveLength(1);
    expect(Buffer.from(keys[0].wrapped_key, 'base64')).toHaveLength(32);

    // Tenant B cannot open A's credentials: it cannot even see A's data key.
    await expect(
      runAsApp(db.knex, { tenantId: tenantB }, (trx) =>
        vault.decrypt(trx, { tenantId: tenantB, integrationId }, sealed),
      ),
    ).rejects.toThrow(DecryptionError);
    // Claiming another integration id in A's own tenant fails the AAD check.
    await expect(
      runAsApp(db.knex, { tenantId: tenantA }, (trx) =>
        vault.decrypt(trx, { tenantId: tenantA, integrationId: randomUUID() }, sealed),
      ),
    ).rejects.toThrow(DecryptionError);
    // Tampered ciphertext.
    await expect(
      runAsApp(db.knex, { tenantId: tenantA }, (trx) =>
        vault.decrypt(
          trx,
          { tenantId: tenantA, integrationId },
          { ...sealed, credentials_ciphertext: flip(sealed.credentials_ciphertext, 5) },
        ),
      ),
    ).rejects.toThrow(DecryptionError);
  });

  it('gives each tenant its own data key', async () => {
    const integrationId = randomUUID();
    const sealedB = await runAsApp(db.knex, { tenantId: tenantB }, (trx) =>
      vault.encrypt(trx, { tenantId: tenantB, integrationId }, { s: 1 }),
    );
    const wrappedOf = (tenantId: string) =>
      runAsApp(db.knex, { tenantId }, (trx) => trx('tenant_keys').select('wrapped_key', 'wrap_iv'));
    const [keyA] = await wrappedOf(tenantA);
    const [keyB] = await wrappedOf(tenantB);
    expect(keyA.wrapped_key).not.toBe(keyB.wrapped_key);
    expect(keyA.wrap_iv).not.toBe(keyB.wrap_iv);
    // A fresh vault over another master key cannot unwrap B's data key.
    const stranger = new CredentialVault(new LocalKeyProvider(randomBytes(32)));
    await expect(
      runAsApp(db.knex, { tenantId: tenantB }, (trx) =>
        stranger.decrypt(trx, { tenantId: tenantB, integrationId }, sealedB),
      ),
    ).rejects.toThrow(DecryptionError);
  });
});
