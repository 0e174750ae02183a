/**
 * `complywise keys rotate --new-version` end to end on PGlite (a folder, as the product runs) and PostgreSQL:
 * two tenants' credentials sealed under master key v1; the command creates v2 and rewraps; afterwards v2
 * alone opens every credential, `status` shows v2 current, and a second run rewraps nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../api/src/config.ts';
import {
  CredentialVault,
  LocalKeyProvider,
  localKeyProvider,
  type EncryptedCredentials,
} from '../../api/src/plugins/app/crypto.ts';
import { runAsApp, runAsOwner } from '../../api/src/plugins/app/tenancy.ts';
import { migrateLatest, openDatabase, type Database } from '../../api/src/plugins/external/db.ts';
import { createTestDatabase, databaseBackends, type TestDatabase } from '../../test/db.ts';
import { main } from '../complywise.ts';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe.each(databaseBackends())('complywise keys on $name', (backend) => {
  let testDb: TestDatabase;
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-keys-cli-'));
  const saved = { ...process.env };
  const sealed: { tenantId: string; integrationId: string; box: EncryptedCredentials }[] = [];
  const withDatabase = async <T>(work: (db: Database) => Promise<T>): Promise<T> => {
    const db = await openDatabase(loadConfig());
    try {
      return await work(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    testDb = await createTestDatabase(backend);
    process.env.COMPLYWISE_DATA_DIR = dataDir;
    delete process.env.COMPLYWISE_MASTER_KEY;
    delete process.env.COMPLYWISE_KEY_PROVIDER;
    if (testDb.databaseUrl) process.env.DATABASE_URL = testDb.databaseUrl;
    else delete process.env.DATABASE_URL;
    await withDatabase(async (db) => {
      await migrateLatest(db);
      const vault = new CredentialVault(localKeyProvider({ dataDir }));
      for (const slug of ['cli-a', 'cli-b']) {
        const tenantId = randomUUID();
        const integrationId = randomUUID();
        await runAsOwner(db.knex, { tenantId }, (trx) =>
          trx('tenants').insert({ id: tenantId, slug, name: slug }),
        );
        const box = await runAsApp(db.knex, { tenantId }, (trx) =>
          vault.encrypt(trx, { tenantId, integrationId }, { token: `secret-${slug}` }),
        );
        sealed.push({ tenantId, integrationId, box });
      }
    });
  }, 60_000);
  afterAll(async () => {
    process.env = saved;
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates master key v2, rewraps every tenant, and v2 alone then opens every credential', async () => {
    const rotated = await run('keys', 'rotate', '--new-version');
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('created master key version 2');
    expect(rotated.stdout).toContain('every data key is wrapped under local-v2 (2 tenant(s) rotated now)');

    const v2 = Buffer.from(readFileSync(join(dataDir, 'master-v2.key'), 'utf8').trim(), 'base64');
    const vault = new CredentialVault(new LocalKeyProvider(new Map([[2, v2]])));
    const opened = await withDatabase(async (db) => {
      const out: unknown[] = [];
      for (const s of sealed) {
        out.push(
          await runAsApp(db.knex, { tenantId: s.tenantId }, (trx) =>
            vault.decrypt(trx, { tenantId: s.tenantId, integrationId: s.integrationId }, s.box),
          ),
        );
      }
      return out;
    });
    expect(opened).toEqual([{ token: 'secret-cli-a' }, { token: 'secret-cli-b' }]);
  });

  it('reports the status and changes nothing on a second run', async () => {
    const status = await run('keys', 'status', '--format', 'json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ current: 'local-v2', data_keys: { 'local-v2': 2 } });
    const again = await run('keys', 'rotate', '--format', 'json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ masterKeyId: 'local-v2', tenants: [] });
  });

  it('refuses --new-version with KMS (the new key is chosen in KMS)', async () => {
    process.env.COMPLYWISE_KEY_PROVIDER = 'aws-kms';
    process.env.COMPLYWISE_KMS_KEY_ID = 'arn:aws:kms:us-east-1:123456789012:key/x';
    try {
      const refused = await run('keys', 'rotate', '--new-version');
      expect(refused.code).toBe(64);
      expect(refused.stderr).toContain('COMPLYWISE_KMS_KEY_ID');
    } finally {
      delete process.env.COMPLYWISE_KEY_PROVIDER;
      delete process.env.COMPLYWISE_KMS_KEY_ID;
    }
  });
});
