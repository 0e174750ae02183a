// scanIntegration dispatches on the provider: AWS through the real scanner and fixture server.
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from './aws/fixtures/s3-fixture-server.ts';
import { ScanFailedError, scanIntegration, type ScannableIntegration } from './index.ts';

let server: S3FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('scanIntegration', () => {
  it('scans an AWS integration with its config and credentials', async () => {
    server = await startS3FixtureServer();
    const outcome = await scanIntegration({
      provider: 'aws',
      config: { accountId: '123456789012', region: 'eu-west-1', endpoint: server.url },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(outcome.resources).toHaveLength(12);
    expect(outcome.resources.every((r) => r.type === 'aws.s3.bucket' && r.account === '123456789012')).toBe(
      true,
    );
    expect(server.requests[0]).toMatchObject({ operation: 'ListBuckets', signingRegion: 'eu-west-1' });
  });

  it('refuses a provider without a scanner, naming it', async () => {
    const integration = { provider: 'okta', config: {}, credentials: {} } as unknown as ScannableIntegration;
    const error = await scanIntegration(integration).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_PROVIDER' });
    expect((error as Error).message).toContain('"okta"');
  });

  it('refuses an AWS integration without credentials', async () => {
    const integration = { provider: 'aws', config: { accountId: '123456789012', region: 'us-east-1' } };
    await expect(scanIntegration(integration as unknown as ScannableIntegration)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
