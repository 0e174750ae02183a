/**
 * An `AWS::S3::Bucket` configuration item turned into the attributes of an `aws.s3.bucket` resource,
 * through the same normalizers the direct calls use (s3-normalize.ts). Config records the bucket's
 * security settings as `supplementaryConfiguration` entries, each a JSON text (or an object, as the
 * Select APIs may give it):
 *
 * - ServerSideEncryptionConfiguration, PublicAccessBlockConfiguration, BucketVersioningConfiguration,
 *   BucketLoggingConfiguration: the bucket's setting, in lower-camel names.
 * - BucketPolicy: `{"policyText": null}` for a bucket without a policy, else the policy document.
 * - BucketLifecycleConfiguration: `rules` with status, expirationInDays / expirationDate and
 *   noncurrentVersionExpirationInDays (-1 or absent when unset); BucketTaggingConfiguration: `tagSets`,
 *   the first one's `tags` as key to value.
 *
 * An entry that is absent or unreadable means Config could not tell (it was not recorded, or Config
 * itself was refused): that attribute is then read with its direct call, for that bucket only. Whether
 * a policy is public is AWS's own evaluation, which Config does not record; it is decided here only
 * when every Allow statement names fixed principals (no wildcard), else asked directly.
 */
import type { ConfigItem } from './config-item.ts';
import {
  encryptionFrom,
  loggingFrom,
  lifecycleFrom,
  policyStatusWithoutPolicy,
  publicAccessBlockFrom,
  versioningFrom,
} from './s3-normalize.ts';
import type { S3OperationName } from './s3-operations.ts';

/** What Config told about one bucket, and the direct reads still needed for the rest. */
export interface BucketFromConfig {
  /** The bucket's region as Config recorded it; null leaves it to GetBucketLocation. */
  region: string | null;
  attributes: Record<string, unknown>;
  /** Per-bucket reads Config could not stand in for. */
  ask: S3OperationName[];
}

type Json = Record<string, unknown>;
/** An entry of `supplementaryConfiguration`: its object, or null when absent or not readable. */
function entry(supplementary: unknown, key: string): Json | null {
  const all = parse(supplementary);
  return all ? parse(all[key]) : null;
}
function parse(v: unknown): Json | null {
  if (typeof v === 'string') {
    try {
      return parse(JSON.parse(v));
    } catch {
      return null;
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
}
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean | undefined =>
  typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : undefined;

/** The bucket's name: Config names it in resourceId (and configuration.name). */
export function bucketNameOf(item: ConfigItem): string | undefined {
  return str(item.resourceId) ?? str(parse(item.configuration)?.name);
}

export function bucketFromItem(item: ConfigItem): BucketFromConfig {
  const sup = item.supplementaryConfiguration;
  const attributes: Record<string, unknown> = {};
  const ask: S3OperationName[] = [];
  const put = (op: S3OperationName, attribute: string, value: unknown): void => {
    if (value === undefined) ask.push(op);
    else attributes[attribute] = value;
  };
  put('GetBucketEncryption', 'encryption', encryption(entry(sup, 'ServerSideEncryptionConfiguration')));
  put(
    'GetPublicAccessBlock',
    'public_access_block',
    publicAccessBlock(entry(sup, 'PublicAccessBlockConfiguration')),
  );
  put('GetBucketVersioning', 'versioning', versioning(entry(sup, 'BucketVersioningConfiguration')));
  put('GetBucketLogging', 'logging', logging(entry(sup, 'BucketLoggingConfiguration')));
  put('GetBucketPolicyStatus', 'policy_status', policyStatus(entry(sup, 'BucketPolicy')));
  put('GetBucketLifecycleConfiguration', 'lifecycle', lifecycle(entry(sup, 'BucketLifecycleConfiguration')));
  put('GetBucketTagging', 'tags', tags(entry(sup, 'BucketTaggingConfiguration')));
  return { region: str(item.awsRegion) ?? null, attributes, ask };
}

function encryption(e: Json | null): unknown {
  if (!e) return undefined;
  const rules = Array.isArray(e.rules) ? e.rules.map(parse) : [];
  return encryptionFrom({
    $metadata: {},
    ServerSideEncryptionConfiguration: {
      Rules: rules.map((r) => {
        const d = parse(r?.applyServerSideEncryptionByDefault);
        return {
          ...(d
            ? {
                ApplyServerSideEncryptionByDefault: {
                  SSEAlgorithm: str(d.sseAlgorithm) as never,
                  KMSMasterKeyID: str(d.kmsMasterKeyID),
                },
              }
            : {}),
          BucketKeyEnabled: bool(r?.bucketKeyEnabled),
        };
      }),
    },
  });
}

function publicAccessBlock(p: Json | null): unknown {
  if (!p) return undefined;
  return publicAccessBlockFrom({
    $metadata: {},
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: bool(p.blockPublicAcls),
      IgnorePublicAcls: bool(p.ignorePublicAcls),
      BlockPublicPolicy: bool(p.blockPublicPolicy),
      RestrictPublicBuckets: bool(p.restrictPublicBuckets),
    },
  });
}

/** Config says `Off` for a bucket never versioned (GetBucketVersioning gives no Status); other values are asked. */
const VERSIONING: Record<string, 'Enabled' | 'Suspended' | undefined> = {
  Off: undefined,
  Enabled: 'Enabled',
  Suspended: 'Suspended',
};
function versioning(v: Json | null): unknown {
  if (!v || typeof v.status !== 'string' || !(v.status in VERSIONING)) return undefined;
  const mfa = bool(v.isMfaDeleteEnabled);
  return versioningFrom({
    $metadata: {},
    ...(VERSIONING[v.status] ? { Status: VERSIONING[v.status] } : {}),
    ...(mfa === undefined ? {} : { MFADelete: mfa ? 'Enabled' : 'Disabled' }),
  });
}

function logging(l: Json | null): unknown {
  if (!l) return undefined;
  const target = str(l.destinationBucketName);
  return loggingFrom({
    $metadata: {},
    ...(target
      ? {
          LoggingEnabled: {
            TargetBucket: target,
            TargetPrefix: typeof l.logFilePrefix === 'string' ? l.logFilePrefix : undefined,
          },
        }
      : {}),
  });
}

function policyStatus(p: Json | null): unknown {
  if (!p) return undefined;
  const text = p.policyText;
  if (text === null || text === undefined || text === '') return policyStatusWithoutPolicy();
  const doc = parse(text);
  if (!doc) return undefined;
  return onlyFixedPrincipals(doc) ? { is_public: false, has_policy: true } : undefined;
}

/**
 * True when every Allow statement names only fixed principals (no `*` anywhere in them, no
 * NotPrincipal): S3 never deems such a policy public. Anything else may or may not be public
 * depending on its conditions, which only GetBucketPolicyStatus settles.
 */
export function onlyFixedPrincipals(policy: Json): boolean {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.every((s) => {
    const st = parse(s);
    if (!st) return false;
    if (st.Effect === 'Deny') return true;
    if (st.Effect !== 'Allow' || 'NotPrincipal' in st) return false;
    const principals = st.Principal === undefined ? [] : flatten(st.Principal);
    return principals.length > 0 && principals.every((p) => typeof p === 'string' && !p.includes('*'));
  });
}

function flatten(principal: unknown): unknown[] {
  if (typeof principal === 'string') return [principal];
  const o = parse(principal);
  if (!o) return [principal];
  return Object.values(o).flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** A lifecycle entry back in GetBucketLifecycleConfiguration's shape; Config writes -1 for a day count not set. */
function lifecycle(l: Json | null): unknown {
  if (!l || !Array.isArray(l.rules)) return undefined;
  const days = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined);
  return lifecycleFrom({
    $metadata: {},
    Rules: l.rules.map(parse).map((r) => ({
      Status: (r?.status === 'Enabled' ? 'Enabled' : 'Disabled') as 'Enabled' | 'Disabled',
      Expiration: {
        Days: days(r?.expirationInDays),
        Date: str(r?.expirationDate) ? new Date(str(r?.expirationDate) ?? '') : undefined,
      },
      NoncurrentVersionExpiration: {
        NoncurrentDays:
          days(r?.noncurrentVersionExpirationInDays) ??
          days(parse(r?.noncurrentVersionExpiration)?.noncurrentDays),
      },
    })),
  });
}

/** The first tag set's tags (S3 keeps one); undefined when the entry does not hold one. */
function tags(t: Json | null): unknown {
  if (!t || !Array.isArray(t.tagSets)) return undefined;
  const first = parse(t.tagSets[0]);
  const all = parse(first?.tags) ?? {};
  return Object.fromEntries(Object.entries(all).filter(([, v]) => typeof v === 'string'));
}
