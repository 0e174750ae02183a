/**
 * An AWS access key pair, with the session token of temporary (ASIA…) credentials. Kept in its own file so
 * the scanners that only need the type do not import the S3 scanner (which imports them back).
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
