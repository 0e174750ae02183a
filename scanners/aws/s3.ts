/**
 * The AWS S3 scanner: lists the account's buckets, reads each bucket's security configuration and
 * turns it into `aws.s3.bucket` resources. One call that fails on one bucket becomes a ScanError
 * (naming the call and the IAM action it needs) and leaves its attribute absent; only refused
 * credentials, an unreachable endpoint or a refused ListBuckets stop the whole scan.
 */
import {
  GetBucketEncryptionCommand,
  GetBucketLocationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyStatusCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  S3Client,
  type Bucket,
} from '@aws-sdk/client-s3';
import type { Resource } from '../../schemas/index.ts';
import { ScanFailedError, type ScanOutcome } from '../types.ts';
import { AwsScanContext, type AwsContextOptions, type CallResult } from './aws-context.ts';
import { describeAccessKey, safeErrorMessage } from './aws-errors.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import {
  encryptionFrom,
  encryptionNotConfigured,
  loggingFrom,
  policyStatusFrom,
  policyStatusWithoutPolicy,
  publicAccessBlockFrom,
  regionFromLocationConstraint,
  versioningFrom,
  lifecycleFrom,
  lifecycleNotConfigured,
  tagsFrom,
} from './s3-normalize.ts';
import { iamActionFor, qualifiedOperation, type S3OperationName } from './s3-operations.ts';
import type { ConfigItem } from './config-item.ts';
import { bucketFromItem, type BucketFromConfig } from './s3-config.ts';
import type { AwsCredentials } from './credentials.ts';

export interface AwsScanTarget {
  /** The 12-digit account the credentials belong to; it becomes `Resource.account`. */
  accountId: string;
  /** Home region: where ListBuckets is sent. Buckets are then read in their own region. */
  region: string;
  /** A custom S3 endpoint (the fixture server, a VPC endpoint…); path-style addressing is used with it. */
  endpoint?: string;
  credentials: AwsCredentials;
}

/** The account scan's options plus the knobs specific to S3, mostly useful to tests. */
export interface S3ScanOptions extends AwsContextOptions {
  /** Buckets asked for per ListBuckets page (S3 allows 1 to 10,000). */
  listPageSize?: number;
  /** Buckets read at the same time. */
  bucketConcurrency?: number;
  /**
   * AWS Config items of the buckets, by name (regions whose recorder records AWS::S3::Bucket). A
   * listed bucket with an item is read from it, asking directly only what the item does not tell;
   * one without (created since Config last recorded, or in a region not recorded) is read directly.
   */
  configItems?: ReadonlyMap<string, ConfigItem>;
  /** `source.api` of the buckets read from Config items (`config` or `config-aggregator`). */
  configApi?: string;
}

const DEFAULT_LIST_PAGE_SIZE = 1000;
const DEFAULT_BUCKET_CONCURRENCY = 4;

/** One per-bucket read: the call, the attribute it fills and the "not configured" answer S3 gives as an error. */
interface BucketAttributeReader {
  operation: S3OperationName;
  attribute: string;
  read(client: S3Client, bucket: string, abortSignal: AbortSignal | undefined): Promise<unknown>;
  notConfigured?: { code: string; value: () => unknown };
}

const BUCKET_ATTRIBUTE_READERS: readonly BucketAttributeReader[] = [
  {
    operation: 'GetBucketEncryption',
    attribute: 'encryption',
    read: async (client, Bucket, abortSignal) =>
      encryptionFrom(await client.send(new GetBucketEncryptionCommand({ Bucket }), { abortSignal })),
    notConfigured: { code: 'ServerSideEncryptionConfigurationNotFoundError', value: encryptionNotConfigured },
  },
  {
    operation: 'GetPublicAccessBlock',
    attribute: 'public_access_block',
    read: async (client, Bucket, abortSignal) =>
      publicAccessBlockFrom(await client.send(new GetPublicAccessBlockCommand({ Bucket }), { abortSignal })),
    notConfigured: { code: 'NoSuchPublicAccessBlockConfiguration', value: () => null },
  },
  {
    operation: 'GetBucketVersioning',
    attribute: 'versioning',
    read: async (client, Bucket, abortSignal) =>
      versioningFrom(await client.send(new GetBucketVersioningCommand({ Bucket }), { abortSignal })),
  },
  {
    operation: 'GetBucketLogging',
    attribute: 'logging',
    read: async (client, Bucket, abortSignal) =>
      loggingFrom(await client.send(new GetBucketLoggingCommand({ Bucket }), { abortSignal })),
  },
  {
    operation: 'GetBucketPolicyStatus',
    attribute: 'policy_status',
    read: async (client, Bucket, abortSignal) =>
      policyStatusFrom(await client.send(new GetBucketPolicyStatusCommand({ Bucket }), { abortSignal })),
    notConfigured: { code: 'NoSuchBucketPolicy', value: policyStatusWithoutPolicy },
  },
  {
    operation: 'GetBucketLifecycleConfiguration',
    attribute: 'lifecycle',
    read: async (client, Bucket, abortSignal) =>
      lifecycleFrom(
        await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }), { abortSignal }),
      ),
    notConfigured: { code: 'NoSuchLifecycleConfiguration', value: lifecycleNotConfigured },
  },
  {
    operation: 'GetBucketTagging',
    attribute: 'tags',
    read: async (client, Bucket, abortSignal) =>
      tagsFrom(await client.send(new GetBucketTaggingCommand({ Bucket }), { abortSignal })),
    notConfigured: { code: 'NoSuchTagSet', value: () => ({}) },
  },
];

/** Thrown inside a bucket's reading when S3 says the bucket no longer exists (deleted mid-scan). */
class BucketVanished extends Error {}

/** The ARN S3 buckets are known by; bucket ARNs carry neither region nor account. */
export function bucketArn(name: string): string {
  return `arn:aws:s3:::${name}`;
}

/**
 * Scans the S3 buckets of one AWS account.
 *
 * Resolves with every bucket as a validated `aws.s3.bucket` resource plus the ScanErrors of the calls
 * that failed. Rejects with ScanFailedError when the scan cannot proceed at all: INVALID_CONFIG,
 * INVALID_CREDENTIALS, EXPIRED_CREDENTIALS, CLOCK_SKEW, PERMISSION_DENIED (ListBuckets refused),
 * ENDPOINT_UNREACHABLE, PROVIDER_ERROR (ListBuckets failed otherwise) or ABORTED.
 */
export async function scanS3(target: AwsScanTarget, options: S3ScanOptions = {}): Promise<ScanOutcome> {
  assertValidTarget(target);
  const ctx = new AwsScanContext(target.accountId, { ...target.credentials }, target.endpoint, options);
  try {
    const resources = await scanBuckets(ctx, target.region, options);
    ctx.setPhase('done');
    return { resources, errors: [...ctx.errors], progress: ctx.snapshot() };
  } finally {
    ctx.close();
  }
}

/**
 * The buckets of the account `ctx` scans, read through its clients, rate limiter, counters and error
 * record (an account scan passes its own context, so S3 calls are paced with every other call).
 */
export async function scanBuckets(
  ctx: AwsScanContext,
  region: string,
  options: Omit<S3ScanOptions, keyof AwsContextOptions>,
): Promise<Resource[]> {
  const scan = new S3Scan(ctx, region, options);
  ctx.setPhase('listing_buckets');
  const buckets = await scan.listAllBuckets();
  ctx.setPhase('reading_buckets');
  const read = await mapWithConcurrency(
    buckets,
    options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY,
    (bucket) => scan.readBucket(bucket),
  );
  return read.filter((r): r is Resource => r !== null);
}

/** The S3 side of one account scan: its clients (one per region) and how each S3 answer is read. */
class S3Scan {
  private readonly ctx: AwsScanContext;
  private readonly homeRegion: string;
  private readonly options: Omit<S3ScanOptions, keyof AwsContextOptions>;

  constructor(
    ctx: AwsScanContext,
    homeRegion: string,
    options: Omit<S3ScanOptions, keyof AwsContextOptions>,
  ) {
    this.ctx = ctx;
    this.homeRegion = homeRegion;
    this.options = options;
  }

  /** ListBuckets, page by page. Any failure here ends the scan: without the list there is nothing to read. */
  async listAllBuckets(): Promise<Bucket[]> {
    const client = this.clientFor(this.homeRegion);
    const buckets: Bucket[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.call('ListBuckets', null, (abortSignal) =>
        client.send(
          new ListBucketsCommand({
            MaxBuckets: this.options.listPageSize ?? DEFAULT_LIST_PAGE_SIZE,
            ContinuationToken: continuationToken,
          }),
          { abortSignal },
        ),
      );
      if (!page.ok) throw this.listingFailure(page.error, page.code);
      buckets.push(...(page.value.Buckets ?? []));
      continuationToken = page.value.ContinuationToken || undefined;
    } while (continuationToken);
    return buckets.filter((b) => b.Name);
  }

  private listingFailure(error: unknown, code: string): ScanFailedError {
    const detail = safeErrorMessage(error, this.ctx.redactedSecrets);
    if (code === 'AccessDenied' || code === 'AllAccessDisabled') {
      return new ScanFailedError(
        'PERMISSION_DENIED',
        `the ${describeAccessKey(this.ctx.currentCredentials.accessKeyId)} may not list buckets: grant ${iamActionFor('ListBuckets')} (AWS answered ${detail})`,
        { cause: error, missingPermission: iamActionFor('ListBuckets') },
      );
    }
    return new ScanFailedError('PROVIDER_ERROR', `ListBuckets failed (${code}): ${detail}`, {
      cause: error,
    });
  }

  /** Reads one bucket's configuration; null when the bucket disappeared while the scan ran. */
  async readBucket(bucket: Bucket): Promise<Resource | null> {
    const name = bucket.Name as string;
    const arn = bucketArn(name);
    const item = this.options.configItems?.get(name);
    const fromConfig: BucketFromConfig | null = item ? bucketFromItem(item) : null;
    try {
      const region = fromConfig?.region ?? (await this.locateBucket(name, arn, bucket.BucketRegion));
      const client = this.clientFor(region ?? this.homeRegion);
      const attributes: Record<string, unknown> = {
        creation_date: bucket.CreationDate ? bucket.CreationDate.toISOString() : null,
      };
      for (const reader of BUCKET_ATTRIBUTE_READERS) {
        if (fromConfig && !fromConfig.ask.includes(reader.operation)) {
          attributes[reader.attribute] = fromConfig.attributes[reader.attribute];
          continue;
        }
        const result = await this.call(reader.operation, arn, (abortSignal) =>
          reader.read(client, name, abortSignal),
        );
        if (result.ok) attributes[reader.attribute] = result.value;
        else if (reader.notConfigured?.code === result.code) {
          attributes[reader.attribute] = reader.notConfigured.value();
        } else this.recordFailure(reader.operation, arn, result);
      }
      return this.ctx.accountResource({
        id: arn,
        // 'unknown' only when neither GetBucketLocation nor the listing told us (the error is recorded).
        region: region ?? 'unknown',
        type: 'aws.s3.bucket',
        name,
        api: fromConfig ? (this.options.configApi ?? 'config') : 's3',
        now: this.ctx.now(),
        attributes,
      });
    } catch (error) {
      if (error instanceof BucketVanished) return null;
      throw error;
    }
  }

  /**
   * The bucket's region from GetBucketLocation. When that call is refused, the region ListBuckets
   * reported is used (and the refusal still recorded); null when neither is known.
   */
  private async locateBucket(
    name: string,
    arn: string,
    listedRegion: string | undefined,
  ): Promise<string | null> {
    const client = this.clientFor(this.homeRegion);
    const result = await this.call('GetBucketLocation', arn, (abortSignal) =>
      client.send(new GetBucketLocationCommand({ Bucket: name }), { abortSignal }),
    );
    if (result.ok) return regionFromLocationConstraint(result.value.LocationConstraint);
    this.recordFailure('GetBucketLocation', arn, result);
    return listedRegion || null;
  }

  /** One S3 call through the account's context; a vanished bucket ends that bucket's reading. */
  private async call<T>(
    operation: S3OperationName,
    resourceId: string | null,
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<CallResult<T>> {
    const result = await this.ctx.call(qualifiedOperation(operation), send);
    if (!result.ok && resourceId && result.code === 'NoSuchBucket') throw new BucketVanished(resourceId);
    return result;
  }

  private recordFailure(
    operation: S3OperationName,
    resourceId: string,
    failure: { error: unknown; code: string },
  ): void {
    this.ctx.recordFailure(qualifiedOperation(operation), iamActionFor(operation), resourceId, failure);
  }

  private clientFor(region: string): S3Client {
    return this.ctx.client('s3', region, (settings) => {
      const { endpoint } = settings;
      return new S3Client({
        ...settings,
        // A custom endpoint (fixture, MinIO-style gateway) has no per-bucket DNS names.
        ...(endpoint ? { forcePathStyle: true } : {}),
        // Without an endpoint, a bucket in another region answers with a redirect the SDK can follow.
        followRegionRedirects: true,
      });
    });
  }
}

/** Checks the target before any call, naming the bad field (never echoing a secret). */
function assertValidTarget(target: AwsScanTarget): void {
  const problems: string[] = [];
  if (!/^\d{12}$/.test(target?.accountId ?? '')) problems.push('accountId must be 12 digits');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(target?.region ?? '')) {
    problems.push('region must be an AWS region code such as eu-west-1');
  }
  if (target?.endpoint !== undefined) {
    let protocol = '';
    try {
      protocol = new URL(target.endpoint).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'http:' && protocol !== 'https:') problems.push('endpoint must be an http(s) URL');
  }
  if (!target?.credentials?.accessKeyId) problems.push('credentials.accessKeyId is required');
  if (!target?.credentials?.secretAccessKey) problems.push('credentials.secretAccessKey is required');
  if (problems.length > 0) {
    throw new ScanFailedError('INVALID_CONFIG', `invalid AWS scan target: ${problems.join('; ')}`);
  }
}
