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
import { insertQueuedScan, scanPartsOf } from '../scans/store.ts';
import { QUEUED_PROGRESS, type ScanPartJobData } from '../scans/types.ts';
import { bearer, login, scanJobDepsOf, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
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

  const call = async (method: 'GET' | 'POST', url: string, payload?: Json) => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };
  const queuedScan = (integration = integrationId) =>
    t.app.withTenant(tenantId, (trx) => insertQueuedScan(trx, tenantId, integration, QUEUED_PROGRESS));
  const getScan = async (scanId: string) => (await call('GET', `/api/scans/${scanId}`)).body;
  /** The scan's findings as text, sorted, and its distinct errors. */
  const resultsOf = async (scanId: string) => {
    const items: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: Json } = await call(
        'GET',
        `/api/scans/${scanId}/findings?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...(page.body.items as Json[]));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    const scan = await getScan(scanId);
    return {
      findings: items
        .map((f) => [f.rule_id, f.resource_id, f.status, f.severity, f.message].join(' '))
        .sort(),
      errors: [...new Set((scan.errors as Json[]).map((e) => JSON.stringify(e)))].sort(),
    };
  };
  const completions = (scanId: string) =>
    t.app.withTenant(tenantId, async (trx) => {
      const rows = await trx('ledger_entries')
        .select('kind')
        .where({ kind: 'scan.completed' })
        .whereRaw(`payload->>'scan_id' = ?`, [scanId]);
      return rows.length;
    });
  const partsOf = (scanId: string) => t.app.withTenant(tenantId, (trx) => scanPartsOf(trx, scanId));
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
    const whole = await queuedScan();
    expect(
      await runScanJob(
        { ...scanJobDepsOf(t.app), splitScans: false },
        { tenant_id: tenantId, scan_id: whole },
      ),
    ).toBe('succeeded');
    expect((await getScan(whole)).parts).toEqual({ total: 1, done: 1 });
    reference = await resultsOf(whole);
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
    const deadline = Date.now() + 150_000;
    let scan = await getScan(queued.body.id);
    while (scan.status === 'queued' || scan.status === 'running') {
      if (Date.now() > deadline) throw new Error(`scan still ${scan.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      scan = await getScan(queued.body.id);
    }
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
    const deps = scanJobDepsOf(t.app);
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
    expect(await runScanJob(scanJobDepsOf(t.app), { tenant_id: tenantId, scan_id: scanId })).toBe('failed');
    const scan = await getScan(scanId);
    expect(scan.status).toBe('failed');
    expect(scan.failure.code).toMatch(/^(PERMISSION_DENIED|INVALID_CONFIG)$/);
    expect(await partsOf(scanId)).toEqual([]);
  }, 60_000);
});
