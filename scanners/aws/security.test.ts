// The AWS security services and account governance of the scanner (Security Hub, IAM Access Analyzer,
// Organizations membership and SCPs, alternate contacts) through their real SDK v3 clients over HTTP against
// the fixture server, which answers in each service's wire protocol (restJson1; awsJson1_1 for Organizations):
// the normalized attributes the rules read, the "off" states AWS reports as errors (not subscribed, not in an
// organization, no contact) read as states, and refused calls that become ScanErrors naming the permission
// while the rest is collected.
import { describe, expect, it } from 'vitest';
import { scanAwsAccount, type AwsServiceName } from './account.ts';
import { byType, demoTarget, FAST_SCAN, fixtureServersClosedAfterEach, SCAN_NOW } from './testing.ts';
import { DEMO_AWS_LEGACY, demoAwsAccount, type AwsFixtureAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

async function scan(account: AwsFixtureAccount, services: AwsServiceName[]) {
  const server = await start(account);
  const target = demoTarget(server, { services, useConfig: false });
  if (account.accountId === DEMO_AWS_LEGACY.accountId) {
    target.accountId = account.accountId;
    target.credentials = { ...DEMO_AWS_LEGACY.credentials };
  }
  return { server, outcome: await scanAwsAccount(target, FAST_SCAN) };
}

const byRegion = (resources: { region: string; attributes: Record<string, unknown> }[]) =>
  Object.fromEntries(resources.map((r) => [r.region, r.attributes]));

describe('Security Hub', () => {
  it('reads a hub per region: standards, auto-enabled controls and aggregation; not subscribed reads as off', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const { outcome, server } = await scan(account, ['securityhub']);
    expect(outcome.errors).toEqual([]);
    const hubs = byType(outcome.resources, 'aws.securityhub.hub');
    expect(hubs.map((h) => h.id).sort()).toEqual(
      account.regions.map((r) => `arn:aws:securityhub:${r.name}:${account.accountId}:hub/default`).sort(),
    );
    expect(byRegion(hubs)).toEqual({
      'us-east-1': {
        enabled: true,
        subscribed_at: '2024-06-10T12:00:00.000Z',
        auto_enable_controls: true,
        consolidated_control_findings: true,
        standards: [
          {
            name: 'aws-foundational-security-best-practices',
            version: '1.0.0',
            arn: 'arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0',
            status: 'READY',
          },
          {
            name: 'cis-aws-foundations-benchmark',
            version: '3.0.0',
            arn: 'arn:aws:securityhub:us-east-1::standards/cis-aws-foundations-benchmark/v/3.0.0',
            status: 'READY',
          },
        ],
        finding_aggregation_region: 'us-east-1',
        findings_aggregated: true,
      },
      'eu-west-1': expect.objectContaining({
        enabled: true,
        auto_enable_controls: false,
        standards: [expect.objectContaining({ name: 'pci-dss', version: '3.2.1' })],
        finding_aggregation_region: 'us-east-1',
        findings_aggregated: true,
      }),
      'us-west-2': {
        enabled: false,
        subscribed_at: null,
        auto_enable_controls: null,
        consolidated_control_findings: null,
        standards: [],
        finding_aggregation_region: null,
        findings_aggregated: false,
      },
    });
    const refused = server.requests.filter((r) => r.service === 'securityhub' && r.status !== 200);
    expect(refused).toEqual([
      expect.objectContaining({
        operation: 'DescribeHub',
        region: 'us-west-2',
        errorCode: 'InvalidAccessException',
      }),
    ]);
  });

  it('a hub without an aggregator in its region is not aggregated', async () => {
    const { outcome } = await scan(demoAwsAccount({ asOf: SCAN_NOW, variant: 'legacy' }), ['securityhub']);
    expect(byRegion(byType(outcome.resources, 'aws.securityhub.hub'))['us-east-1']).toMatchObject({
      enabled: true,
      finding_aggregation_region: null,
      findings_aggregated: false,
    });
  });

  it('a hub in a region the aggregator does not link is not aggregated', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const oregon = account.regions.find((r) => r.name === 'us-west-2');
    oregon!.securityHub = { ...account.regions[0]!.securityHub!, standards: [] };
    const { outcome } = await scan(account, ['securityhub']);
    expect(byRegion(byType(outcome.resources, 'aws.securityhub.hub'))['us-west-2']).toMatchObject({
      enabled: true,
      standards: [],
      finding_aggregation_region: 'us-east-1',
      findings_aggregated: false,
    });
  });

  it('a refused GetEnabledStandards leaves the standards unknown and names the permission', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('securityhub:GetEnabledStandards');
    const { outcome } = await scan(account, ['securityhub']);
    const hubs = byRegion(byType(outcome.resources, 'aws.securityhub.hub'));
    expect(hubs['us-east-1']).not.toHaveProperty('standards');
    expect(hubs['us-east-1']).toMatchObject({ enabled: true, findings_aggregated: true });
    expect(outcome.errors).toHaveLength(2);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'securityhub:GetEnabledStandards',
      code: 'AccessDeniedException',
      missing_permission: 'securityhub:GetEnabledStandards',
    });
  });
});

describe('IAM Access Analyzer', () => {
  it('reads the analyzers of each region and counts the active external access findings', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const { outcome } = await scan(account, ['accessanalyzer']);
    expect(outcome.errors).toEqual([]);
    expect(byRegion(byType(outcome.resources, 'aws.accessanalyzer.region'))).toEqual({
      'us-east-1': {
        analyzers: [{ name: 'account-external-access', type: 'ACCOUNT', status: 'ACTIVE' }],
        external_access_active: true,
        active_findings: 0,
        active_public_findings: 0,
      },
      'eu-west-1': {
        analyzers: [{ name: 'account-external-access', type: 'ACCOUNT', status: 'ACTIVE' }],
        external_access_active: true,
        active_findings: 2,
        active_public_findings: 1,
      },
      'us-west-2': {
        analyzers: [{ name: 'unused-access', type: 'ACCOUNT_UNUSED_ACCESS', status: 'ACTIVE' }],
        external_access_active: false,
        active_findings: 0,
        active_public_findings: 0,
      },
    });
  });

  it('a refused ListFindings leaves the counts unknown, keeps the analyzers and names the permission', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('access-analyzer:ListFindings');
    const { outcome } = await scan(account, ['accessanalyzer']);
    const regions = byRegion(byType(outcome.resources, 'aws.accessanalyzer.region'));
    expect(regions['eu-west-1']).toEqual({
      analyzers: [{ name: 'account-external-access', type: 'ACCOUNT', status: 'ACTIVE' }],
      external_access_active: true,
    });
    expect(outcome.errors.map((e) => e.missing_permission)).toEqual([
      'access-analyzer:ListFindings',
      'access-analyzer:ListFindings',
    ]);
  });
});

describe('Organizations membership and SCPs', () => {
  it('the management account lists its SCPs with their targets', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const { outcome } = await scan(account, ['organizations']);
    expect(outcome.errors).toEqual([]);
    const [membership] = byType(outcome.resources, 'aws.organizations.account');
    expect(membership).toMatchObject({
      id: `arn:aws:organizations::${account.accountId}:membership`,
      region: 'global',
      attributes: {
        in_organization: true,
        organization_id: 'o-acme4x9k2p',
        management_account_id: account.accountId,
        is_management_account: true,
        all_features_enabled: true,
        restrictive_scps_attached: true,
        regions_restricted: true,
      },
    });
    expect(membership?.attributes.service_control_policies).toEqual([
      {
        id: 'p-FullAWSAccess',
        name: 'FullAWSAccess',
        aws_managed: true,
        targets: [{ type: 'ROOT', id: 'r-a1b2' }],
        region_allowlist: null,
      },
      {
        id: 'p-7f3k2m9q',
        name: 'deny-unapproved-regions',
        aws_managed: false,
        targets: [{ type: 'ORGANIZATIONAL_UNIT', id: 'ou-a1b2-workloads' }],
        region_allowlist: ['eu-west-1', 'us-east-1'],
      },
      {
        id: 'p-2d8s6v1x',
        name: 'draft-deny-root-user',
        aws_managed: false,
        targets: [],
        region_allowlist: null,
      },
    ]);
  });

  it('a refused DescribePolicy leaves the region limit unknown and names the permission', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('organizations:DescribePolicy');
    const { outcome } = await scan(account, ['organizations']);
    const attributes = byType(outcome.resources, 'aws.organizations.account')[0]?.attributes ?? {};
    expect(attributes).toMatchObject({ restrictive_scps_attached: true });
    expect(attributes).not.toHaveProperty('regions_restricted');
    expect(outcome.errors.map((e) => [e.operation, e.resource_id, e.missing_permission])).toEqual([
      ['organizations:DescribePolicy', 'p-7f3k2m9q', 'organizations:DescribePolicy'],
      ['organizations:DescribePolicy', 'p-2d8s6v1x', 'organizations:DescribePolicy'],
    ]);
  });

  it('a consolidated-billing organization has no SCPs; a standalone account is not in one', async () => {
    const legacy = await scan(demoAwsAccount({ asOf: SCAN_NOW, variant: 'legacy' }), ['organizations']);
    expect(legacy.outcome.errors).toEqual([]);
    expect(byType(legacy.outcome.resources, 'aws.organizations.account')[0]?.attributes).toMatchObject({
      in_organization: true,
      is_management_account: false,
      all_features_enabled: false,
      service_control_policies: [],
      restrictive_scps_attached: false,
      regions_restricted: false,
    });
    expect(legacy.server.requests.map((r) => r.operation)).toEqual(['DescribeOrganization']);

    const standaloneAccount = demoAwsAccount({ asOf: SCAN_NOW });
    delete standaloneAccount.orgMembership;
    const standalone = await scan(standaloneAccount, ['organizations']);
    expect(standalone.outcome.errors).toEqual([]);
    expect(byType(standalone.outcome.resources, 'aws.organizations.account')[0]?.attributes).toMatchObject({
      in_organization: false,
      organization_id: null,
      restrictive_scps_attached: false,
    });
  });

  it('a member account may not list the policies: the error names the permission, membership is still read', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.orgMembership = { ...account.orgMembership!, managementAccountId: '999988887777' };
    const { outcome } = await scan(account, ['organizations']);
    const attributes = byType(outcome.resources, 'aws.organizations.account')[0]?.attributes ?? {};
    expect(attributes).toMatchObject({
      in_organization: true,
      is_management_account: false,
      all_features_enabled: true,
    });
    expect(attributes).not.toHaveProperty('service_control_policies');
    expect(attributes).not.toHaveProperty('restrictive_scps_attached');
    expect(attributes).not.toHaveProperty('regions_restricted');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'organizations:ListPolicies',
        code: 'AccessDeniedException',
        missing_permission: 'organizations:ListPolicies',
      }),
    ]);
  });
});

describe('Alternate contacts', () => {
  it('reads which contacts are registered, keeping no contact details', async () => {
    const main = await scan(demoAwsAccount({ asOf: SCAN_NOW }), ['account']);
    expect(main.outcome.errors).toEqual([]);
    const [contacts] = byType(main.outcome.resources, 'aws.account.contacts');
    expect(contacts?.attributes).toEqual({
      security_contact_registered: true,
      operations_contact_registered: true,
      billing_contact_registered: true,
    });
    expect(JSON.stringify(contacts)).not.toContain('@example.com');

    const legacy = await scan(demoAwsAccount({ asOf: SCAN_NOW, variant: 'legacy' }), ['account']);
    expect(legacy.outcome.errors).toEqual([]);
    expect(byType(legacy.outcome.resources, 'aws.account.contacts')[0]?.attributes).toEqual({
      security_contact_registered: false,
      operations_contact_registered: false,
      billing_contact_registered: true,
    });
  });

  it('a refused GetAlternateContact leaves the contacts unknown and names the permission', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    account.deniedOperations.push('account:GetAlternateContact');
    const { outcome } = await scan(account, ['account']);
    expect(byType(outcome.resources, 'aws.account.contacts')[0]?.attributes).toEqual({});
    expect(outcome.errors).toHaveLength(3);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'account:GetAlternateContact',
      missing_permission: 'account:GetAlternateContact',
    });
  });
});
