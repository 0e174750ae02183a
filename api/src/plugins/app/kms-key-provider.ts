/**
 * AWS KMS as the master key: tenant data keys come from GenerateDataKey and are wrapped with Encrypt /
 * opened with Decrypt, always with an encryption context naming the tenant and data-key version (KMS
 * authenticates it like an AAD, and CloudTrail records it). The key never leaves KMS. The stored
 * `master_key_id` is the KMS key id the row was wrapped under; Decrypt names it, so a blob of another key
 * is refused rather than opened under whatever key it claims. Rotation to another KMS key: set
 * COMPLYWISE_KMS_KEY_ID to the new key's ARN (keep the old key enabled) and run `complywise keys rotate`.
 */
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  type KMSClientConfig,
} from '@aws-sdk/client-kms';
import type { KmsConfig } from '../../config.ts';
import { DecryptionError, localKeyProvider, type KeyProvider, type SealedBox } from './crypto.ts';

/** KMS answers meaning "this blob does not open here" rather than "KMS is unavailable". */
const NOT_OPENING = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'DisabledException',
  'NotFoundException',
  'KMSInvalidStateException',
]);

/** The encryption context of a wrapped data key (KMS takes a string map). */
const encryptionContext = (context: string): Record<string, string> => ({ 'complywise:key': context });

/** A KMS blob is stored in the ciphertext column; iv and tag are unused (KMS carries its own). */
const toBox = (blob: Uint8Array | undefined): SealedBox => {
  if (!blob) throw new Error('KMS answered without a ciphertext blob');
  return { ciphertext: Buffer.from(blob).toString('base64'), iv: '', tag: '' };
};

export class KmsKeyProvider implements KeyProvider {
  readonly id: string;
  readonly #client: KMSClient;

  constructor(options: { keyId: string; client: KMSClient }) {
    this.id = options.keyId;
    this.#client = options.client;
  }

  async wrapKey(dataKey: Buffer, context: string): Promise<SealedBox> {
    const out = await this.#client.send(
      new EncryptCommand({
        KeyId: this.id,
        Plaintext: dataKey,
        EncryptionContext: encryptionContext(context),
      }),
    );
    return toBox(out.CiphertextBlob);
  }

  async unwrapKey(wrapped: SealedBox, context: string, masterKeyId = this.id): Promise<Buffer> {
    if (wrapped.iv !== '' || wrapped.tag !== '') {
      throw new DecryptionError('this data key was not wrapped by KMS (a local master key wrapped it)');
    }
    try {
      const out = await this.#client.send(
        new DecryptCommand({
          KeyId: masterKeyId,
          CiphertextBlob: Buffer.from(wrapped.ciphertext, 'base64'),
          EncryptionContext: encryptionContext(context),
        }),
      );
      if (!out.Plaintext) throw new DecryptionError('KMS answered without a plaintext');
      return Buffer.from(out.Plaintext);
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (NOT_OPENING.has(name)) throw new DecryptionError(`KMS refused to unwrap the data key (${name})`);
      throw error;
    }
  }

  async generateDataKey(context: string): Promise<{ plaintext: Buffer; wrapped: SealedBox }> {
    const out = await this.#client.send(
      new GenerateDataKeyCommand({
        KeyId: this.id,
        KeySpec: 'AES_256',
        EncryptionContext: encryptionContext(context),
      }),
    );
    if (!out.Plaintext) throw new Error('KMS answered without a plaintext data key');
    return { plaintext: Buffer.from(out.Plaintext), wrapped: toBox(out.CiphertextBlob) };
  }
}

/** A KMS provider for `config`; credentials come from the SDK's default chain unless given. */
export function kmsKeyProvider(
  config: KmsConfig,
  clientConfig: Partial<KMSClientConfig> = {},
): KmsKeyProvider {
  const client = new KMSClient({
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    maxAttempts: 3,
    ...clientConfig,
  });
  return new KmsKeyProvider({ keyId: config.keyId, client });
}

/** The key provider the config chooses: AWS KMS when `kms` is set, else the local master key files. */
export function keyProviderOf(config: { kms?: KmsConfig; masterKey?: string; dataDir: string }): KeyProvider {
  return config.kms ? kmsKeyProvider(config.kms) : localKeyProvider(config);
}
