/**
 * Pure mappings from S3 API answers to the attributes of an `aws.s3.bucket` resource
 * (schemas/resources/aws.s3.bucket.schema.json). Each "not configured" answer S3 gives as an error
 * has its attribute value here too, so the scanner never has to guess one.
 */
import type {
  GetBucketEncryptionCommandOutput,
  GetBucketLifecycleConfigurationCommandOutput,
  GetBucketTaggingCommandOutput,
  GetBucketLoggingCommandOutput,
  GetBucketPolicyStatusCommandOutput,
  GetBucketVersioningCommandOutput,
  GetPublicAccessBlockCommandOutput,
} from '@aws-sdk/client-s3';
import type { AwsS3BucketAttributes } from '../../schemas/index.ts';

type Attr<K extends keyof AwsS3BucketAttributes> = NonNullable<AwsS3BucketAttributes[K]>;
type EncryptionAlgorithm = Attr<'encryption'>['algorithm'];

/**
 * The region a GetBucketLocation answer names. S3 answers an empty constraint for us-east-1 and the
 * legacy `EU` for buckets created long ago in eu-west-1.
 */
export function regionFromLocationConstraint(constraint: string | undefined | null): string {
  if (!constraint) return 'us-east-1';
  if (constraint === 'EU') return 'eu-west-1';
  return constraint;
}

/** Default encryption from GetBucketEncryption. S3 allows one rule; the first one is the bucket's. */
export function encryptionFrom(output: GetBucketEncryptionCommandOutput): Attr<'encryption'> {
  const rule = output.ServerSideEncryptionConfiguration?.Rules?.[0];
  const byDefault = rule?.ApplyServerSideEncryptionByDefault;
  if (!byDefault?.SSEAlgorithm) return encryptionNotConfigured();
  return {
    enabled: true,
    // An algorithm outside the schema's enum fails validation on purpose: a new S3 value must be seen.
    algorithm: byDefault.SSEAlgorithm as EncryptionAlgorithm,
    kms_key_id: byDefault.KMSMasterKeyID ?? null,
    bucket_key_enabled: rule?.BucketKeyEnabled ?? false,
  };
}

/** What ServerSideEncryptionConfigurationNotFoundError means: no default encryption. */
export function encryptionNotConfigured(): Attr<'encryption'> {
  return { enabled: false, algorithm: null, kms_key_id: null, bucket_key_enabled: false };
}

/** Bucket-level public access block; a flag S3 leaves out is off. */
export function publicAccessBlockFrom(
  output: GetPublicAccessBlockCommandOutput,
): AwsS3BucketAttributes['public_access_block'] {
  const c = output.PublicAccessBlockConfiguration;
  if (!c) return null;
  return {
    block_public_acls: c.BlockPublicAcls ?? false,
    ignore_public_acls: c.IgnorePublicAcls ?? false,
    block_public_policy: c.BlockPublicPolicy ?? false,
    restrict_public_buckets: c.RestrictPublicBuckets ?? false,
  };
}

/** Versioning; a bucket that was never versioned has no Status and reports Disabled. */
export function versioningFrom(output: GetBucketVersioningCommandOutput): Attr<'versioning'> {
  return {
    status: output.Status ?? 'Disabled',
    mfa_delete: output.MFADelete === 'Enabled',
  };
}

/** Server access logging; no LoggingEnabled element means logging is off. */
export function loggingFrom(output: GetBucketLoggingCommandOutput): Attr<'logging'> {
  const enabled = output.LoggingEnabled;
  if (!enabled) return { enabled: false, target_bucket: null, target_prefix: null };
  return {
    enabled: true,
    target_bucket: enabled.TargetBucket ?? null,
    target_prefix: enabled.TargetPrefix ?? null,
  };
}

/** Policy status; an answer at all means the bucket has a policy. */
export function policyStatusFrom(output: GetBucketPolicyStatusCommandOutput): Attr<'policy_status'> {
  return { is_public: output.PolicyStatus?.IsPublic ?? false, has_policy: true };
}

/** What NoSuchBucketPolicy means for the policy status: no policy, so not public through one. */
export function policyStatusWithoutPolicy(): Attr<'policy_status'> {
  return { is_public: false, has_policy: false };
}

/** What the enabled lifecycle rules delete: current versions (Expiration) and noncurrent ones. */
export function lifecycleFrom(output: GetBucketLifecycleConfigurationCommandOutput): Attr<'lifecycle'> {
  const enabled = (output.Rules ?? []).filter((r) => r.Status === 'Enabled');
  return {
    enabled_rules: enabled.length,
    expires_current_objects: enabled.some(
      (r) => (r.Expiration?.Days ?? 0) > 0 || r.Expiration?.Date !== undefined,
    ),
    expires_noncurrent_versions: enabled.some(
      (r) => (r.NoncurrentVersionExpiration?.NoncurrentDays ?? 0) > 0,
    ),
  };
}

/** What NoSuchLifecycleConfiguration means: no rules, so nothing is ever expired. */
export function lifecycleNotConfigured(): Attr<'lifecycle'> {
  return { enabled_rules: 0, expires_current_objects: false, expires_noncurrent_versions: false };
}

/** The tag set as key to value. */
export function tagsFrom(output: GetBucketTaggingCommandOutput): Attr<'tags'> {
  return Object.fromEntries((output.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}
