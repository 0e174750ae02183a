/**
 * The two key providers on their own: the KMS provider through the real SDK against the KMS fixture (every
 * single-bit flip of a wrapped key refused, another context or key refused, the provider chosen by
 * configuration, an app on PGlite sealing and opening credentials through it), and local master key
 * versions (a new version file becomes current; a version added while the process runs is found).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { startAwsFixtureServer } from '../../../../scanners/aws/fixtures/aws-fixture-server.ts';
import { bearer, login, seedTenant, startTestApp } from '../../../test/helpers.ts';
import {
  KMS_FIXTURE_CREDENTIALS,
  startKmsFixtureServer,
  type KmsFixtureServer,
} from '../../../test/kms-fixture-server.ts';
import { loadConfig } from '../../config.ts';
import {
  DecryptionError,
  localKeyProvider,
  newLocalMasterKeyVersion,
  seal,
  type SealedBox,
} from './crypto.ts';
import { KmsKeyProvider, keyProviderOf } from './kms-key-provider.ts';

describe('AWS KMS key provider', () => {
  let kms: KmsFixtureServer;
  let keyId: string;
  let provider: KmsKeyProvider;
  const saved = { ...process.env };

  beforeAll(async () => {
    kms = await startKmsFixtureServer();
    keyId = kms.createKey();
    provider = new KmsKeyProvider({
      keyId,
      client: new KMSClient({
        region: 'us-east-1',
        endpoint: kms.url,
        credentials: { ...KMS_FIXTURE_CREDENTIALS },
        maxAttempts: 1,
      }),
    });
  });
  afterAll(async () => {
    process.env = saved;
    await kms?.close();
  });

  it('generates data keys in KMS and refuses every single-bit flip of the wrapped key', async () => {
    const { plaintext, wrapped } = await provider.generateDataKey('tenant=a|key=1');
    expect(plaintext).toHaveLength(32);
    expect(kms.calls.at(-1)).toEqual({ operation: 'GenerateDataKey', keyId });
    expect((await provider.unwrapKey(wrapped, 'tenant=a|key=1', keyId)).equals(plaintext)).toBe(true);
    const blob = Buffer.from(wrapped.ciphertext, 'base64');
    let refused = 0;
    for (let bit = 0; bit < blob.length * 8; bit += 1) {
      const flipped = Buffer.from(blob);
      flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7));
      const box: SealedBox = { ...wrapped, ciphertext: flipped.toString('base64') };
      await expect(provider.unwrapKey(box, 'tenant=a|key=1', keyId)).rejects.toThrow(DecryptionError);
      refused += 1;
    }
    expect(refused).toBe(blob.length * 8);
  });

  it('refuses another context, another key, and a key the local provider wrapped', async () => {
    const dataKey = randomBytes(32);
    const wrapped = await provider.wrapKey(dataKey, 'tenant=a|key=1');
    await expect(provider.unwrapKey(wrapped, 'tenant=b|key=1')).rejects.toThrow(DecryptionError);
    const other = kms.createKey();
    await expect(provider.unwrapKey(wrapped, 'tenant=a|key=1', other)).rejects.toThrow(DecryptionError);
    const local = seal(randomBytes(32), dataKey, Buffer.from('tenant=a|key=1'));
    await expect(provider.unwrapKey(local, 'tenant=a|key=1')).rejects.toThrow(DecryptionError);
  });

  it('is chosen by COMPLYWISE_KEY_PROVIDER=aws-kms, and the configuration names what is missing', () => {
    const env = {
      COMPLYWISE_KEY_PROVIDER: 'aws-kms',
      COMPLYWISE_KMS_KEY_ID: keyId,
      COMPLYWISE_KMS_ENDPOINT: kms.url,
      COMPLYWISE_KMS_REGION: 'eu-west-1',
    };
    const config = loadConfig(env);
    expect(config.kms).toEqual({ keyId, endpoint: kms.url, region: 'eu-west-1' });
    const chosen = keyProviderOf(config);
    expect(chosen).toBeInstanceOf(KmsKeyProvider);
    expect(chosen.id).toBe(keyId);
    expect(() => loadConfig({ COMPLYWISE_KEY_PROVIDER: 'aws-kms' })).toThrow(/COMPLYWISE_KMS_KEY_ID/);
    expect(() => loadConfig({ COMPLYWISE_KEY_PROVIDER: 'vault' })).toThrow(/local or aws-kms/);
    expect(loadConfig({}).kms).toBeUndefined();
  });

  it('serves an app whose integration credentials are sealed under KMS data keys', async () => {
    // The SDK's default credential chain, as a deployment would provide it.
    process.env.AWS_ACCESS_KEY_ID = KMS_FIXTURE_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = KMS_FIXTURE_CREDENTIALS.secretAccessKey;
    const aws = await startAwsFixtureServer({ port: 0, host: '127.0.0.1' });
    const t = await startTestApp(
      { name: 'pglite' },
      { worker: false, configOverrides: { kms: { keyId, region: 'us-east-1', endpoint: kms.url } } },
    );
    t.app.egress.allowEndpoint(aws.url);
    try {
      const admin = await seedTenant(t.database.knex);
      const token = (await login(t.app, admin.email, admin.password)).access_token;
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/integrations',
        headers: bearer(token),
        payload: {
          provider: 'aws',
          name: 'through kms',
          config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: aws.url },
          credentials: { ...DEMO_AWS_CREDENTIALS },
        },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(kms.calls.some((c) => c.operation === 'GenerateDataKey')).toBe(true);
      const tested = await t.app.inject({
        method: 'POST',
        url: `/api/integrations/${created.json().id}/test`,
        headers: bearer(token),
        payload: {},
      });
      expect(tested.json()).toMatchObject({ ok: true });
    } finally {
      await t.close();
      await aws.close();
    }
  }, 90_000);
});

describe('local master key versions', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cw-local-keys-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes a new version current, keeps the old one readable, and finds a version added later', async () => {
    const running = localKeyProvider({ dataDir });
    expect(running.id).toBe('local-v1');
    const wrappedV1 = await running.wrapKey(randomBytes(32), 'ctx');

    // Another process (the CLI) adds version 2 while this one runs.
    expect(newLocalMasterKeyVersion({ dataDir })).toBe(2);
    expect(statSync(join(dataDir, 'master-v2.key')).mode & 0o777).toBe(0o600);
    const fresh = localKeyProvider({ dataDir });
    expect(fresh.id).toBe('local-v2');
    const wrappedV2 = await fresh.wrapKey(randomBytes(32), 'ctx');
    expect(await fresh.unwrapKey(wrappedV1, 'ctx', 'local-v1')).toHaveLength(32);
    // The running provider has not loaded v2 yet: it reads the files again when a row names it.
    expect(await running.unwrapKey(wrappedV2, 'ctx', 'local-v2')).toHaveLength(32);
    await expect(running.unwrapKey(wrappedV2, 'ctx', 'local-v3')).rejects.toThrow(DecryptionError);
  });
});
