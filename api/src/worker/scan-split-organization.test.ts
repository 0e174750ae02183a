/**
 * Organization scans split per account (issue 18), on PGlite and PostgreSQL, through the same plan, part and
 * finish steps several workers run:
 *
 * - the plan lists the organization's accounts (ListAccounts, under the integration's call limit) and stores
 *   one part per active account; a retried plan keeps those parts and lists nothing again;
 * - the scan, through the worker's queues and with its parts run inline, gives exactly the findings and
 *   errors of the same scan made one part, the SCPs in force on each member and the organization-wide
 *   membership included, on the Config aggregator path (one query filtered per account);
 * - a part retried alone (its worker lost after collecting) duplicates nothing;
 * - a refused listing fails the scan at the plan, before any part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_ORG_DENYING_ACCOUNT,
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_WORKLOAD_ACCOUNT,
  demoAwsOrganization,
} from '../../../scanners/aws/fixtures/aws-fixture-organization.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  DEMO_AWS_LEGACY,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFixtureServer,
} from '../../../scanners/aws/fixtures/aws-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import type { ScanPartJobData } from '../scans/types.ts';
import { login, scanJobDepsOf, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { splitScanClient, type SplitScanClient } from '../../test/split-scans.ts';
import { runScanJob, runScanPart } from './scan-job.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SERVICES = ['s3', 'iam', 'ec2', 'kms', 'cloudtrail', 'organizations', 'account'];
const ACCOUNTS = [
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_LEGACY.accountId,
  DEMO_ORG_DENYING_ACCOUNT,
  DEMO_ORG_WORKLOAD_ACCOUNT,
];

describe.each(databaseBackends())('organization scans split per account on $name', (backend) => {
  let t: TestApp;
  let sandbox: AwsFixtureServer;
  let tenantId: string;
  let token: string;
  let integrationId: string;
  let reference: { findings: string[]; errors: string[] };

  let c: SplitScanClient;
  const call = (...args: Parameters<SplitScanClient['call']>) => c.call(...args);
  const queuedScan = (integration = integrationId) => c.queuedScan(integration);
  const getScan = (scanId: string) => c.getScan(scanId);
  const completions = (scanId: string) => c.completions(scanId);
  const partsOf = (scanId: string) => c.partsOf(scanId);
  /** The scan's findings as text, sorted, and its distinct errors. */
  const resultsOf = async (scanId: string) => ({
    findings: await c.findingsOf(scanId),
    errors: [...new Set(((await getScan(scanId)).errors as Json[]).map((e) => JSON.stringify(e)))].sort(),
  });
  const listings = () => sandbox.requests.filter((r) => r.operation === 'ListAccounts').length;
  const accountOf = (part: string) => /^account:(\d{12})/.exec(part)?.[1];

  beforeAll(async () => {
    t = await startTestApp(backend);
    const org = demoAwsOrganization();
    const all = [org.management, ...org.members.map((m) => m.account)];
    for (const account of all) withConfigRecording(account);
    // The legacy member is not in the aggregator: its part reads its regions' own Config, as the whole scan does.
    org.management.configAggregators = [
      { name: 'org', accountIds: [DEMO_AWS_ACCOUNT_ID, DEMO_ORG_WORKLOAD_ACCOUNT], regions: 'all' },
    ];
    const regions = org.management.regions.map((r) => r.name).slice(0, 2);
    sandbox = await startAwsFixtureServer({
      port: 0,
      host: '127.0.0.1',
      account: org.management,
      members: org.members,
    });
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'split-organization' });
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
    c = splitScanClient(t, tenantId, token);
    const created = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Split organization',
      config: {
        accountId: DEMO_AWS_ACCOUNT_ID,
        region: 'us-east-1',
        endpoint: sandbox.url,
        services: SERVICES,
        regions,
        configAggregator: 'org',
        organization: {
          memberRoleName: DEMO_ORG_MEMBER_ROLE.name,
          externalId: DEMO_ORG_MEMBER_ROLE.externalId,
        },
      },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    integrationId = created.body.id;
    // The reference: the same scan made one part, inline (as before organization scans were split).
    reference = await resultsOf(await c.unsplitScan(integrationId));
    expect(reference.findings.length).toBeGreaterThan(50);
    // The member's SCPs (read through the management account) and the refusing member are in it.
    expect(reference.errors.join('\n')).toContain(
      `account ${DEMO_ORG_DENYING_ACCOUNT} (acme-lab) was not scanned`,
    );
    expect(
      reference.findings.some((f) =>
        f.includes(`arn:aws:organizations::${DEMO_ORG_WORKLOAD_ACCOUNT}:membership`),
      ),
    ).toBe(true);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('gives the findings and errors of the unsplit scan through the worker, one part per account', async () => {
    const before = listings();
    const queued = await call('POST', '/api/scans', { integration_id: integrationId });
    expect(queued.status).toBe(202);
    const scan = await c.settled(queued.body.id, 150_000);
    expect(scan.status, JSON.stringify(scan.failure)).toBe('succeeded');
    expect(scan.parts).toEqual({ total: ACCOUNTS.length, done: ACCOUNTS.length });
    expect(await resultsOf(scan.id)).toEqual(reference);
    expect(await completions(scan.id)).toBe(1);
    const parts = await partsOf(scan.id);
    expect(parts.map((p) => accountOf(p.part_key)).sort()).toEqual([...ACCOUNTS].sort());
    for (const part of parts) expect(part).toMatchObject({ status: 'done', attempts: 1 });
    // Listed once, by the plan: the whole organization fits one page of ListAccounts.
    expect(listings() - before).toBe(1);
  }, 180_000);

  it('plans once, retries a part alone and finishes exactly once with the same findings', async () => {
    const scanId = await queuedScan();
    const deps = scanJobDepsOf(t.app, t.config.jobs);
    const job = { tenant_id: tenantId, scan_id: scanId };
    const sent: ScanPartJobData[] = [];
    const before = listings();
    expect(await runScanJob(deps, job, undefined, async (parts) => void sent.push(...parts))).toBe('planned');
    expect(listings() - before).toBe(1);
    expect(sent.map((p) => accountOf(p.part)).sort()).toEqual([...ACCOUNTS].sort());
    // The plan job retried (its worker lost after planning): the same parts, no second listing.
    const again: ScanPartJobData[] = [];
    expect(await runScanJob(deps, job, undefined, async (parts) => void again.push(...parts))).toBe(
      'planned',
    );
    expect(again).toEqual(sent);
    expect(listings() - before).toBe(1);

    // Every part but the last collected; the first one's job then retried (its worker died after recording).
    for (const part of sent.slice(0, -1))
      expect(await runScanPart(deps, part, { final: false })).toBe('collected');
    expect(await runScanPart(deps, sent[0]!, { final: false })).toBe('collected');
    const last = sent.at(-1)!;
    expect(await runScanPart({ ...deps, workerId: 'other' }, last, { final: false })).toBe('succeeded');
    expect(await completions(scanId)).toBe(1);
    expect(await resultsOf(scanId)).toEqual(reference);
    expect(await runScanPart(deps, last, { final: true })).toBe('skipped');
    const parts = await partsOf(scanId);
    expect(parts.every((p) => p.status === 'done' && p.attempts === 1)).toBe(true);
    expect(listings() - before).toBe(1);
  }, 180_000);

  it('fails the scan at the plan when the organization may not be listed', async () => {
    const bad = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Organization from a member',
      config: {
        accountId: DEMO_AWS_LEGACY.accountId,
        region: 'us-east-1',
        endpoint: sandbox.url,
        services: SERVICES,
        organization: { memberRoleName: DEMO_ORG_MEMBER_ROLE.name },
      },
      credentials: { ...DEMO_AWS_LEGACY.credentials },
    });
    expect(bad.status, JSON.stringify(bad.body)).toBe(201);
    const scanId = await queuedScan(bad.body.id);
    expect(
      await runScanJob(scanJobDepsOf(t.app, t.config.jobs), { tenant_id: tenantId, scan_id: scanId }),
    ).toBe('failed');
    const scan = await getScan(scanId);
    expect(scan.status).toBe('failed');
    expect(scan.failure.code).toMatch(/^(PERMISSION_DENIED|INVALID_CONFIG)$/);
    expect(await partsOf(scanId)).toEqual([]);
  }, 60_000);
});
