/**
 * A small local AWS KMS for tests: the JSON 1.1 protocol (`X-Amz-Target: TrentService.<Operation>`) for
 * GenerateDataKey, Encrypt and Decrypt over symmetric keys held in memory. A ciphertext blob is
 * `key id length | key id | IV | tag | AES-256-GCM ciphertext`, authenticated with the encryption context
 * (sorted JSON) as AAD, so a flipped bit, another context or another key is refused like real KMS does
 * (InvalidCiphertextException / IncorrectKeyException). Requests must be SigV4-signed with a known key id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { jsonError } from '../../scanners/aws/fixtures/aws-wire.ts';
import { listenLocal, type ListeningServer } from '../../scanners/fixtures/listen.ts';

export const KMS_FIXTURE_CREDENTIALS = Object.freeze({
  accessKeyId: 'AKIAKMSFIXTURE000001',
  secretAccessKey: 'kmsFixtureSecretNotForAws0000000000000000',
});

export interface KmsFixtureServer extends ListeningServer {
  /** Creates an enabled key and returns its ARN. */
  createKey(): string;
  /** Disables a key: Encrypt and Decrypt under it answer DisabledException. */
  disableKey(arn: string): void;
  /** Operations received, in order, with the key they named. */
  calls: { operation: string; keyId: string | null }[];
}

class KmsError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const aadOf = (context: unknown): Buffer => {
  const entries = Object.entries((context ?? {}) as Record<string, string>).sort(([a], [b]) =>
    a.localeCompare(b),
  );
  return Buffer.from(JSON.stringify(entries), 'utf8');
};

export async function startKmsFixtureServer(): Promise<KmsFixtureServer> {
  const keys = new Map<string, { material: Buffer; enabled: boolean }>();
  const calls: KmsFixtureServer['calls'] = [];
  let counter = 0;

  const keyOf = (keyId: unknown): [string, Buffer] => {
    const key = typeof keyId === 'string' ? keys.get(keyId) : undefined;
    if (!key) throw new KmsError('NotFoundException', `Key '${String(keyId)}' does not exist`);
    if (!key.enabled) throw new KmsError('DisabledException', `${String(keyId)} is disabled.`);
    return [keyId as string, key.material];
  };
  const encrypt = (keyId: unknown, plaintext: Buffer, context: unknown): string => {
    const [arn, material] = keyOf(keyId);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', material, iv);
    cipher.setAAD(aadOf(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const id = Buffer.from(arn, 'utf8');
    return Buffer.concat([Buffer.from([id.length]), id, iv, cipher.getAuthTag(), body]).toString('base64');
  };
  const decrypt = (
    blobB64: unknown,
    context: unknown,
    keyId: unknown,
  ): { arn: string; plaintext: Buffer } => {
    const blob = Buffer.from(String(blobB64), 'base64');
    const idLength = blob[0] ?? 0;
    const arn = blob.subarray(1, 1 + idLength).toString('utf8');
    if (!keys.has(arn) || blob.length < 1 + idLength + 28) {
      throw new KmsError('InvalidCiphertextException', '');
    }
    if (keyId !== undefined && keyId !== arn) {
      throw new KmsError('IncorrectKeyException', 'The key ID in the request does not identify the key used');
    }
    const [, material] = keyOf(arn);
    const iv = blob.subarray(1 + idLength, 13 + idLength);
    const tag = blob.subarray(13 + idLength, 29 + idLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', material, iv);
      decipher.setAAD(aadOf(context));
      decipher.setAuthTag(tag);
      const plaintext = Buffer.concat([decipher.update(blob.subarray(29 + idLength)), decipher.final()]);
      return { arn, plaintext };
    } catch {
      throw new KmsError('InvalidCiphertextException', '');
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: string, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': `kms-${++counter}`,
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(body);
      };
      const operation = /^TrentService\.(\w+)$/.exec(String(req.headers['x-amz-target'] ?? ''))?.[1] ?? '';
      try {
        const auth = String(req.headers.authorization ?? '');
        if (!auth.includes(`Credential=${KMS_FIXTURE_CREDENTIALS.accessKeyId}/`)) {
          throw new KmsError(
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
          );
        }
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
        calls.push({ operation, keyId: typeof input.KeyId === 'string' ? input.KeyId : null });
        switch (operation) {
          case 'GenerateDataKey': {
            if (input.KeySpec !== 'AES_256')
              throw new KmsError('ValidationException', 'KeySpec must be AES_256');
            const plaintext = randomBytes(32);
            const blob = encrypt(input.KeyId, plaintext, input.EncryptionContext);
            return send(
              200,
              JSON.stringify({
                KeyId: input.KeyId,
                CiphertextBlob: blob,
                Plaintext: plaintext.toString('base64'),
              }),
            );
          }
          case 'Encrypt': {
            const plaintext = Buffer.from(String(input.Plaintext), 'base64');
            const blob = encrypt(input.KeyId, plaintext, input.EncryptionContext);
            return send(200, JSON.stringify({ KeyId: input.KeyId, CiphertextBlob: blob }));
          }
          case 'Decrypt': {
            const { arn, plaintext } = decrypt(input.CiphertextBlob, input.EncryptionContext, input.KeyId);
            return send(200, JSON.stringify({ KeyId: arn, Plaintext: plaintext.toString('base64') }));
          }
          default:
            throw new KmsError('UnknownOperationException', `${operation} is not served by this fixture`);
        }
      } catch (error) {
        const e = error instanceof KmsError ? error : new KmsError('KMSInternalException', String(error));
        send(e.code === 'KMSInternalException' ? 500 : 400, jsonError(e.code, e.message), e.code);
      }
    });
  });

  const listening = await listenLocal(server);
  return {
    ...listening,
    calls,
    createKey() {
      const arn = `arn:aws:kms:us-east-1:123456789012:key/${randomBytes(16).toString('hex')}`;
      keys.set(arn, { material: randomBytes(32), enabled: true });
      return arn;
    },
    disableKey(arn) {
      const key = keys.get(arn);
      if (key) key.enabled = false;
    },
  };
}
