// The S3 scanner through the real AWS SDK v3, over HTTP, against the local S3 fixture server.
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import { ScanFailedError, type ScanProgress } from '../types.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoS3Account,
  startS3FixtureServer,
  type S3Fault,
  type S3FixtureAccount,
  type S3FixtureServer,
} from './fixtures/s3-fixture-server.ts';
import { scanS3 as scanPaced, type AwsScanTarget } from './s3.ts';

/**
 * scanS3 without the polite call rate: the sandbox answers at once, and pacing has its own tests
 * (scanners/rate-limit.test.ts); at the default rate each scan of the 12 demo buckets waits about 2.5 s.
 */
const scanS3: typeof scanPaced = (target, options = {}) =>
  scanPaced(target, { callsPerSecond: 10_000, ...options });

const FIXED_NOW = new Date('2026-05-04T12:00:00.000Z');
const bucket = (base: string): string => `${base}-${DEMO_AWS_ACCOUNT_ID}`;
const arn = (base: string): string => `arn:aws:s3:::${bucket(base)}`;

let server: S3FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(
  opts: { account?: S3FixtureAccount; faults?: S3Fault[] } = {},
): Promise<S3FixtureServer> {
  server = await startS3FixtureServer(opts);
  return server;
}

function targetFor(s: S3FixtureServer, credentials = DEMO_AWS_CREDENTIALS): AwsScanTarget {
  return {
    accountId: DEMO_AWS_ACCOUNT_ID,
    region: 'us-east-1',
    endpoint: s.url,
    credentials: { ...credentials },
  };
}

function byName(resources: Resource[], base: string): Resource {
  const found = resources.find((r) => r.name === bucket(base));
  if (!found) throw new Error(`no resource for ${base}`);
  return found;
}

/** A port nothing listens on: bind one, then release it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('scanS3 against the demo sandbox', () => {
  it('normalizes every bucket into a valid aws.s3.bucket resource with the expected attributes', async () => {
    const s = await start();
    const outcome = await scanS3(targetFor(s), { now: () => FIXED_NOW });

    expect(outcome.resources).toHaveLength(12);
    for (const resource of outcome.resources) expect(assertValidResource(resource)).toBe(resource);
    expect(new Set(outcome.resources.map((r) => r.region))).toEqual(
      new Set(['us-east-1', 'eu-west-1', 'us-west-2']),
    );

    expect(byName(outcome.resources, 'acme-prod-app-assets')).toEqual({
      id: arn('acme-prod-app-assets'),
      provider: 'aws',
      account: DEMO_AWS_ACCOUNT_ID,
      region: 'us-east-1',
      type: 'aws.s3.bucket',
      name: bucket('acme-prod-app-assets'),
      collected_at: '2026-05-04T12:00:00.000Z',
      source: { api: 's3', endpoint: s.url },
      attributes: {
        creation_date: '2021-03-14T09:26:53.000Z',
        encryption: {
          enabled: true,
          algorithm: 'aws:kms',
          kms_key_id: 'arn:aws:kms:us-east-1:123456789012:key/0f6c2a8e-4d1b-4c7e-9a35-2b8f1e6d7c40',
          bucket_key_enabled: true,
        },
        public_access_block: {
          block_public_acls: true,
          ignore_public_acls: true,
          block_public_policy: true,
          restrict_public_buckets: true,
        },
        versioning: { status: 'Enabled', mfa_delete: false },
        logging: {
          enabled: true,
          target_bucket: bucket('acme-prod-access-logs'),
          target_prefix: 'app-assets/',
        },
        policy_status: { is_public: false, has_policy: true },
        lifecycle: { enabled_rules: 0, expires_current_objects: false, expires_noncurrent_versions: false },
        tags: {},
      },
    });

    // Everything S3 reports as "not configured" through an error becomes a definite value.
    const exports = byName(outcome.resources, 'acme-eu-analytics-exports');
    expect(exports.region).toBe('eu-west-1');
    expect(exports.attributes).toEqual({
      creation_date: '2020-05-18T16:40:27.000Z',
      encryption: { enabled: false, algorithm: null, kms_key_id: null, bucket_key_enabled: false },
      public_access_block: null,
      versioning: { status: 'Suspended', mfa_delete: false },
      logging: { enabled: false, target_bucket: null, target_prefix: null },
      policy_status: { is_public: false, has_policy: false },
      lifecycle: { enabled_rules: 0, expires_current_objects: false, expires_noncurrent_versions: false },
      tags: {},
    });
    expect(byName(outcome.resources, 'acme-cloudtrail-logs').attributes).toMatchObject({
      lifecycle: { enabled_rules: 1, expires_current_objects: true, expires_noncurrent_versions: true },
      tags: { 'data-classification': 'restricted' },
    });

    const website = byName(outcome.resources, 'acme-public-website');
    expect(website.attributes).toMatchObject({
      encryption: { enabled: true, algorithm: 'AES256', kms_key_id: null, bucket_key_enabled: false },
      public_access_block: {
        block_public_acls: false,
        ignore_public_acls: false,
        block_public_policy: false,
        restrict_public_buckets: false,
      },
      versioning: { status: 'Disabled', mfa_delete: false },
      policy_status: { is_public: true, has_policy: true },
    });

    const scratch = byName(outcome.resources, 'acme-dev-scratch');
    expect(scratch.region).toBe('us-west-2');
    expect(scratch.attributes.public_access_block).toEqual({
      block_public_acls: true,
      ignore_public_acls: true,
      block_public_policy: false,
      restrict_public_buckets: false,
    });
    expect(byName(outcome.resources, 'acme-ml-training-data').attributes.encryption).toMatchObject({
      algorithm: 'aws:kms:dsse',
    });
    expect(byName(outcome.resources, 'acme-prod-customer-uploads').attributes.versioning).toEqual({
      status: 'Enabled',
      mfa_delete: true,
    });
  });

  it('records the denied GetPublicAccessBlock as a ScanError, leaves the attribute absent and finishes the scan', async () => {
    const s = await start();
    const outcome = await scanS3(targetFor(s));

    expect(outcome.errors).toEqual([
      {
        provider: 'aws',
        operation: 's3:GetPublicAccessBlock',
        resource_id: arn('acme-legacy-reports'),
        code: 'AccessDenied',
        message: 'HTTP 403, AccessDenied',
        missing_permission: 's3:GetBucketPublicAccessBlock',
      },
    ]);
    const legacy = byName(outcome.resources, 'acme-legacy-reports');
    expect(legacy.attributes).not.toHaveProperty('public_access_block');
    expect(legacy.attributes).toMatchObject({
      encryption: { enabled: true, algorithm: 'AES256' },
      versioning: { status: 'Suspended' },
      policy_status: { is_public: false, has_policy: true },
    });
    // The calls after the denied one were still made for that bucket, and every other bucket is complete.
    const legacyCalls = s.requests
      .filter((r) => r.bucket === bucket('acme-legacy-reports'))
      .map((r) => r.operation);
    expect(legacyCalls).toEqual([
      'GetBucketLocation',
      'GetBucketEncryption',
      'GetPublicAccessBlock',
      'GetBucketVersioning',
      'GetBucketLogging',
      'GetBucketPolicyStatus',
      'GetBucketLifecycleConfiguration',
      'GetBucketTagging',
    ]);
    expect(outcome.resources).toHaveLength(12);
    for (const r of outcome.resources.filter((r) => r !== legacy)) {
      expect(Object.keys(r.attributes).sort()).toEqual(
        [
          'creation_date',
          'encryption',
          'lifecycle',
          'logging',
          'policy_status',
          'public_access_block',
          'tags',
          'versioning',
        ].sort(),
      );
    }
    expect(outcome.progress).toEqual({ phase: 'done', resources_collected: 12, calls_made: 97, errors: 1 });
  });

  it('reads each bucket with a client signed for the bucket region, keeping the custom endpoint', async () => {
    const s = await start();
    await scanS3(targetFor(s));
    const euCalls = s.requests.filter((r) => r.bucket === bucket('acme-eu-data-lake-raw'));
    expect(euCalls.map((r) => [r.operation, r.signingRegion])).toEqual([
      ['GetBucketLocation', 'us-east-1'],
      ['GetBucketEncryption', 'eu-west-1'],
      ['GetPublicAccessBlock', 'eu-west-1'],
      ['GetBucketVersioning', 'eu-west-1'],
      ['GetBucketLogging', 'eu-west-1'],
      ['GetBucketPolicyStatus', 'eu-west-1'],
      ['GetBucketLifecycleConfiguration', 'eu-west-1'],
      ['GetBucketTagging', 'eu-west-1'],
    ]);
  });

  it('follows ListBuckets continuation tokens page by page', async () => {
    const s = await start();
    const outcome = await scanS3(targetFor(s), { listPageSize: 5 });
    const listings = s.requests.filter((r) => r.operation === 'ListBuckets');
    expect(listings).toHaveLength(3);
    expect(listings[0]?.url).not.toContain('continuation-token');
    expect(listings[1]?.url).toContain('continuation-token=');
    expect(outcome.resources.map((r) => r.name).sort()).toEqual(
      demoS3Account()
        .buckets.map((b) => b.name)
        .sort(),
    );
  });

  it('retries a 503 SlowDown on ListBuckets and then succeeds', async () => {
    const s = await start({
      faults: [{ operation: 'ListBuckets', status: 503, code: 'SlowDown', times: 1 }],
    });
    const outcome = await scanS3(targetFor(s));
    const listings = s.requests.filter((r) => r.operation === 'ListBuckets');
    expect(listings.map((r) => [r.status, r.errorCode])).toEqual([
      [503, 'SlowDown'],
      [200, null],
    ]);
    expect(outcome.resources).toHaveLength(12);
    // One logical call, however many HTTP attempts it took.
    expect(outcome.progress.calls_made).toBe(97);
  });

  it('reports progress with counts that only grow and end at the outcome', async () => {
    const s = await start();
    const seen: ScanProgress[] = [];
    const outcome = await scanS3(targetFor(s), { onProgress: (p) => seen.push(p) });

    expect(seen.length).toBeGreaterThan(97);
    for (let i = 1; i < seen.length; i++) {
      const [before, after] = [seen[i - 1] as ScanProgress, seen[i] as ScanProgress];
      expect(after.calls_made).toBeGreaterThanOrEqual(before.calls_made);
      expect(after.resources_collected).toBeGreaterThanOrEqual(before.resources_collected);
      expect(after.errors).toBeGreaterThanOrEqual(before.errors);
    }
    expect(seen[0]?.phase).toBe('listing_buckets');
    expect([...new Set(seen.map((p) => p.phase))]).toEqual(['listing_buckets', 'reading_buckets', 'done']);
    expect(new Set(seen.map((p) => p.calls_made)).size).toBe(98); // 0 through 97
    expect(seen.at(-1)).toEqual(outcome.progress);
    // Callers get snapshots, not a live object.
    expect(seen[0]).not.toBe(seen[1]);
  });

  it('takes the region from the listing when GetBucketLocation is denied, and records the denial', async () => {
    const denied = bucket('acme-eu-access-logs');
    const s = await start({
      faults: [{ operation: 'GetBucketLocation', bucket: denied, status: 403, code: 'AccessDenied' }],
    });
    const outcome = await scanS3(targetFor(s));
    expect(byName(outcome.resources, 'acme-eu-access-logs').region).toBe('eu-west-1');
    expect(outcome.errors.map((e) => [e.operation, e.resource_id, e.missing_permission])).toEqual(
      expect.arrayContaining([['s3:GetBucketLocation', arn('acme-eu-access-logs'), 's3:GetBucketLocation']]),
    );
  });

  it('records a failure other than AccessDenied without claiming a missing permission', async () => {
    const s = await start({
      faults: [
        {
          operation: 'GetBucketLogging',
          bucket: bucket('acme-prod-app-assets'),
          status: 400,
          code: 'InvalidRequest',
        },
      ],
    });
    const outcome = await scanS3(targetFor(s));
    const error = outcome.errors.find((e) => e.operation === 's3:GetBucketLogging');
    expect(error).toMatchObject({
      code: 'InvalidRequest',
      missing_permission: null,
      resource_id: arn('acme-prod-app-assets'),
    });
    expect(byName(outcome.resources, 'acme-prod-app-assets').attributes).not.toHaveProperty('logging');
  });

  it('skips a bucket deleted between listing and reading, without an error', async () => {
    const gone = bucket('acme-dev-scratch');
    const s = await start({
      faults: [{ operation: 'GetBucketLocation', bucket: gone, status: 404, code: 'NoSuchBucket' }],
    });
    const outcome = await scanS3(targetFor(s));
    expect(outcome.resources).toHaveLength(11);
    expect(outcome.resources.map((r) => r.name)).not.toContain(gone);
    expect(outcome.errors.map((e) => e.resource_id)).not.toContain(`arn:aws:s3:::${gone}`);
  });
});

describe('scanS3 when the whole scan cannot proceed', () => {
  it('rejects a wrong access key with INVALID_CREDENTIALS at once, without retries', async () => {
    const s = await start();
    const started = Date.now();
    const error = await scanS3(
      targetFor(s, { accessKeyId: 'AKIAUNKNOWNKEY000042', secretAccessKey: 'not-the-right-secret' }),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect((error as Error).message).toContain('InvalidAccessKeyId');
    expect((error as Error).message).toContain('0042');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(s.requests).toHaveLength(1);
  });

  it('rejects expired session credentials with EXPIRED_CREDENTIALS', async () => {
    const account = demoS3Account();
    account.credentials.push({
      accessKeyId: 'ASIATEMPORARY0000001',
      secretAccessKey: 'temporary-secret',
      sessionToken: 'session-token-value',
      expired: true,
    });
    const s = await start({ account });
    const target = targetFor(s, DEMO_AWS_CREDENTIALS);
    target.credentials = {
      accessKeyId: 'ASIATEMPORARY0000001',
      secretAccessKey: 'temporary-secret',
      sessionToken: 'session-token-value',
    };
    await expect(scanS3(target)).rejects.toMatchObject({
      name: 'ScanFailedError',
      code: 'EXPIRED_CREDENTIALS',
    });
  });

  it('stops the scan when the credentials are refused midway (e.g. key deactivated)', async () => {
    const s = await start({
      faults: [{ operation: 'GetBucketVersioning', status: 403, code: 'InvalidAccessKeyId' }],
    });
    await expect(scanS3(targetFor(s))).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('rejects with PERMISSION_DENIED naming s3:ListAllMyBuckets when ListBuckets is denied', async () => {
    const s = await start({ faults: [{ operation: 'ListBuckets', status: 403, code: 'AccessDenied' }] });
    const error = await scanS3(targetFor(s)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', missingPermission: 's3:ListAllMyBuckets' });
  });

  it('rejects with ENDPOINT_UNREACHABLE when nothing listens at the endpoint', async () => {
    const port = await closedPort();
    const error = await scanS3({
      accountId: DEMO_AWS_ACCOUNT_ID,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { ...DEMO_AWS_CREDENTIALS },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ScanFailedError', code: 'ENDPOINT_UNREACHABLE' });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects a malformed target with INVALID_CONFIG before any call', async () => {
    const s = await start();
    const target = { ...targetFor(s), accountId: '12345', region: 'Europe' };
    const error = await scanS3(target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((error as Error).message).toMatch(/accountId.*region/);
    expect(s.requests).toHaveLength(0);
  });

  it('stops between calls when aborted and rejects with ABORTED', async () => {
    const s = await start();
    const controller = new AbortController();
    let callsAtAbort = 0;
    const error = await scanS3(targetFor(s), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.calls_made === 10 && !controller.signal.aborted) {
          callsAtAbort = s.requests.length;
          controller.abort();
        }
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ScanFailedError', code: 'ABORTED' });
    // Only the calls already in flight (at most one per concurrent bucket) may follow the abort.
    expect(s.requests.length - callsAtAbort).toBeLessThanOrEqual(4);
    expect(s.requests.length).toBeLessThan(73);
  });
});

describe('secrets', () => {
  const SECRET = 'wJalrSECRETdoNotLeak/K7MDENG+bPxRfiCYzz';
  const TOKEN = 'FwoGZXIvYXdzSESSIONtokenDoNotLeak0000';

  it('never appear in ScanErrors, even when the provider echoes them', async () => {
    const account = demoS3Account();
    account.credentials.push({
      accessKeyId: 'AKIASECRETTEST000001',
      secretAccessKey: SECRET,
      sessionToken: TOKEN,
    });
    const s = await start({
      account,
      faults: [
        {
          operation: 'GetBucketLogging',
          bucket: bucket('acme-prod-app-assets'),
          status: 403,
          code: 'AccessDenied',
          message: `denied for secret ${SECRET} and token ${TOKEN}`,
        },
      ],
    });
    const target = targetFor(s);
    target.credentials = {
      accessKeyId: 'AKIASECRETTEST000001',
      secretAccessKey: SECRET,
      sessionToken: TOKEN,
    };
    const outcome = await scanS3(target);

    const logged = outcome.errors.find((e) => e.operation === 's3:GetBucketLogging');
    // Our account of the failure, never the provider's text: what it echoed cannot come back.
    expect(logged?.message).toBe('HTTP 403, AccessDenied');
    const everything = JSON.stringify(outcome);
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain(TOKEN);
  });

  it('never appear in thrown errors, their causes included', async () => {
    const s = await start();
    const failures: unknown[] = [];
    const credentials = { accessKeyId: 'AKIAUNKNOWNKEY000042', secretAccessKey: SECRET, sessionToken: TOKEN };
    failures.push(await scanS3({ ...targetFor(s), credentials }).catch((e: unknown) => e));
    failures.push(
      await scanS3({
        ...targetFor(s),
        endpoint: `http://127.0.0.1:${await closedPort()}`,
        credentials,
      }).catch((e: unknown) => e),
    );
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ScanFailedError);
      const text = `${(failure as Error).message}\n${inspect(failure, { depth: 8 })}`;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
    }
  });
});
