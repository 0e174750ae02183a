/**
 * The S3 API calls the scanner makes and the IAM action each one needs. The two names differ for
 * several calls (GetPublicAccessBlock needs s3:GetBucketPublicAccessBlock, GetBucketEncryption needs
 * s3:GetEncryptionConfiguration), and users fix their policies with the IAM name, so both are kept.
 */
export const S3_OPERATIONS = {
  ListBuckets: 's3:ListAllMyBuckets',
  GetBucketLocation: 's3:GetBucketLocation',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  GetPublicAccessBlock: 's3:GetBucketPublicAccessBlock',
  GetBucketVersioning: 's3:GetBucketVersioning',
  GetBucketLogging: 's3:GetBucketLogging',
  GetBucketPolicyStatus: 's3:GetBucketPolicyStatus',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  GetBucketTagging: 's3:GetBucketTagging',
} as const;

export type S3OperationName = keyof typeof S3_OPERATIONS;

/** `s3:<Operation>`, the form ScanError.operation uses. */
export function qualifiedOperation(operation: S3OperationName): string {
  return `s3:${operation}`;
}

/** The IAM action a call needs, e.g. `s3:GetBucketPublicAccessBlock` for GetPublicAccessBlock. */
export function iamActionFor(operation: S3OperationName): string {
  return S3_OPERATIONS[operation];
}
