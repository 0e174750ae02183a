/** What the AWS scanner tests share: a fixed clock, no rate limit, and a target at the demo account. */
import type { AwsAccountScanOptions, AwsAccountTarget } from './account.ts';
import { DEMO_AWS_ACCOUNT_ID, DEMO_AWS_CREDENTIALS } from './fixtures/s3-fixture-account.ts';

export const SCAN_NOW = new Date('2026-05-04T12:00:00.000Z');
export const FAST_SCAN: AwsAccountScanOptions = { now: () => SCAN_NOW, callsPerSecond: 10_000 };

/** The demo account at a fixture server, home region us-east-1, with the demo keys. */
export function demoTarget(server: { url: string }, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget {
  return {
    accountId: DEMO_AWS_ACCOUNT_ID,
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { ...DEMO_AWS_CREDENTIALS },
    ...extra,
  };
}
