// An organization scan split into one part per account (issue 18) collects exactly what the whole scan
// collects: the real Organizations, STS and Config clients over HTTP against the fixture server serving the
// sandbox organization, once whole and once as its planned parts (ListAccounts at plan time, each part one
// account), on the Config aggregator path and on the direct APIs. Azure's subscriptions likewise.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ScanError } from '../../schemas/index.ts';
import {
  listScanParts,
  scanIntegration,
  scanParts,
  ScanFailedError,
  WHOLE_SCAN,
  type ScannableIntegration,
} from '../index.ts';
import {
  DEMO_ORG_DENYING_ACCOUNT,
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_SUSPENDED_ACCOUNT,
  DEMO_ORG_WORKLOAD_ACCOUNT,
  demoAwsOrganization,
} from './fixtures/aws-fixture-organization.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  DEMO_AWS_LEGACY,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';
import { organizationPart, organizationPartKey } from './organization.ts';
import type { AwsIntegrationConfig } from './provider.ts';
import {
  DEMO_AZURE_SECOND_SUBSCRIPTION_ID,
  DEMO_AZURE_SUBSCRIPTION_ID,
  startAzureFixtureServer,
  type AzureFixtureServer,
} from '../azure/fixtures/azure-fixture-server.ts';
import { demoAzureTarget } from '../azure/testing.ts';
import { SCAN_NOW } from './testing.ts';

const options = { now: () => SCAN_NOW, callsPerSecond: 10_000 };
const SERVICES = ['s3', 'iam', 'ec2', 'kms', 'organizations', 'account'];

let server: AwsFixtureServer | AzureFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const byKey = (r: Resource) => `${r.type} ${r.account} ${r.id}`;
const sorted = (resources: Resource[]) =>
  [...resources].sort((a, b) => byKey(a).localeCompare(byKey(b))).map((r) => JSON.stringify(r));
const errorSet = (errors: ScanError[]) => [...new Set(errors.map((e) => JSON.stringify(e)))].sort();

/** Whole, then as planned: the parts listed, and the resources (sorted) and distinct errors of each way. */
async function wholeAndSplit(integration: ScannableIntegration, requests: { operation: string }[] = []) {
  const whole = await scanIntegration(integration, options);
  const planFrom = requests.length;
  const parts = await listScanParts(integration, options);
  const partsFrom = requests.length;
  const outcomes = [];
  for (const part of parts) outcomes.push(await scanIntegration(integration, { ...options, part }));
  const operations = (from: number, to = requests.length) => requests.slice(from, to).map((r) => r.operation);
  return {
    parts,
    outcomes,
    /** The provider calls of the plan's listing, and of the parts. */
    calls: { plan: operations(planFrom, partsFrom), parts: operations(partsFrom) },
    whole: { resources: sorted(whole.resources), errors: errorSet(whole.errors) },
    split: {
      resources: sorted(outcomes.flatMap((o) => o.resources)),
      errors: errorSet(outcomes.flatMap((o) => o.errors)),
    },
  };
}

let regions: string[] = [];

async function startOrganization(aggregator: boolean): Promise<AwsFixtureServer> {
  const org = demoAwsOrganization({ asOf: SCAN_NOW });
  if (aggregator) {
    const all = [org.management, ...org.members.map((m) => m.account)];
    for (const account of all) withConfigRecording(account);
    // The legacy member is left out of the aggregator: its part reads its regions' own Config, as in the
    // whole scan.
    org.management.configAggregators = [
      { name: 'org', accountIds: [DEMO_AWS_ACCOUNT_ID, DEMO_ORG_WORKLOAD_ACCOUNT], regions: 'all' },
    ];
  }
  regions = org.management.regions.map((r) => r.name);
  const s = await startAwsFixtureServer({ account: org.management, members: org.members });
  server = s;
  return s;
}

function organizationIntegration(s: AwsFixtureServer, config: Partial<AwsIntegrationConfig> = {}) {
  return {
    provider: 'aws',
    config: {
      accountId: DEMO_AWS_ACCOUNT_ID,
      region: 'us-east-1',
      endpoint: s.url,
      services: SERVICES,
      organization: {
        memberRoleName: DEMO_ORG_MEMBER_ROLE.name,
        externalId: DEMO_ORG_MEMBER_ROLE.externalId,
      },
      ...config,
    },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  } as unknown as ScannableIntegration;
}

const memberIds = (parts: string[]) => parts.map((p) => organizationPart(p)?.id);

describe('an AWS organization scan split into one part per account', () => {
  it('collects the resources and errors of the whole scan through the aggregator, filtered per account', async () => {
    const s = await startOrganization(true);
    const { parts, calls, whole, split } = await wholeAndSplit(
      // With the regions listed, the aggregator's answer covers each of them for every account it has items of.
      organizationIntegration(s, { configAggregator: 'org', regions }),
      s.requests,
    );
    // Every active account, the management account included; the suspended one is not scanned.
    expect(memberIds(parts).sort()).toEqual(
      [
        DEMO_AWS_ACCOUNT_ID,
        DEMO_AWS_LEGACY.accountId,
        DEMO_ORG_DENYING_ACCOUNT,
        DEMO_ORG_WORKLOAD_ACCOUNT,
      ].sort(),
    );
    expect(memberIds(parts)).not.toContain(DEMO_ORG_SUSPENDED_ACCOUNT);
    expect(whole.resources.length).toBeGreaterThan(100);
    expect(split).toEqual(whole);
    // The refusing member is reported by its name in both (the name travels in its part key).
    expect(split.errors.join('\n')).toContain(
      `account ${DEMO_ORG_DENYING_ACCOUNT} (acme-lab) was not scanned`,
    );
    // The plan lists the accounts and nothing else; no part lists them again. Each part reads its share of
    // the aggregator (a query filtered to its account: the refusing member stops at its role first).
    expect(new Set(calls.plan)).toEqual(new Set(['ListAccounts']));
    expect(calls.parts).not.toContain('ListAccounts');
    expect(calls.parts.filter((o) => o === 'DescribeConfigurationAggregators')).toHaveLength(parts.length);
  }, 120_000);

  it('collects the resources and errors of the whole scan on the direct APIs, SCPs per member included', async () => {
    const s = await startOrganization(false);
    const integration = organizationIntegration(s, { useConfig: false });
    const { parts, outcomes, whole, split } = await wholeAndSplit(integration);
    expect(parts).toHaveLength(4);
    expect(split).toEqual(whole);
    // The workload member's membership carries the SCPs in force on it, read through the management account.
    const membership = outcomes
      .flatMap((o) => o.resources)
      .find((r) => r.type === 'aws.organizations.account' && r.account === DEMO_ORG_WORKLOAD_ACCOUNT);
    expect(membership?.attributes).toMatchObject({ scp_scope: 'account' });
  }, 120_000);

  it('keeps its parts apart from an account scan: other keys are refused, the static listing stays whole', async () => {
    const s = await startOrganization(false);
    const integration = organizationIntegration(s);
    expect(scanParts(integration)).toEqual([WHOLE_SCAN]);
    for (const part of ['s3', 'account:12345', 'ec2@us-east-1']) {
      const refused = scanIntegration(integration, { ...options, part });
      await expect(refused).rejects.toBeInstanceOf(ScanFailedError);
      await expect(refused).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    }
    expect(organizationPart(organizationPartKey({ id: '111122223333', name: 'a (b) c' }))).toEqual({
      id: '111122223333',
      name: 'a (b) c',
    });
    expect(organizationPart(organizationPartKey({ id: '111122223333' }))).toEqual({ id: '111122223333' });
  });

  it('fails the listing as the whole scan fails when the accounts may not be listed', async () => {
    const s = await startOrganization(false);
    const integration = organizationIntegration(s, {
      // A member's own credentials cannot list the organization.
      accountId: DEMO_AWS_LEGACY.accountId,
    });
    (integration as { credentials: object }).credentials = { ...DEMO_AWS_LEGACY.credentials };
    const whole = scanIntegration(integration, options);
    const listed = listScanParts(integration, options);
    await expect(whole).rejects.toBeInstanceOf(ScanFailedError);
    const wholeError = (await whole.catch((e: unknown) => e)) as ScanFailedError;
    await expect(listed).rejects.toMatchObject({ code: wholeError.code, message: wholeError.message });
  });
});

describe('an Azure scan of several subscriptions split into one part per subscription', () => {
  it('collects the resources and errors of the whole scan', async () => {
    const s = await startAzureFixtureServer({});
    server = s;
    const target = demoAzureTarget(s, [DEMO_AZURE_SUBSCRIPTION_ID, DEMO_AZURE_SECOND_SUBSCRIPTION_ID]);
    const integration = {
      provider: 'azure',
      config: { tenantId: target.tenantId, subscriptionIds: target.subscriptionIds, endpoint: s.url },
      credentials: { clientId: target.clientId, clientSecret: target.clientSecret },
    } as unknown as ScannableIntegration;
    const { parts, whole, split } = await wholeAndSplit(integration);
    expect(parts).toEqual([
      `subscription:${DEMO_AZURE_SUBSCRIPTION_ID}`,
      `subscription:${DEMO_AZURE_SECOND_SUBSCRIPTION_ID}`,
    ]);
    expect(whole.resources.length).toBeGreaterThan(50);
    expect(split).toEqual(whole);
    // One subscription stays one part.
    const one = {
      ...integration,
      config: { ...integration.config, subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID] },
    };
    expect(await listScanParts(one as ScannableIntegration, options)).toEqual([WHOLE_SCAN]);
  }, 60_000);
});
