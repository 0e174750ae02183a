/**
 * Scans end to end: the real worker (pg-boss) scans a real S3 fixture server with the real AWS SDK, the real
 * committed rule bundle evaluates it, and everything is read back through the API, on every backend. Also
 * tenant isolation through the API and idempotent job retries.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoS3Account,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { canonicalJson } from '../../canonical.ts';
import { runAsOwner } from '../../plugins/app/tenancy.ts';
import { runScanJob } from '../../worker/scan-job.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('scans on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tokenA: string;
  let tokenB: string;
  let integrationA: string;
  let tenantA: string;

  const get = async (url: string, token: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };

  async function waitForScan(id: string, token: string, timeoutMs = 90_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status, body } = await get(`/api/scans/${id}`, token);
      expect(status).toBe(200);
      if (body.status === 'succeeded' || body.status === 'failed') return body;
      if (Date.now() > deadline) throw new Error(`scan ${id} still ${body.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function connect(
    token: string,
    name: string,
    credentials = { ...DEMO_AWS_CREDENTIALS },
  ): Promise<string> {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(token),
      payload: {
        provider: 'aws',
        name,
        // The S3 sandbox serves S3 only: new integrations scan every AWS service unless told otherwise.
        config: {
          accountId: DEMO_AWS_ACCOUNT_ID,
          region: 'us-east-1',
          endpoint: sandbox.url,
          services: ['s3'],
        },
        credentials,
      },
    });
    expect(response.statusCode, response.body).toBe(201);
    const body = response.json();
    expect(JSON.stringify(body)).not.toContain(credentials.secretAccessKey);
    return body.id;
  }

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const a = await seedTenant(t.database.knex, { slug: 'scan-a' });
    tenantA = a.tenantId;
    const b = await seedTenant(t.database.knex, { slug: 'scan-b' });
    tokenA = (await login(t.app, a.email, a.password)).access_token;
    tokenB = (await login(t.app, b.email, b.password)).access_token;
    integrationA = await connect(tokenA, 'Sandbox');
  });
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('answers JSON 4xx, never 500, for bad scan requests', async () => {
    const post = (payload: unknown, token = tokenA, headers: Record<string, string> = {}) =>
      t.app.inject({
        method: 'POST',
        url: '/api/scans',
        headers: { ...bearer(token), ...headers },
        payload: payload as string,
      });
    const cases: [unknown, number, string, Record<string, string>?][] = [
      [{ integration_id: randomUUID() }, 404, 'INTEGRATION_NOT_FOUND'],
      [{}, 400, 'VALIDATION_ERROR'],
      [{ integration_id: 'not-a-uuid' }, 400, 'VALIDATION_ERROR'],
      [{ integration_id: 42 }, 400, 'VALIDATION_ERROR'],
      [[integrationA], 400, 'VALIDATION_ERROR'],
      ['{"integration_id":', 400, 'INVALID_JSON', { 'content-type': 'application/json' }],
      ['integration_id=x', 400, 'VALIDATION_ERROR', { 'content-type': 'text/plain' }],
      ['<scan/>', 415, 'UNSUPPORTED_MEDIA_TYPE', { 'content-type': 'application/xml' }],
    ];
    for (const [payload, status, code, headers] of cases) {
      const response = await post(payload, tokenA, headers);
      expect(response.statusCode, JSON.stringify(payload)).toBe(status);
      expect(response.headers['content-type']).toMatch(/application\/json/);
      expect(response.json().error.code, JSON.stringify(payload)).toBe(code);
    }
    // Another tenant's integration is unknown, not forbidden.
    const foreign = await post({ integration_id: integrationA }, tokenB);
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.code).toBe('INTEGRATION_NOT_FOUND');
    const unknownRoute = await t.app.inject({ method: 'GET', url: '/api/nope', headers: bearer(tokenA) });
    expect(unknownRoute.statusCode).toBe(404);
    expect(unknownRoute.json().error.code).toBe('ROUTE_NOT_FOUND');
    const badId = await get('/api/scans/not-a-uuid', tokenA);
    expect(badId.status).toBe(400);
  });

  let scanId: string;

  it('runs a full scan through the worker: findings, control results, scores and evidence', async () => {
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(tokenA),
      payload: { integration_id: integrationA },
    });
    expect(queued.statusCode).toBe(202);
    expect(queued.json()).toEqual({ id: expect.any(String), status: 'queued' });
    scanId = queued.json().id;

    const scan = await waitForScan(scanId, tokenA);
    expect(scan.failure).toBeNull();
    expect(scan.status).toBe('succeeded');
    const policy = await t.app.engine.policyEngine();
    expect(scan.bundle_revision).toBe(policy.revision);
    // One resource per sandbox bucket; one error per denied bucket call.
    const { buckets } = demoS3Account();
    const denials = buckets.reduce((n, b) => n + (b.deniedOperations?.length ?? 0), 0);
    expect(scan.progress).toMatchObject({ resources_collected: buckets.length, errors: denials });
    expect(scan.progress.calls_made).toBeGreaterThan(buckets.length);
    // The sandbox denies GetPublicAccessBlock on one bucket: recorded, the scan went on.
    expect(scan.errors).toEqual([
      expect.objectContaining({ provider: 'aws', operation: 's3:GetPublicAccessBlock' }),
    ]);
    expect(scan.finding_counts.pass + scan.finding_counts.fail).toBeGreaterThan(0);
    expect(scan.finding_counts.fail).toBeGreaterThan(0);
    expect(new Date(scan.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(scan.started_at).getTime());

    const list = await get('/api/scans', tokenA);
    expect(list.body.items.map((s: Json) => s.id)).toContain(scanId);
    // The list carries each scan's finding counts, the same as the scan's own read.
    expect(list.body.items.find((s: Json) => s.id === scanId).finding_counts).toEqual(scan.finding_counts);
    // Recorded with the findings when the scan succeeded, so no read counts them again; equal to a count now.
    const recorded = await runAsOwner(t.database.knex, { tenantId: tenantA }, async (trx) => {
      const row = await trx('scans').select('finding_counts').where({ id: scanId }).first();
      const rows: { status: string; excepted: boolean; n: string }[] = await trx('findings')
        .select('status', trx.raw('exception_id is not null as excepted'))
        .count('* as n')
        .where({ scan_id: scanId })
        .groupBy('status', 'excepted');
      const counted: Record<string, number> = { pass: 0, fail: 0, not_applicable: 0, error: 0, excepted: 0 };
      for (const r of rows) counted[r.excepted ? 'excepted' : r.status]! += Number(r.n);
      return { stored: row.finding_counts, counted };
    });
    expect(recorded.stored).toEqual(recorded.counted);
    expect(scan.finding_counts).toEqual(recorded.stored);

    // Its parts: each done, by a named worker, and together they collected what the scan counts.
    const parts = await get(`/api/scans/${scanId}/parts`, tokenA);
    expect(parts.status).toBe(200);
    expect(parts.body.items).toHaveLength(scan.parts.total);
    for (const part of parts.body.items) {
      expect(part).toMatchObject({ status: 'done', attempts: 1, failure_message: null });
      expect(part.worker_id).toMatch(/^.+:\d+$/);
      expect(part.resources).toBe(part.progress.resources_collected);
      expect(new Date(part.finished_at).getTime()).toBeGreaterThanOrEqual(
        new Date(part.started_at).getTime(),
      );
    }
    const collected = parts.body.items.reduce((sum: number, p: Json) => sum + p.resources, 0);
    expect(collected).toBe(scan.progress.resources_collected);
    expect((await get(`/api/scans/${scanId}/parts`, tokenB)).status).toBe(404);
    expect((await get(`/api/scans/${randomUUID()}/parts`, tokenA)).body.error.code).toBe('SCAN_NOT_FOUND');

    const scores = await get(`/api/scans/${scanId}/scores`, tokenA);
    expect(scores.status).toBe(200);
    expect(scores.body.items.length).toBeGreaterThan(0);
    for (const score of scores.body.items) {
      expect(score.requirements.length).toBeGreaterThan(0);
      if (score.score !== null) expect(score.score).toBe(score.passed / (score.passed + score.failed));
    }
    const latest = await get('/api/scores', tokenA);
    expect(latest.body.scan_id).toBe(scanId);
    expect(latest.body.items).toEqual(scores.body.items);

    const controls = await get(`/api/scans/${scanId}/controls`, tokenA);
    expect(controls.status).toBe(200);
    expect(controls.body.items.length).toBeGreaterThan(0);
    const failing = controls.body.items.find((c: Json) => c.status === 'fail');
    expect(failing).toMatchObject({ title: expect.any(String), objective: expect.any(String) });
    expect(failing.title).not.toBe(failing.control_id);

    const detail = await get(`/api/scans/${scanId}/controls/${failing.control_id}`, tokenA);
    expect(detail.status).toBe(200);
    expect(detail.body.control.control_id).toBe(failing.control_id);
    expect(detail.body.mappings.length).toBeGreaterThan(0);
    const finding = detail.body.findings.find((f: Json) => f.status === 'fail');
    expect(finding).toMatchObject({
      rule_id: expect.stringMatching(/^CW-/),
      rule_version: expect.any(String),
      rule_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      bundle_revision: policy.revision,
      resource_id: expect.stringMatching(/^arn:aws:s3:::/),
      resource_name: expect.any(String),
      evidence_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(finding.resource_id).toBe(`arn:aws:s3:::${finding.resource_name}`);

    const evidence = await get(`/api/evidence/${finding.evidence_sha256}`, tokenA);
    expect(evidence.status).toBe(200);
    expect(evidence.body).toMatchObject({
      sha256: finding.evidence_sha256,
      content_type: 'application/json',
    });
    expect(evidence.body.content.id).toBe(finding.resource_id);
    const bytes = Buffer.from(canonicalJson(evidence.body.content), 'utf8');
    expect(bytes.length).toBe(evidence.body.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(finding.evidence_sha256);
    const stored = await t.app.evidenceStore.get(finding.evidence_sha256);
    expect(createHash('sha256').update(stored!).digest('hex')).toBe(finding.evidence_sha256);

    const findings = await get(`/api/scans/${scanId}/findings?status=fail`, tokenA);
    expect(findings.body.items.length).toBe(scan.finding_counts.fail);
  });

  it('keeps tenant B out of tenant A scan, control findings and evidence (404, not 403)', async () => {
    const detail = await get(`/api/scans/${scanId}/controls`, tokenA);
    // A control the S3 scan gives findings for (most controls have rules for other resource types).
    const controlId = detail.body.items.find((c: Json) => c.rule_ids.includes('CW-AWS-S3-001')).control_id;
    const control = await get(`/api/scans/${scanId}/controls/${controlId}`, tokenA);
    const sha = control.body.findings.find((f: Json) => f.evidence_sha256)?.evidence_sha256;
    expect(sha).toBeTruthy();

    for (const url of [
      `/api/scans/${scanId}`,
      `/api/scans/${scanId}/scores`,
      `/api/scans/${scanId}/controls`,
      `/api/scans/${scanId}/controls/${controlId}`,
      `/api/scans/${scanId}/findings`,
      `/api/scans/${scanId}/resources`,
      `/api/evidence/${sha}`,
    ]) {
      const response = await get(url, tokenB);
      expect(response.status, url).toBe(404);
      expect(response.body.error.code, url).toMatch(/_NOT_FOUND$/);
    }
    expect((await get('/api/scans', tokenB)).body.items).toEqual([]);
    expect((await get('/api/integrations', tokenB)).body.items).toEqual([]);
    expect((await get('/api/scores', tokenB)).body).toEqual({
      scan_id: null,
      finished_at: null,
      items: [],
      posture: null,
    });
  });

  /** Every page of a scan's resources under `query`, following next_cursor; the totals each page gave. */
  async function allResources(id: string, query: string, token = tokenA) {
    const items: Json[] = [];
    const totals = new Set<number>();
    let cursor: string | null = null;
    do {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await get(`/api/scans/${id}/resources?${query}${after}`, token);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      items.push(...page.body.items);
      totals.add(page.body.total);
      cursor = page.body.next_cursor;
    } while (cursor);
    return { items, totals: [...totals] };
  }

  it('lists the resources a scan collected: as many as it counts, every page, each with its part, evidence and findings', async () => {
    const scan = (await get(`/api/scans/${scanId}`, tokenA)).body;
    const { items, totals } = await allResources(scanId, 'limit=2');
    expect(totals).toEqual([scan.progress.resources_collected]);
    expect(items).toHaveLength(scan.progress.resources_collected);
    // Exactly the pairs the parts recorded, in plan order, none twice.
    const stored = await t.app.withTenant(tenantOf(tokenA), (trx) =>
      trx('scan_parts').select('part_key', 'resources').where({ scan_id: scanId }).orderBy('position'),
    );
    expect(items.map((r) => [r.part, r.resource_id, r.evidence_sha256])).toEqual(
      stored.flatMap((p: Json) =>
        (p.resources as [string, string][]).map(([id, sha]) => [p.part_key, id, sha]),
      ),
    );
    // Each row's place and finding counts are the scan's findings on it.
    const findings: Json[] = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const page: Json = (
        await get(`/api/scans/${scanId}/findings?limit=1000${cursor ? `&cursor=${cursor}` : ''}`, tokenA)
      ).body;
      findings.push(...page.items);
      cursor = page.next_cursor;
    }
    for (const item of items) {
      const on = findings.filter((f) => f.resource_id === item.resource_id);
      expect(on.length, item.resource_id).toBeGreaterThan(0);
      expect(item).toMatchObject({
        resource_type: 'aws.s3.bucket',
        resource_name: on[0]!.resource_name,
        account: DEMO_AWS_ACCOUNT_ID,
        region: expect.any(String),
        findings: on.length,
        failing: on.filter((f) => f.status === 'fail' && !f.exception_id).length,
      });
    }
    expect(items.reduce((n, r) => n + r.findings, 0)).toBe(findings.length);

    // Filters: one part's resources are what its row counts; a type matches all or nothing here.
    const parts = (await get(`/api/scans/${scanId}/parts`, tokenA)).body.items as Json[];
    for (const part of parts) {
      const byPart = await allResources(scanId, `limit=2&part=${encodeURIComponent(part.part)}`);
      expect(byPart.totals).toEqual([part.resources]);
      expect(byPart.items.map((r) => r.resource_id)).toEqual(
        items.filter((r) => r.part === part.part).map((r) => r.resource_id),
      );
    }
    const byType = await allResources(scanId, 'limit=2&type=aws.s3.bucket');
    expect(byType.totals).toEqual([items.length]);
    expect(byType.items).toEqual(items);
    expect((await get(`/api/scans/${scanId}/resources?type=aws.ec2.instance`, tokenA)).body).toEqual({
      scan_id: scanId,
      total: 0,
      items: [],
      next_cursor: null,
    });
    expect((await get(`/api/scans/${scanId}/resources?part=nope`, tokenA)).body.total).toBe(0);

    // Unknown, foreign and malformed requests: JSON errors with a code.
    for (const [url, token, status, code] of [
      [`/api/scans/${randomUUID()}/resources`, tokenA, 404, 'SCAN_NOT_FOUND'],
      [`/api/scans/${scanId}/resources`, tokenB, 404, 'SCAN_NOT_FOUND'],
      [`/api/scans/not-a-uuid/resources`, tokenA, 400, 'VALIDATION_ERROR'],
      [`/api/scans/${scanId}/resources?limit=0`, tokenA, 400, 'VALIDATION_ERROR'],
      [`/api/scans/${scanId}/resources?cursor=bm9wZQ`, tokenA, 400, 'VALIDATION_ERROR'],
    ] as const) {
      const response = await get(url, token);
      expect(response.status, url).toBe(status);
      expect(response.body.error.code, url).toBe(code);
    }
    // A cursor is bound to the filters it was made under.
    const first = (await get(`/api/scans/${scanId}/resources?limit=1`, tokenA)).body;
    if (first.next_cursor) {
      const crossed = await get(
        `/api/scans/${scanId}/resources?limit=1&type=aws.s3.bucket&cursor=${first.next_cursor}`,
        tokenA,
      );
      expect(crossed.status).toBe(400);
    }
  });

  it('a retried job rewrites the same rows instead of duplicating them', async () => {
    const count = (table: string) =>
      t.app.withTenant(tenantOf(tokenA), async (trx) =>
        Number((await trx(table).where({ scan_id: scanId }).count({ n: '*' }))[0]!.n),
      );
    const before = {
      findings: await count('findings'),
      controls: await count('control_results'),
      scores: await count('framework_scores'),
    };
    // As if the worker died after writing results but before marking the scan succeeded.
    await t.app.withTenant(tenantOf(tokenA), (trx) =>
      trx('scans').where({ id: scanId }).update({ status: 'running' }),
    );
    const outcome = await runScanJob(
      {
        withTenant: t.app.withTenant,
        vault: t.app.vault,
        evidenceStore: t.app.evidenceStore,
        engine: t.app.engine,
        log: t.app.log,
        egress: t.app.egress.policy,
      },
      { tenant_id: tenantOf(tokenA), scan_id: scanId },
    );
    expect(outcome).toBe('succeeded');
    expect({
      findings: await count('findings'),
      controls: await count('control_results'),
      scores: await count('framework_scores'),
    }).toEqual(before);
    // A finished scan's job is skipped.
    expect(
      await runScanJob(
        {
          withTenant: t.app.withTenant,
          vault: t.app.vault,
          evidenceStore: t.app.evidenceStore,
          engine: t.app.engine,
          log: t.app.log,
          egress: t.app.egress.policy,
        },
        { tenant_id: tenantOf(tokenA), scan_id: scanId },
      ),
    ).toBe('skipped');
  });

  it('marks a scan failed when the provider refuses the credentials, and the worker keeps going', async () => {
    const wrong = await connect(tokenA, 'Wrong key', {
      // Well-shaped (so the integration is stored) but unknown to the provider.
      accessKeyId: 'AKIAUNKNOWN000000000',
      secretAccessKey: 'not-the-secret-of-any-key',
    });
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(tokenA),
      payload: { integration_id: wrong },
    });
    const failed = await waitForScan(queued.json().id, tokenA);
    expect(failed.status).toBe('failed');
    expect(failed.failure).toEqual({ code: 'INVALID_CREDENTIALS', message: expect.any(String) });

    const again = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(tokenA),
      payload: { integration_id: integrationA },
    });
    expect((await waitForScan(again.json().id, tokenA)).status).toBe('succeeded');
  });

  it('lists a resource no rule checked from its snapshot: its type, name and place, no findings', async () => {
    const { items } = await allResources(scanId, 'limit=2');
    const target = items[0]!;
    // As if no rule checked it: the scan's findings on it removed.
    await runAsOwner(t.database.knex, { tenantId: tenantOf(tokenA) }, (trx) =>
      trx('findings').where({ scan_id: scanId, resource_id: target.resource_id }).delete(),
    );
    const snapshot = JSON.parse((await t.app.evidenceStore.get(target.evidence_sha256))!.toString('utf8'));
    const after = await allResources(scanId, 'limit=2');
    expect(after.items.find((r) => r.resource_id === target.resource_id)).toEqual({
      ...target,
      resource_type: snapshot.type,
      resource_name: snapshot.name,
      account: snapshot.account,
      region: snapshot.region,
      findings: 0,
      failing: 0,
    });
    // The type filter finds it by its snapshot's type too.
    const byType = await allResources(scanId, `limit=2&type=${snapshot.type}`);
    expect(byType.totals).toEqual([items.length]);
    expect(byType.items.map((r) => r.resource_id)).toContain(target.resource_id);
  });
});

/** The tenant id inside an access token (its `tid` claim). */
function tenantOf(token: string): string {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).tid;
}
