// Organization scans through the real Organizations and STS clients over HTTP against the fixture
// server serving several accounts: ListAccounts page by page, AssumeRole with the external id into
// each member, one refusing member isolated as a scan error, the aggregator read once for all.
import { afterEach, describe, expect, it } from 'vitest';
import { ScanFailedError } from '../types.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import { FAST_SCAN, SCAN_NOW, demoTarget } from './testing.ts';
import {
  DEMO_ORG_DENYING_ACCOUNT,
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_SUSPENDED_ACCOUNT,
  demoAwsOrganization,
  type FixtureOrganizationSetup,
} from './fixtures/aws-fixture-organization.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_LEGACY,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFault,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';
import { scanAwsOrganization } from './organization.ts';

const NOW = SCAN_NOW;
const fast = FAST_SCAN;
const ROLE = { memberRoleName: DEMO_ORG_MEMBER_ROLE.name, externalId: DEMO_ORG_MEMBER_ROLE.externalId };

let server: AwsFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(org: FixtureOrganizationSetup, faults: AwsFault[] = []): Promise<AwsFixtureServer> {
  server = await startAwsFixtureServer({ account: org.management, members: org.members, faults });
  return server;
}

const target = (s: AwsFixtureServer, extra: Partial<AwsAccountTarget> = {}): AwsAccountTarget =>
  demoTarget(s, { services: ['iam', 'ec2', 'kms'], ...extra });

const accountsOf = (resources: { account: string }[]): Set<string> =>
  new Set(resources.map((r) => r.account));

describe('scanAwsOrganization', () => {
  it('lists every page of accounts and scans each active member through its role', async () => {
    const s = await start(demoAwsOrganization({ asOf: NOW }));
    const outcome = await scanAwsOrganization(target(s), ROLE, { ...fast, pageSize: 1 });

    expect(s.requests.filter((r) => r.operation === 'ListAccounts')).toHaveLength(4);
    expect(accountsOf(outcome.resources)).toEqual(new Set([DEMO_AWS_ACCOUNT_ID, DEMO_AWS_LEGACY.accountId]));
    // The member's resources are those of a scan of that account alone, read with the assumed keys.
    const legacy = outcome.resources.filter((r) => r.account === DEMO_AWS_LEGACY.accountId);
    const iamAccount = legacy.find((r) => r.type === 'aws.iam.account');
    expect(iamAccount?.attributes).toMatchObject({ root_mfa_enabled: false, root_access_keys_present: true });
    expect(legacy.filter((r) => r.type === 'aws.iam.user')).toHaveLength(42);
    const assumed = s.requests.filter((r) => r.operation === 'AssumeRole');
    expect(assumed.map((r) => r.status).sort()).toEqual([200, 403]); // legacy, then the refusing member
    expect(s.requests.some((r) => r.service === 'iam' && r.accessKeyId === 'ASIADEMOORGMEMBER0001')).toBe(
      true,
    );
    // The suspended account is never tried.
    expect(outcome.errors.map((e) => e.resource_id)).not.toContain(
      `arn:aws:iam::${DEMO_ORG_SUSPENDED_ACCOUNT}:role/${DEMO_ORG_MEMBER_ROLE.name}`,
    );
  });

  it('isolates a member that refuses the role as a scan error naming the account and sts:AssumeRole', async () => {
    const s = await start(demoAwsOrganization({ asOf: NOW }));
    const outcome = await scanAwsOrganization(target(s), ROLE, fast);
    expect(outcome.errors).toEqual([
      {
        provider: 'aws',
        operation: 'sts:AssumeRole',
        resource_id: `arn:aws:iam::${DEMO_ORG_DENYING_ACCOUNT}:role/${DEMO_ORG_MEMBER_ROLE.name}`,
        code: 'AccessDenied',
        message: expect.stringContaining(`account ${DEMO_ORG_DENYING_ACCOUNT} (acme-lab) was not scanned`),
        missing_permission: 'sts:AssumeRole',
      },
    ]);
    expect(outcome.progress.errors).toBe(1);
    expect(outcome.progress.resources_collected).toBe(outcome.resources.length);
    expect(outcome.progress.calls_made).toBe(s.requests.length);
  });

  it('refuses every member when the external id is wrong, but still scans the management account', async () => {
    const s = await start(demoAwsOrganization({ asOf: NOW }));
    const outcome = await scanAwsOrganization(target(s), { ...ROLE, externalId: 'wrong-id' }, fast);
    expect(accountsOf(outcome.resources)).toEqual(new Set([DEMO_AWS_ACCOUNT_ID]));
    expect(outcome.errors.map((e) => e.operation)).toEqual(['sts:AssumeRole', 'sts:AssumeRole']);
  });

  it('fails fast, naming organizations:ListAccounts, when listing is refused', async () => {
    const org = demoAwsOrganization({ asOf: NOW });
    org.management.deniedOperations.push('organizations:ListAccounts');
    const s = await start(org);
    const error = await scanAwsOrganization(target(s), ROLE, fast).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScanFailedError);
    expect(error).toMatchObject({
      code: 'PERMISSION_DENIED',
      missingPermission: 'organizations:ListAccounts',
    });
  });

  it('says so when the account is not an organization management account', async () => {
    const org = demoAwsOrganization({ asOf: NOW });
    delete org.management.organization;
    const s = await start(org);
    await expect(scanAwsOrganization(target(s), ROLE, fast)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('is not in an organization'),
    });
  });

  it('reads the aggregator once for every member, and members never query Config', async () => {
    const org = demoAwsOrganization({ asOf: NOW });
    for (const a of [org.management, ...org.members.map((m) => m.account)]) withConfigRecording(a);
    org.management.configAggregators = [
      { name: 'org', accountIds: [DEMO_AWS_ACCOUNT_ID, DEMO_AWS_LEGACY.accountId], regions: 'all' },
    ];
    const s = await start(org);
    const outcome = await scanAwsOrganization(target(s, { configAggregator: 'org' }), ROLE, fast);
    const legacyVolumes = outcome.resources.filter(
      (r) => r.account === DEMO_AWS_LEGACY.accountId && r.type === 'aws.ec2.volume',
    );
    expect(legacyVolumes).toHaveLength(120);
    expect(legacyVolumes.every((r) => r.source?.api === 'config')).toBe(true);
    const select = s.requests.filter((r) => r.operation === 'SelectAggregateResourceConfig');
    // Per account and region: 25 groups, 40 volumes, 10 keys, 5 instances, 2 VPCs and 2 network ACLs (3 in
    // the third region).
    expect(select.length).toBe(Math.ceil((2 * (3 * (25 + 40 + 10 + 5 + 2 + 2) + 1)) / 100));
    expect(s.requests.filter((r) => r.operation === 'SelectResourceConfig')).toHaveLength(0);
    expect(s.requests.filter((r) => r.operation === 'DescribeVolumes')).toHaveLength(0);
  });

  it('a member scanned on its own gives the same resources as within the organization', async () => {
    const s = await start(demoAwsOrganization({ asOf: NOW }));
    const inOrg = await scanAwsOrganization(target(s), ROLE, fast);
    const alone = await scanAwsAccount(
      target(s, {
        accountId: DEMO_AWS_LEGACY.accountId,
        roleArn: `arn:aws:iam::${DEMO_AWS_LEGACY.accountId}:role/${DEMO_ORG_MEMBER_ROLE.name}`,
        externalId: DEMO_ORG_MEMBER_ROLE.externalId,
      }),
      fast,
    );
    const byId = (rs: { id: string }[]) => [...rs].sort((a, b) => a.id.localeCompare(b.id));
    expect(byId(inOrg.resources.filter((r) => r.account === DEMO_AWS_LEGACY.accountId))).toEqual(
      byId(alone.resources),
    );
  });
});
