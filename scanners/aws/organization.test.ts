// Organization scans through the real Organizations and STS clients over HTTP against the fixture
// server serving several accounts: ListAccounts page by page, AssumeRole with the external id into
// each member, one refusing member isolated as a scan error, the aggregator read once for all.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource } from '../../schemas/index.ts';
import { ScanFailedError } from '../types.ts';
import { scanAwsAccount, type AwsAccountTarget } from './account.ts';
import { FAST_SCAN, SCAN_NOW, demoTarget } from './testing.ts';
import {
  DEMO_ORG_DENYING_ACCOUNT,
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_SUSPENDED_ACCOUNT,
  DEMO_ORG_TREE,
  DEMO_ORG_WORKLOAD_ACCOUNT,
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

    expect(s.requests.filter((r) => r.operation === 'ListAccounts')).toHaveLength(5);
    expect(accountsOf(outcome.resources)).toEqual(
      new Set([DEMO_AWS_ACCOUNT_ID, DEMO_AWS_LEGACY.accountId, DEMO_ORG_WORKLOAD_ACCOUNT]),
    );
    // The member's resources are those of a scan of that account alone, read with the assumed keys.
    const legacy = outcome.resources.filter((r) => r.account === DEMO_AWS_LEGACY.accountId);
    const iamAccount = legacy.find((r) => r.type === 'aws.iam.account');
    expect(iamAccount?.attributes).toMatchObject({ root_mfa_enabled: false, root_access_keys_present: true });
    expect(legacy.filter((r) => r.type === 'aws.iam.user')).toHaveLength(42);
    const assumed = s.requests.filter((r) => r.operation === 'AssumeRole');
    expect(assumed.map((r) => r.status).sort()).toEqual([200, 200, 403]); // legacy, the refusing member, workloads
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
    expect(outcome.errors.map((e) => e.operation)).toEqual([
      'sts:AssumeRole',
      'sts:AssumeRole',
      'sts:AssumeRole',
    ]);
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
      {
        name: 'org',
        accountIds: [DEMO_AWS_ACCOUNT_ID, DEMO_AWS_LEGACY.accountId, DEMO_ORG_WORKLOAD_ACCOUNT],
        regions: 'all',
      },
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
    expect(select.length).toBe(Math.ceil((3 * (3 * (25 + 40 + 10 + 5 + 2 + 2) + 1)) / 100));
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

describe('scanAwsOrganization: service control policies of the members', () => {
  const { root, workloads, production, sandbox } = DEMO_ORG_TREE;
  const membershipOf = (resources: Resource[], account: string) =>
    resources.find((r) => r.account === account && r.type === 'aws.organizations.account')?.attributes;
  const fullAccess = (...targets: [string, string][]) => ({
    id: 'p-FullAWSAccess',
    name: 'FullAWSAccess',
    aws_managed: true,
    targets: targets.map(([type, id]) => ({ type, id })),
    region_allowlist: null,
  });

  it('hands each member the policies in force on it, inherited from its OUs and the root, each OU read once', async () => {
    // Two more members in the production OU show that an OU already read is not read again.
    const s = await start(demoAwsOrganization({ asOf: NOW, members: 2 }));
    const outcome = await scanAwsOrganization(target(s, { services: ['organizations'] }), ROLE, fast);
    expect(outcome.errors.map((e) => e.operation)).toEqual(['sts:AssumeRole']); // the refusing member only

    // Production: the root's, the workloads OU's and its own OU's guardrails reach it.
    expect(membershipOf(outcome.resources, DEMO_ORG_WORKLOAD_ACCOUNT)).toEqual({
      in_organization: true,
      organization_id: 'o-acme4x9k2p',
      management_account_id: DEMO_AWS_ACCOUNT_ID,
      is_management_account: false,
      all_features_enabled: true,
      scp_scope: 'account',
      organization_path: [root, workloads, production],
      service_control_policies: [
        fullAccess(
          ['ROOT', root],
          ['ORGANIZATIONAL_UNIT', workloads],
          ['ORGANIZATIONAL_UNIT', production],
          ['ACCOUNT', DEMO_ORG_WORKLOAD_ACCOUNT],
        ),
        {
          id: 'p-7f3k2m9q',
          name: 'deny-unapproved-regions',
          aws_managed: false,
          targets: [{ type: 'ORGANIZATIONAL_UNIT', id: workloads }],
          region_allowlist: ['eu-west-1', 'us-east-1'],
        },
        {
          id: 'p-5h1n4c8r',
          name: 'deny-leaving-organization',
          aws_managed: false,
          targets: [{ type: 'ORGANIZATIONAL_UNIT', id: production }],
          region_allowlist: null,
        },
      ],
      restrictive_scps_attached: true,
      regions_restricted: true,
    });
    // Sandbox: nothing beyond FullAWSAccess, although the organization has guardrails elsewhere.
    expect(membershipOf(outcome.resources, DEMO_AWS_LEGACY.accountId)).toMatchObject({
      scp_scope: 'account',
      organization_path: [root, sandbox],
      service_control_policies: [
        fullAccess(['ROOT', root], ['ORGANIZATIONAL_UNIT', sandbox], ['ACCOUNT', DEMO_AWS_LEGACY.accountId]),
      ],
      restrictive_scps_attached: false,
      regions_restricted: false,
    });
    // The management account, which SCPs never restrict, still reads the whole organization itself.
    expect(membershipOf(outcome.resources, DEMO_AWS_ACCOUNT_ID)).toMatchObject({
      scp_scope: 'organization',
      is_management_account: true,
      restrictive_scps_attached: true,
    });
    expect(membershipOf(outcome.resources, DEMO_AWS_ACCOUNT_ID)).not.toHaveProperty('organization_path');

    // Calls: per member its parent and its own attachments; per OU (3) and the root once; DescribePolicy once
    // per policy of the organization's own in the members' read (2) and in the management account's (3).
    const count = (operation: string) => s.requests.filter((r) => r.operation === operation).length;
    const members = 5; // acme-legacy, acme-lab, acme-workloads and the two extra
    expect(count('ListParents')).toBe(members + 3);
    expect(count('ListPoliciesForTarget')).toBe(members + 3 + 1);
    expect(count('DescribePolicy')).toBe(2 + 3);
    expect(count('ListPolicies')).toBe(1);
    // A member asks Organizations only who its organization is; the policies come from the management account.
    const memberCalls = s.requests.filter(
      (r) => r.service === 'organizations' && r.accessKeyId?.startsWith('ASIADEMOORGMEMBER'),
    );
    expect(new Set(memberCalls.map((r) => r.operation))).toEqual(new Set(['DescribeOrganization']));
    expect(outcome.progress.calls_made).toBe(s.requests.length);
  });

  it('a member scanned on its own may not read the policies: the error says why and what to scan instead', async () => {
    const s = await start(demoAwsOrganization({ asOf: NOW }));
    const alone = await scanAwsAccount(
      target(s, {
        accountId: DEMO_ORG_WORKLOAD_ACCOUNT,
        services: ['organizations'],
        roleArn: `arn:aws:iam::${DEMO_ORG_WORKLOAD_ACCOUNT}:role/${DEMO_ORG_MEMBER_ROLE.name}`,
        externalId: DEMO_ORG_MEMBER_ROLE.externalId,
      }),
      fast,
    );
    const attributes = membershipOf(alone.resources, DEMO_ORG_WORKLOAD_ACCOUNT);
    expect(attributes).toMatchObject({ in_organization: true, is_management_account: false });
    for (const key of [
      'service_control_policies',
      'scp_scope',
      'restrictive_scps_attached',
      'regions_restricted',
    ])
      expect(attributes).not.toHaveProperty(key);
    expect(alone.errors).toEqual([
      {
        provider: 'aws',
        operation: 'organizations:ListPolicies',
        resource_id: `arn:aws:organizations::${DEMO_ORG_WORKLOAD_ACCOUNT}:membership`,
        code: 'AccessDeniedException',
        message: expect.stringMatching(
          new RegExp(
            `account ${DEMO_ORG_WORKLOAD_ACCOUNT} is a member of organization o-acme4x9k2p.*` +
              `scan the organization from ${DEMO_AWS_ACCOUNT_ID}`,
          ),
        ),
        missing_permission: 'organizations:ListPolicies',
      },
    ]);
  });

  it('a refused tree read is one error naming the permission, and leaves every member policy unknown', async () => {
    const org = demoAwsOrganization({ asOf: NOW });
    org.management.deniedOperations.push('organizations:ListParents');
    const s = await start(org);
    const outcome = await scanAwsOrganization(target(s, { services: ['organizations'] }), ROLE, fast);
    const refused = outcome.errors.filter((e) => e.operation === 'organizations:ListParents');
    expect(refused).toEqual([
      expect.objectContaining({
        code: 'AccessDeniedException',
        missing_permission: 'organizations:ListParents',
        message: expect.stringContaining('could not be read'),
      }),
    ]);
    for (const member of [DEMO_AWS_LEGACY.accountId, DEMO_ORG_WORKLOAD_ACCOUNT]) {
      const attributes = membershipOf(outcome.resources, member);
      expect(attributes).toMatchObject({ in_organization: true });
      expect(attributes).not.toHaveProperty('service_control_policies');
      expect(attributes).not.toHaveProperty('restrictive_scps_attached');
    }
    // Neither a second try per member nor the members' own doomed listing.
    expect(s.requests.filter((r) => r.operation === 'ListParents')).toHaveLength(1);
    expect(s.requests.filter((r) => r.operation === 'ListPolicies')).toHaveLength(1); // the management account's
  });

  it('leaves the policies to each account when the organization runs consolidated billing only', async () => {
    const org = demoAwsOrganization({ asOf: NOW });
    org.management.orgMembership!.featureSet = 'CONSOLIDATED_BILLING';
    const s = await start(org);
    const outcome = await scanAwsOrganization(target(s, { services: ['organizations'] }), ROLE, fast);
    expect(outcome.errors.map((e) => e.operation)).toEqual(['sts:AssumeRole']);
    expect(membershipOf(outcome.resources, DEMO_ORG_WORKLOAD_ACCOUNT)).toMatchObject({
      all_features_enabled: false,
      service_control_policies: [],
      restrictive_scps_attached: false,
    });
    expect(s.requests.filter((r) => r.operation === 'ListParents')).toHaveLength(0);
  });
});
