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
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  S3Client,
  type Bucket,
} from '@aws-sdk/client-s3';
import { assertValidResource, type Resource, type ScanError } from '../../schemas/index.ts';
import { ScanFailedError, type ScanOptions, type ScanOutcome, type ScanProgress } from '../types.ts';
import {
  awsAttempts,
  awsErrorCode,
  describeAccessKey,
  fatalCredentialError,
  isAbortError,
  isNetworkError,
  safeErrorMessage,
} from './aws-errors.ts';
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
} from './s3-normalize.ts';
import { iamActionFor, qualifiedOperation, type S3OperationName } from './s3-operations.ts';
import type { ConfigItem } from './config.ts';
import type { AwsCredentials } from './credentials.ts';
import { bucketFromItem, type BucketFromConfig } from './s3-config.ts';

export interface AwsScanTarget {
  /** The 12-digit account the credentials belong to; it becomes `Resource.account`. */
  accountId: string;
  /** Home region: where ListBuckets is sent. Buckets are then read in their own region. */
  region: string;
  /** A custom S3 endpoint (the fixture server, a VPC endpoint…); path-style addressing is used with it. */
  endpoint?: string;
  credentials: AwsCredentials;
}

/** ScanOptions plus the knobs specific to S3, mostly useful to tests. */
export interface S3ScanOptions extends ScanOptions {
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
/** The SDK's standard retry mode with 3 attempts: a throttled or 5xx answer is retried with backoff. */
const MAX_ATTEMPTS = 3;

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
];

/** Thrown inside a bucket's reading when S3 says the bucket no longer exists (deleted mid-scan). */
class BucketVanished extends Error {}

type CallResult<T> = { ok: true; value: T } | { ok: false; error: unknown; code: string };

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
  const scan = new S3Scan(target, options);
  try {
    return await scan.run();
  } finally {
    scan.close();
  }
}

/** State of one scan run: its clients (one per region), counters and collected errors. */
class S3Scan {
  private readonly target: AwsScanTarget;
  private readonly options: S3ScanOptions;
  private readonly secrets: readonly (string | undefined)[];
  private readonly clients = new Map<string, S3Client>();
  private readonly errors: ScanError[] = [];
  private readonly progress: ScanProgress = {
    phase: 'starting',
    resources_collected: 0,
    calls_made: 0,
    errors: 0,
  };

  constructor(target: AwsScanTarget, options: S3ScanOptions) {
    this.target = target;
    this.options = options;
    this.secrets = [target.credentials.secretAccessKey, target.credentials.sessionToken];
  }

  async run(): Promise<ScanOutcome> {
    this.setPhase('listing_buckets');
    const buckets = await this.listAllBuckets();
    this.setPhase('reading_buckets');
    const read = await mapWithConcurrency(
      buckets,
      this.options.bucketConcurrency ?? DEFAULT_BUCKET_CONCURRENCY,
      (bucket) => this.readBucket(bucket),
    );
    const resources = read.filter((r): r is Resource => r !== null);
    this.setPhase('done');
    return { resources, errors: [...this.errors], progress: { ...this.progress } };
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  /** ListBuckets, page by page. Any failure here ends the scan: without the list there is nothing to read. */
  private async listAllBuckets(): Promise<Bucket[]> {
    const client = this.clientFor(this.target.region);
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
    const endpoint = this.target.endpoint ?? `the S3 endpoint of ${this.target.region}`;
    const detail = safeErrorMessage(error, this.secrets);
    if (isNetworkError(error)) {
      return new ScanFailedError(
        'ENDPOINT_UNREACHABLE',
        `could not reach ${endpoint} (${code}) after ${awsAttempts(error) ?? MAX_ATTEMPTS} attempts: ${detail}`,
        { cause: error },
      );
    }
    if (code === 'AccessDenied' || code === 'AllAccessDisabled') {
      return new ScanFailedError(
        'PERMISSION_DENIED',
        `the ${describeAccessKey(this.target.credentials.accessKeyId)} may not list buckets: grant ${iamActionFor('ListBuckets')}. AWS said: ${detail}`,
        { cause: error, missingPermission: iamActionFor('ListBuckets') },
      );
    }
    return new ScanFailedError('PROVIDER_ERROR', `ListBuckets failed (${code}): ${detail}`, {
      cause: error,
    });
  }

  /** Reads one bucket's configuration; null when the bucket disappeared while the scan ran. */
  private async readBucket(bucket: Bucket): Promise<Resource | null> {
    const name = bucket.Name as string;
    const arn = bucketArn(name);
    const item = this.options.configItems?.get(name);
    const fromConfig: BucketFromConfig | null = item ? bucketFromItem(item) : null;
    try {
      const region = fromConfig?.region ?? (await this.locateBucket(name, arn, bucket.BucketRegion));
      const client = this.clientFor(region ?? this.target.region);
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
      const resource = assertValidResource({
        id: arn,
        provider: 'aws',
        account: this.target.accountId,
        // 'unknown' only when neither GetBucketLocation nor the listing told us (the error is recorded).
        region: region ?? 'unknown',
        type: 'aws.s3.bucket',
        name,
        attributes,
        collected_at: (this.options.now?.() ?? new Date()).toISOString(),
        source: {
          api: fromConfig ? (this.options.configApi ?? 'config') : 's3',
          ...(this.target.endpoint ? { endpoint: this.target.endpoint } : {}),
        },
      });
      this.progress.resources_collected += 1;
      this.emit();
      return resource;
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
    const client = this.clientFor(this.target.region);
    const result = await this.call('GetBucketLocation', arn, (abortSignal) =>
      client.send(new GetBucketLocationCommand({ Bucket: name }), { abortSignal }),
    );
    if (result.ok) return regionFromLocationConstraint(result.value.LocationConstraint);
    this.recordFailure('GetBucketLocation', arn, result);
    return listedRegion || null;
  }

  /**
   * Makes one API call with the abort signal, counts it, and sorts its failure: abort and refused
   * credentials end the scan, a vanished bucket ends that bucket, anything else is returned.
   */
  private async call<T>(
    operation: S3OperationName,
    resourceId: string | null,
    send: (abortSignal: AbortSignal | undefined) => Promise<T>,
  ): Promise<CallResult<T>> {
    this.throwIfAborted();
    const { signal } = this.options;
    try {
      const value = await send(signal);
      return { ok: true, value };
    } catch (error) {
      if (signal?.aborted || isAbortError(error)) throw this.abortedError(error);
      const fatal = fatalCredentialError(error, this.target.credentials.accessKeyId, this.secrets);
      if (fatal) throw fatal;
      const code = awsErrorCode(error);
      if (resourceId && code === 'NoSuchBucket') throw new BucketVanished(resourceId);
      return { ok: false, error, code };
    } finally {
      this.progress.calls_made += 1;
      this.emit();
    }
  }

  private recordFailure(
    operation: S3OperationName,
    resourceId: string,
    failure: { error: unknown; code: string },
  ): void {
    this.errors.push({
      provider: 'aws',
      operation: qualifiedOperation(operation),
      resource_id: resourceId,
      code: failure.code,
      message: safeErrorMessage(failure.error, this.secrets),
      missing_permission: failure.code === 'AccessDenied' ? iamActionFor(operation) : null,
    });
    this.progress.errors = this.errors.length;
    this.emit();
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw this.abortedError(this.options.signal.reason);
  }

  private abortedError(cause: unknown): ScanFailedError {
    return new ScanFailedError('ABORTED', 'the S3 scan was cancelled before it finished', { cause });
  }

  private clientFor(region: string): S3Client {
    let client = this.clients.get(region);
    if (!client) {
      const { endpoint, credentials } = this.target;
      client = new S3Client({
        region,
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
        },
        // A custom endpoint (fixture, MinIO-style gateway) has no per-bucket DNS names.
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        retryMode: 'standard',
        maxAttempts: MAX_ATTEMPTS,
        // Without an endpoint, a bucket in another region answers with a redirect the SDK can follow.
        followRegionRedirects: true,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
      });
      this.clients.set(region, client);
    }
    return client;
  }

  private setPhase(phase: string): void {
    this.progress.phase = phase;
    this.emit();
  }

  private emit(): void {
    this.options.onProgress?.({ ...this.progress });
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
