/**
 * Master-key rotation with the local provider (key versions) and with AWS KMS (a local fixture speaking
 * the KMS JSON protocol through the real SDK), on PGlite and PostgreSQL: several tenants with several
 * integrations each; a half-rotated state still decrypts; the rest is resumed; a second run changes
 * nothing; once the old master key is gone every credential still opens; one ledger entry per tenant;
 * a flipped bit in a rewrapped key is refused.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../../test/db.ts';
import {
  KMS_FIXTURE_CREDENTIALS,
  startKmsFixtureServer,
  type KmsFixtureServer,
} from '../../test/kms-fixture-server.ts';
import { LedgerService, ledgerSigner } from '../ledger/ledger.ts';
import type { Database } from '../plugins/external/db.ts';
import {
  CredentialVault,
  DecryptionError,
  dataKeyContext,
  LocalKeyProvider,
  type EncryptedCredentials,
  type KeyProvider,
} from '../plugins/app/crypto.ts';
import { createEvidenceStore } from '../plugins/app/evidence.ts';
import { rotateMasterKey, rotateTenant } from './rotation.ts';
import { KmsKeyProvider } from '../plugins/app/kms-key-provider.ts';
import { runAsApp, runAsOwner } from '../plugins/app/tenancy.ts';

/** Before rotation, the provider after (current = new key, old still usable), and the new key alone. */
interface Keys {
  old: KeyProvider;
  next: KeyProvider;
  /** The new master key with the old one gone (local: version removed; KMS: old key disabled). */
  retireOld(): KeyProvider;
}

interface Scheme {
  name: string;
  setUp(): Promise<Keys>;
  tearDown(): Promise<void>;
}

let kms: KmsFixtureServer | undefined;
const kmsProvider = (keyId: string) =>
  new KmsKeyProvider({
    keyId,
    client: new KMSClient({
      region: 'us-east-1',
      endpoint: kms!.url,
      credentials: { ...KMS_FIXTURE_CREDENTIALS },
      maxAttempts: 1,
    }),
  });

const schemes: Scheme[] = [
  {
    name: 'local key versions',
    async setUp() {
      const [v1, v2] = [randomBytes(32), randomBytes(32)];
      return {
        old: new LocalKeyProvider(new Map([[1, v1]])),
        next: new LocalKeyProvider(
          new Map([
            [1, v1],
            [2, v2],
          ]),
        ),
        retireOld: () => new LocalKeyProvider(new Map([[2, v2]])),
      };
    },
    async tearDown() {},
  },
  {
    name: 'AWS KMS',
    async setUp() {
      kms = await startKmsFixtureServer();
      const [oldKey, newKey] = [kms.createKey(), kms.createKey()];
      return {
        old: kmsProvider(oldKey),
        next: kmsProvider(newKey),
        retireOld: () => {
          kms!.disableKey(oldKey);
          return kmsProvider(newKey);
        },
      };
    },
    async tearDown() {
      await kms?.close();
    },
  },
];

const cases = databaseBackends().flatMap((backend) => schemes.map((scheme) => ({ backend, scheme })));

describe.each(cases)('master-key rotation on $backend.name with $scheme.name', ({ backend, scheme }) => {
  let testDb: TestDatabase;
  let db: Database;
  let keys: Keys;
  let ledger: LedgerService;
  const evidenceDir = mkdtempSync(join(tmpdir(), 'cw-rotation-'));
  const tenants: string[] = [randomUUID(), randomUUID(), randomUUID()];
  const [tenantA, tenantB, tenantC] = tenants as [string, string, string];
  const sealed: { tenantId: string; integrationId: string; secret: string; box: EncryptedCredentials }[] = [];
  /** Tenant C's data key as wrapped under the old master key, kept to show the old key is gone later. */
  let oldWrapped: { wrapped_key: string; wrap_iv: string; wrap_tag: string };
  const append = (...args: Parameters<LedgerService['append']>) => ledger.append(...args);

  const openAll = async (provider: KeyProvider, only = tenants) => {
    const vault = new CredentialVault(provider);
    const opened: unknown[] = [];
    for (const s of sealed.filter((x) => only.includes(x.tenantId))) {
      opened.push(
        await runAsApp(db.knex, { tenantId: s.tenantId }, (trx) =>
          vault.decrypt(trx, { tenantId: s.tenantId, integrationId: s.integrationId }, s.box),
        ),
      );
    }
    return opened;
  };
  const expected = (only = tenants) =>
    sealed.filter((x) => only.includes(x.tenantId)).map((s) => ({ secretAccessKey: s.secret }));
  const masterKeyIds = () =>
    runAsOwner(db.knex, {}, async (trx) => {
      await trx.raw(`select set_config('app.maintenance', 'key-rotation', true)`);
      const rows: { tenant_id: string; master_key_id: string }[] = await trx('tenant_keys').select(
        'tenant_id',
        'master_key_id',
      );
      return Object.fromEntries(rows.map((r) => [r.tenant_id, r.master_key_id]));
    });
  const rotationEntries = async (tenantId: string) =>
    runAsApp(db.knex, { tenantId }, (trx) => trx('ledger_entries').where({ kind: 'master_key.rotated' }));

  beforeAll(async () => {
    keys = await scheme.setUp();
    testDb = await createTestDatabase(backend);
    db = await testDb.open();
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    ledger = new LedgerService(
      (tenantId, work) => runAsApp(db.knex, { tenantId }, work),
      ledgerSigner(pem),
      createEvidenceStore({ kind: 'filesystem', dir: evidenceDir }),
    );
    const vault = new CredentialVault(keys.old);
    for (const [index, tenantId] of tenants.entries()) {
      await runAsOwner(db.knex, { tenantId }, (trx) =>
        trx('tenants').insert({ id: tenantId, slug: `rotate-${index}-${tenantId.slice(0, 6)}`, name: 'r' }),
      );
      for (let i = 0; i < 2; i += 1) {
        const integrationId = randomUUID();
        const secret = `secret-${tenantId}-${i}`;
        const box = await runAsApp(db.knex, { tenantId }, (trx) =>
          vault.encrypt(trx, { tenantId, integrationId }, { secretAccessKey: secret }),
        );
        sealed.push({ tenantId, integrationId, secret, box });
      }
    }
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
    await scheme.tearDown();
    rmSync(evidenceDir, { recursive: true, force: true });
  });

  it('starts with every data key under the old master key', async () => {
    expect(Object.values(await masterKeyIds())).toEqual([keys.old.id, keys.old.id, keys.old.id]);
    expect(keys.next.id).not.toBe(keys.old.id);
  });

  it("never lets the runtime role list other tenants' keys, maintenance setting or not", async () => {
    const seen = await runAsApp(db.knex, { tenantId: tenantA }, async (trx) => {
      await trx.raw(`select set_config('app.maintenance', 'key-rotation', true)`);
      return trx('tenant_keys').select('tenant_id');
    });
    expect(seen).toEqual([{ tenant_id: tenantA }]);
  });

  it('decrypts everything in a half-rotated state (one tenant moved, the others not)', async () => {
    expect(await rotateTenant(db.knex, keys.next, append, tenantA)).toBe(1);
    const ids = await masterKeyIds();
    expect([ids[tenantA], ids[tenantB], ids[tenantC]]).toEqual([keys.next.id, keys.old.id, keys.old.id]);
    expect(await openAll(keys.next)).toEqual(expected());
    oldWrapped = await runAsApp(db.knex, { tenantId: tenantC }, (trx) => trx('tenant_keys').first());
  });

  it('resumes with the remaining tenants, then a second run changes nothing', async () => {
    const report = await rotateMasterKey(db.knex, keys.next, append);
    expect(report.masterKeyId).toBe(keys.next.id);
    expect(report.tenants.map((t) => t.tenantId).sort()).toEqual([tenantB, tenantC].sort());
    expect(Object.values(await masterKeyIds())).toEqual([keys.next.id, keys.next.id, keys.next.id]);
    const again = await rotateMasterKey(db.knex, keys.next, append);
    expect(again.tenants).toEqual([]);
    for (const tenantId of tenants) {
      const entries = await rotationEntries(tenantId);
      expect(entries).toHaveLength(1);
      expect(entries[0].payload).toMatchObject({ from: [keys.old.id], to: keys.next.id, key_versions: [1] });
    }
  });

  it('opens every credential with the old master key gone, and refuses a flipped bit of a rewrapped key', async () => {
    const before = { ciphertext: oldWrapped.wrapped_key, iv: oldWrapped.wrap_iv, tag: oldWrapped.wrap_tag };
    // Before retirement the old wrapping still opens (so the refusal below is the retirement, not a bad blob).
    expect(await keys.old.unwrapKey(before, dataKeyContext(tenantC, 1), keys.old.id)).toHaveLength(32);
    const current = keys.retireOld();
    expect(await openAll(current)).toEqual(expected());
    // The old key really is gone: the data key as it was wrapped before rotation no longer opens.
    await expect(current.unwrapKey(before, dataKeyContext(tenantC, 1), keys.old.id)).rejects.toThrow(
      DecryptionError,
    );

    const row = await runAsApp(db.knex, { tenantId: tenantB }, (trx) => trx('tenant_keys').first());
    const bytes = Buffer.from(row.wrapped_key as string, 'base64');
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x01;
    await runAsOwner(db.knex, { tenantId: tenantB }, (trx) =>
      trx('tenant_keys')
        .where({ tenant_id: tenantB })
        .update({ wrapped_key: bytes.toString('base64') }),
    );
    await expect(openAll(current, [tenantB])).rejects.toThrow(DecryptionError);
    expect(await openAll(current, [tenantA, tenantC])).toEqual(expected([tenantA, tenantC]));
  });
});
