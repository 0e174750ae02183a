/** An AWS access key pair, with the session token that temporary (STS) credentials carry. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}
