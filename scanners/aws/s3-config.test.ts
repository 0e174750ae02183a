// S3 buckets through AWS Config: the demo sandbox scanned from its AWS::S3::Bucket configuration items
// (real SDK clients over HTTP against the fixture server) must give the same normalized buckets and the
// same scan errors as the direct S3 calls, asking S3 only what the items do not settle.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import { describeWithReference, referencePath } from '../../test/reference.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import type { ConfigItem } from './config-item.ts';
import { bucketFromItem, onlyFixedPrincipals } from './s3-config.ts';
import {
  CONFIG_ITEM_FILES,
  configItemFixture,
  demoTarget,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
} from './testing.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  demoAwsAccount,
  withConfigRecording,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

const target = (s: AwsFixtureServer, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget =>
  demoTarget(s, { services: ['s3'], useConfig: true, ...extra });

function withoutSource(resources: Resource[]): Record<string, Omit<Resource, 'source'>> {
  const out: Record<string, Omit<Resource, 'source'>> = {};
  for (const { source: _source, ...rest } of resources) out[rest.id] = rest;
  return out;
}

/** S3 calls by operation name. */
function s3Calls(s: AwsFixtureServer): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of s.s3.requests) out[r.operation ?? '?'] = (out[r.operation ?? '?'] ?? 0) + 1;
  return out;
}

async function direct() {
  const s = await start(demoAwsAccount({ asOf: SCAN_NOW }));
  const outcome = await scanAwsAccount(target(s, { useConfig: false }), FAST_SCAN);
  expect(s3Calls(s)).toMatchObject({ ListBuckets: 1, GetBucketLocation: 12, GetBucketVersioning: 12 });
  return outcome;
}

describe('S3 buckets through AWS Config', () => {
  it('gives the same buckets and errors as the direct calls, asking S3 only what the items leave open', async () => {
    const baseline = await direct();
    const s = await start(withConfigRecording(demoAwsAccount({ asOf: SCAN_NOW })));
    const outcome = await scanAwsAccount(target(s), FAST_SCAN);

    expect(outcome.resources).toHaveLength(12);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(baseline.resources));
    // The bucket whose policy denies reading its public access block fails the same way on both paths.
    expect(outcome.errors).toEqual(baseline.errors);
    expect(outcome.errors.map((e) => e.operation)).toEqual(['s3:GetPublicAccessBlock']);
    expect(new Set(outcome.resources.map((r) => r.source?.api))).toEqual(new Set(['config']));
    // One Select per region; per bucket only: no default encryption (2 buckets), no or an unreadable
    // public access block (2), the one policy with an Allow to "*" whose public status S3 decides, and
    // the lifecycle (8) and tags (7) of buckets whose item records none (Config leaves the entry out).
    expect(s.requests.filter((r) => r.operation === 'SelectResourceConfig')).toHaveLength(3);
    expect(s3Calls(s)).toEqual({
      ListBuckets: 1,
      GetBucketEncryption: 2,
      GetPublicAccessBlock: 2,
      GetBucketPolicyStatus: 1,
      GetBucketLifecycleConfiguration: 8,
      GetBucketTagging: 7,
    });
    expect(outcome.progress.calls_made).toBe(s.requests.length + s.s3.requests.length);
  });

  it('reads directly the buckets Config has no item for (a region not recording S3)', async () => {
    const baseline = await direct();
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    withConfigRecording(account, { recording: true, resourceTypes: 'all' }, ['us-east-1', 'eu-west-1']);
    withConfigRecording(account, { recording: true, resourceTypes: ['AWS::EC2::Volume'] }, ['us-west-2']);
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s), FAST_SCAN);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(baseline.resources));
    expect(outcome.errors).toEqual(baseline.errors);
    const byRegion = (api: string) =>
      new Set(outcome.resources.filter((r) => r.source?.api === api).map((r) => r.region));
    expect(byRegion('config')).toEqual(new Set(['us-east-1', 'eu-west-1']));
    expect(byRegion('s3')).toEqual(new Set(['us-west-2']));
    expect(s3Calls(s).GetBucketLocation).toBe(4); // the four us-west-2 buckets only
  });

  it('reads the buckets from a named aggregator as from the regions', async () => {
    const baseline = await direct();
    const account = withConfigRecording(demoAwsAccount({ asOf: SCAN_NOW }));
    account.configAggregators = [
      { name: 'org-inventory', accountIds: [DEMO_AWS_ACCOUNT_ID], regions: 'all' },
    ];
    const s = await start(account);
    const outcome = await scanAwsAccount(target(s, { configAggregator: 'org-inventory' }), FAST_SCAN);
    expect(withoutSource(outcome.resources)).toEqual(withoutSource(baseline.resources));
    expect(outcome.errors).toEqual(baseline.errors);
    expect(s.requests.filter((r) => r.operation === 'SelectAggregateResourceConfig')).toHaveLength(1);
    expect(s.requests.filter((r) => r.operation === 'SelectResourceConfig')).toHaveLength(0);
    expect(s3Calls(s).GetBucketLocation).toBeUndefined();
  });
});

describe('AWS::S3::Bucket items as AWS Config records them', () => {
  it('normalizes our committed bucket items, asking S3 only for what an item does not record', () => {
    const [settled, unsettled] = CONFIG_ITEM_FILES['AWS::S3::Bucket'].map((f) =>
      bucketFromItem(configItemFixture(f)),
    );
    // Every entry recorded, and a policy whose only Allow names a fixed role: nothing left to ask.
    expect(settled).toEqual({
      region: 'eu-west-1',
      attributes: {
        encryption: {
          enabled: true,
          algorithm: 'aws:kms',
          kms_key_id: 'arn:aws:kms:eu-west-1:123456789012:key/0f6c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
          bucket_key_enabled: true,
        },
        public_access_block: {
          block_public_acls: true,
          ignore_public_acls: true,
          block_public_policy: true,
          restrict_public_buckets: true,
        },
        versioning: { status: 'Enabled', mfa_delete: false },
        logging: { enabled: true, target_bucket: 'acme-access-logs', target_prefix: 'acme-ledger-exports/' },
        policy_status: { is_public: false, has_policy: true },
        lifecycle: { enabled_rules: 1, expires_current_objects: true, expires_noncurrent_versions: true },
        tags: { 'data-classification': 'confidential' },
      },
      ask: [],
    });
    // No default-encryption or public-access-block entry (as S3 answers "not configured"), no policy.
    expect(unsettled).toEqual({
      region: 'us-east-1',
      attributes: {
        versioning: { status: 'Disabled', mfa_delete: false },
        logging: { enabled: false, target_bucket: null, target_prefix: null },
        policy_status: { is_public: false, has_policy: false },
      },
      ask: [
        'GetBucketEncryption',
        'GetPublicAccessBlock',
        'GetBucketLifecycleConfiguration',
        'GetBucketTagging',
      ],
    });
  });

  it('normalizes the current entries, given as JSON text or as objects', () => {
    const supplementary = {
      ServerSideEncryptionConfiguration: {
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyID: 'arn:aws:kms:k' },
            bucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: false,
        restrictPublicBuckets: false,
      },
      BucketVersioningConfiguration: { status: 'Enabled', isMfaDeleteEnabled: true },
      BucketLoggingConfiguration: { destinationBucketName: 'logs', logFilePrefix: 'b/' },
      BucketPolicy: {
        policyText: JSON.stringify({
          Statement: [
            { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root'] }, Action: '*' },
          ],
        }),
      },
      BucketLifecycleConfiguration: {
        rules: [
          { id: 'old', status: 'Disabled', expirationInDays: 30, noncurrentVersionExpirationInDays: -1 },
          {
            id: 'versions',
            status: 'Enabled',
            expirationInDays: -1,
            noncurrentVersionExpiration: { noncurrentDays: 60 },
          },
        ],
      },
      BucketTaggingConfiguration: { tagSets: [{ tags: { team: 'ledger' } }] },
    };
    const asText = Object.fromEntries(Object.entries(supplementary).map(([k, v]) => [k, JSON.stringify(v)]));
    for (const sup of [supplementary, asText]) {
      expect(
        bucketFromItem({ resourceId: 'b', awsRegion: 'eu-west-1', supplementaryConfiguration: sup }),
      ).toEqual({
        region: 'eu-west-1',
        attributes: {
          encryption: {
            enabled: true,
            algorithm: 'aws:kms',
            kms_key_id: 'arn:aws:kms:k',
            bucket_key_enabled: true,
          },
          public_access_block: {
            block_public_acls: true,
            ignore_public_acls: true,
            block_public_policy: false,
            restrict_public_buckets: false,
          },
          versioning: { status: 'Enabled', mfa_delete: true },
          logging: { enabled: true, target_bucket: 'logs', target_prefix: 'b/' },
          policy_status: { is_public: false, has_policy: true },
          // A disabled rule deletes nothing; the newer noncurrentVersionExpiration form counts too.
          lifecycle: { enabled_rules: 1, expires_current_objects: false, expires_noncurrent_versions: true },
          tags: { team: 'ledger' },
        },
        ask: [],
      });
    }
  });

  it('asks S3 for an entry that is unreadable or holds a value it does not know', () => {
    const bucket = bucketFromItem({
      resourceId: 'b',
      awsRegion: 'eu-west-1',
      supplementaryConfiguration: {
        ServerSideEncryptionConfiguration: '{not json',
        PublicAccessBlockConfiguration: '{"blockPublicAcls":true}',
        BucketVersioningConfiguration: '{"status":"Paused"}',
        BucketLoggingConfiguration: '{"destinationBucketName":null}',
        BucketPolicy:
          '{"policyText":"{\\"Statement\\":[{\\"Effect\\":\\"Allow\\",\\"NotPrincipal\\":{\\"AWS\\":\\"x\\"}}]}"}',
      },
    });
    expect(bucket.ask).toEqual([
      'GetBucketEncryption',
      'GetBucketVersioning',
      'GetBucketPolicyStatus',
      'GetBucketLifecycleConfiguration',
      'GetBucketTagging',
    ]);
    expect(bucket.attributes.public_access_block).toEqual({
      block_public_acls: true,
      ignore_public_acls: false,
      block_public_policy: false,
      restrict_public_buckets: false,
    });
  });

  it('settles a policy as not public only when every Allow names fixed principals', () => {
    const allow = (Principal: unknown, Condition?: unknown) => ({
      Statement: [
        { Effect: 'Allow', Principal, Action: 's3:GetObject', ...(Condition ? { Condition } : {}) },
      ],
    });
    expect(onlyFixedPrincipals(allow({ Service: 'logging.s3.amazonaws.com' }))).toBe(true);
    expect(onlyFixedPrincipals(allow({ AWS: 'arn:aws:iam::111122223333:role/reader' }))).toBe(true);
    expect(onlyFixedPrincipals({ Statement: { Effect: 'Deny', Principal: '*', Action: 's3:*' } })).toBe(true);
    // "*" with a condition may still be non-public (aws:SourceVpce ...): that is S3's call, not ours.
    expect(onlyFixedPrincipals(allow('*', { StringEquals: { 'aws:SourceVpce': 'vpce-1' } }))).toBe(false);
    expect(onlyFixedPrincipals(allow({ AWS: '*' }))).toBe(false);
    expect(onlyFixedPrincipals(allow({ AWS: 'arn:aws:iam::*:root' }))).toBe(false);
    expect(onlyFixedPrincipals({ Statement: [{ Effect: 'Allow', Action: 's3:*' }] })).toBe(false);
  });
});

describeWithReference('AWS::S3::Bucket items as AWS records them (AWS sample items)', () => {
  const sample = (file: string): ConfigItem =>
    JSON.parse(
      readFileSync(referencePath('aws-config', 'sample-configuration-items', file), 'utf8'),
    ) as ConfigItem;

  it('normalizes the reference bucket item, asking only for what it does not record', () => {
    // Recorded in 2017: no default-encryption or public-access-block entry, a bucket without a policy.
    const bucket = bucketFromItem(sample('s3-bucket.configuration-item.json'));
    expect(bucket).toEqual({
      region: 'us-east-2',
      attributes: {
        versioning: { status: 'Disabled', mfa_delete: false },
        logging: { enabled: false, target_bucket: null, target_prefix: null },
        policy_status: { is_public: false, has_policy: false },
        tags: { Verbose: 'Game', Planet: 'Earth' },
      },
      ask: ['GetBucketEncryption', 'GetPublicAccessBlock', 'GetBucketLifecycleConfiguration'],
    });
    const other = bucketFromItem(sample('s3-bucket-replication-notification.configuration-item.json'));
    expect(other.region).toBe('us-east-1');
    expect(other.ask).toContain('GetBucketEncryption');
  });
});
