/**
 * The sandbox AWS organization the benchmarks scan (bench/scanners at 6,452 resources, bench/scale at up to
 * 100,000): the demo organization grown by cloned members and copied security groups and volumes, with AWS
 * Config recording in every account and region, one aggregator over all of them, and a credential report
 * generated just before the scan in every account (as the first scan of a day finds it: IAM regenerates a
 * report older than four hours on request), so both paths read the same data.
 */
import {
  withConfigRecording,
  type AwsFixtureAccount,
} from '../../scanners/aws/fixtures/aws-fixture-server.ts';
import {
  demoAwsOrganization,
  type FixtureOrganizationSetup,
} from '../../scanners/aws/fixtures/aws-fixture-organization.ts';

/** The aggregator the Config path reads through. */
export const ORG_AGGREGATOR = 'org-inventory';

/** How the demo organization is grown: cloned members, and copies of each account's groups and volumes. */
export interface OrganizationSize {
  members: number;
  scale: number;
}

/** The account with a credential report generated just now (see the file comment). */
export function freshReport(account: AwsFixtureAccount): AwsFixtureAccount {
  account.credentialReportGeneratedAt = new Date().toISOString();
  return account;
}

/** The organization with Config recording everywhere and an aggregator over every account. */
export function recordingOrganization(size: OrganizationSize): FixtureOrganizationSetup {
  const org = demoAwsOrganization(size);
  const all: AwsFixtureAccount[] = [org.management, ...org.members.map((m) => m.account)];
  for (const account of all) withConfigRecording(freshReport(account));
  org.management.configAggregators = [
    { name: ORG_AGGREGATOR, accountIds: all.map((a) => a.accountId), regions: 'all' },
  ];
  return org;
}

/**
 * Measured on the sandbox (a scan of each size): every scanned account holds 648 resources at scale 1
 * and 192 more per extra copy (its security groups but the default one, and its volumes). The scanned
 * accounts are the management account, the legacy member and the cloned members (the refusing member and
 * the suspended one are not scanned).
 */
const RESOURCES_PER_ACCOUNT = 648;
const RESOURCES_PER_COPY = 192;
/** About this many resources per account when the organization is grown to a size. */
const TARGET_PER_ACCOUNT = 5_000;

/**
 * Members and scale that give about `resources` resources (within a few percent): one scanned account per
 * 5,000 resources (two at least), then as many copies as it takes. The scan reports the exact count.
 */
export function organizationOfSize(resources: number): OrganizationSize {
  const accounts = Math.max(2, Math.round(resources / TARGET_PER_ACCOUNT));
  const copies = Math.round((resources / accounts - RESOURCES_PER_ACCOUNT) / RESOURCES_PER_COPY);
  return { members: accounts - 2, scale: Math.max(1, copies + 1) };
}
