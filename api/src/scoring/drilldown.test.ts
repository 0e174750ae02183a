/**
 * The drill-down over the tenant's posture on every backend, with real scans of the S3 sandbox and the GitHub
 * fixture server: a control's result and findings are those of both integrations' latest scans merged, a
 * requirement lists its mapped controls with their posture result and the evidence behind them, and the
 * finding, resource, rule and evidence pages read what the scans stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeControlResults } from '../../../engine/index.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
  startGithubFixtureServer,
  type GithubFixtureServer,
} from '../../../scanners/github/fixtures/github-fixture-server.ts';
import type { ControlResult } from '../../../schemas/index.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { explainRollup } from './service.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('explainRollup', () => {
  it('says which policy decided a control, with the share of passing findings under a threshold', () => {
    expect(explainRollup({ mode: 'all_pass' }).description).toMatch(/every applicable finding passes/);
    const threshold = explainRollup(
      { mode: 'threshold', pass_threshold: 0.75 },
      { pass: 3, fail: 1, not_applicable: 2, error: 0 },
    );
    expect(threshold).toMatchObject({ mode: 'threshold', pass_threshold: 0.75 });
    expect(threshold.description).toContain('at least 75%');
    expect(threshold.description).toContain('Here 3 of 4 pass (75%)');
  });
});

describe.each(databaseBackends())('posture drill-down on $name', (backend) => {
  let t: TestApp;
  let s3: S3FixtureServer;
  let github: GithubFixtureServer;
  let token: string;
  const scans: string[] = [];

  const get = async (url: string) => {
    const response = await t.app.inject({ method: 'GET', url, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };
  const ok = async (url: string) => {
    const { status, body } = await get(url);
    expect(status, `${url}: ${JSON.stringify(body)}`).toBe(200);
    return body;
  };

  async function scan(integrationId: string): Promise<void> {
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(token),
      payload: { integration_id: integrationId },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const body = await ok(`/api/scans/${queued.json().id}`);
      if (body.status === 'succeeded') return void scans.push(body.id);
      if (body.status === 'failed' || Date.now() > deadline) throw new Error(JSON.stringify(body));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Every finding of both scans, and their merged control results, as the scan routes give them. */
  async function expected(): Promise<{ findings: Json[]; controls: Map<string, ControlResult> }> {
    const findings: Json[] = [];
    const results = [];
    for (const scanId of scans) {
      findings.push(...(await ok(`/api/scans/${scanId}/findings?limit=1000`)).items);
      const controls = (await ok(`/api/scans/${scanId}/controls`)).items as ControlResult[];
      results.push({ integration_id: scanId, scan_id: scanId, finished_at: '', controls });
    }
    return {
      findings,
      controls: new Map(mergeControlResults(results).map((c) => [c.control_id, c])),
    };
  }

  beforeAll(async () => {
    [s3, github] = await Promise.all([
      startS3FixtureServer({ port: 0, host: '127.0.0.1' }),
      startGithubFixtureServer({ port: 0, host: '127.0.0.1' }),
    ]);
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(s3.url);
    t.app.egress.allowEndpoint(github.url);
    const admin = await seedTenant(t.database.knex, { slug: 'drilldown' });
    token = (await login(t.app, admin.email, admin.password)).access_token;
    const inputs = [
      {
        provider: 'aws',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: s3.url, services: ['s3'] },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
      {
        provider: 'github',
        config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: github.url },
        credentials: { token: DEMO_GITHUB_TOKEN },
      },
    ];
    for (const input of inputs) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/integrations',
        headers: bearer(token),
        payload: { name: input.provider, ...input },
      });
      expect(created.statusCode, created.body).toBe(201);
      await scan(created.json().id);
    }
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    await github?.close();
  });

  it('shows a control over both integrations: merged result, the policy in words, every finding of its rules', async () => {
    const { findings, controls } = await expected();
    expect(controls.size).toBeGreaterThan(0);
    for (const [controlId, result] of controls) {
      const body = await ok(`/api/scores/controls/${controlId}`);
      expect(body.control).toMatchObject({
        control_id: controlId,
        status: result.status,
        counts: result.counts,
      });
      expect(body.policy.mode).toBe('all_pass');
      expect(body.sources.map((s: Json) => s.scan_id).sort()).toEqual([...scans].sort());
      const want = findings.filter((f) => result.rule_ids.includes(f.rule_id)).map((f) => f.id);
      expect(body.findings.map((f: Json) => f.id).sort()).toEqual(want.sort());
      for (const f of body.findings) expect(scans).toContain(f.scan_id);
    }
    const unknown = await get('/api/scores/controls/UCF-NOPE-99');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('CONTROL_NOT_FOUND');
  });

  it('shows a failing requirement with its controls, their relationships and the evidence behind them', async () => {
    const posture = await ok('/api/scores');
    const soc2 = (posture.items as Json[]).find((s) => s.framework_id === 'soc2')!;
    const failing = (soc2.requirements as Json[]).find((r) => r.state === 'fail')!;
    expect(failing).toBeDefined();
    const ref = `${soc2.framework_id}@${soc2.framework_version}`;
    const body = await ok(`/api/scores/frameworks/${ref}/requirements/${failing.requirement_id}`);
    expect(body.requirement).toMatchObject({
      requirement_id: failing.requirement_id,
      title: failing.title,
      state: 'fail',
      status: 'fail',
    });
    // Our own one-line summary where the catalog has one (many SOC 2 criteria carry none: their text is
    // AICPA's, imported by the user).
    expect(body.requirement.summary === null || typeof body.requirement.summary === 'string').toBe(true);
    expect(body.controls.map((c: Json) => c.control_id)).toEqual(failing.control_ids);
    const { findings, controls } = await expected();
    for (const control of body.controls) {
      expect(control.status).toBe(controls.get(control.control_id)?.status ?? null);
      expect(control.relationship).toEqual(expect.any(String));
    }
    const rules = new Set(body.controls.flatMap((c: Json) => c.rule_ids));
    const shas = new Set(findings.filter((f) => rules.has(f.rule_id)).map((f) => f.evidence_sha256));
    expect(new Set(body.evidence.automated.map((e: Json) => e.sha256))).toEqual(shas);
    // Failing evidence first.
    const first = body.evidence.automated[0];
    expect(first.findings.some((f: Json) => f.status === 'fail')).toBe(true);
    const evidence = await ok(`/api/evidence/${first.sha256}`);
    expect(evidence).toMatchObject({ sha256: first.sha256, verified: true });
    expect(evidence.content.id).toBe(first.resource_id);
    // A bare framework id reads its newest version; an unknown requirement is a 404 with its code.
    const bare = await ok(`/api/scores/frameworks/soc2/requirements/${failing.requirement_id}`);
    expect(bare.framework.framework_version).toBe(soc2.framework_version);
    const missing = await get(`/api/scores/frameworks/${ref}/requirements/NOPE-1`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'REQUIREMENT_NOT_FOUND']);
    const noFramework = await get('/api/scores/frameworks/nope/requirements/X');
    expect([noFramework.status, noFramework.body.error.code]).toEqual([404, 'FRAMEWORK_NOT_FOUND']);
  });

  it('reads one finding, its resource with every finding on it, and the rule that produced it', async () => {
    const { findings } = await expected();
    const failing =
      findings.find((f) => f.status === 'fail' && f.resource_id.includes('/')) ??
      findings.find((f) => f.status === 'fail')!;
    const finding = await ok(`/api/findings/${failing.id}`);
    expect(finding).toMatchObject({
      id: failing.id,
      rule_id: failing.rule_id,
      resource_id: failing.resource_id,
      status: 'fail',
      in_posture: true,
      evidence_sha256: failing.evidence_sha256,
    });
    expect(finding.control_ids.length).toBeGreaterThan(0);
    expect(finding.rule_title).toEqual(expect.any(String));
    const resource = await ok(`/api/resources/${encodeURIComponent(failing.resource_id)}`);
    expect(resource.resource_id).toBe(failing.resource_id);
    expect(resource.attributes).toEqual(expect.any(Object));
    expect(resource.evidence_sha256).toBe(failing.evidence_sha256);
    const onResource = findings.filter((f) => f.resource_id === failing.resource_id).map((f) => f.id);
    expect(resource.findings.map((f: Json) => f.id).sort()).toEqual(onResource.sort());
    const rule = await ok(`/api/rules/${failing.rule_id}`);
    expect(rule).toMatchObject({
      id: failing.rule_id,
      hash: failing.rule_hash,
      version: failing.rule_version,
    });
    expect(rule.source).toContain(failing.rule_id.toLowerCase().split('-')[1]);

    const absent = await get(`/api/findings/00000000-0000-4000-8000-000000000000`);
    expect([absent.status, absent.body.error.code]).toEqual([404, 'FINDING_NOT_FOUND']);
    expect((await get('/api/findings/not-a-uuid')).status).toBe(400);
    const noResource = await get(`/api/resources/${encodeURIComponent('arn:aws:s3:::nope/x')}`);
    expect([noResource.status, noResource.body.error.code]).toEqual([404, 'RESOURCE_NOT_FOUND']);
    const noRule = await get('/api/rules/CW-NOPE-000');
    expect([noRule.status, noRule.body.error.code]).toEqual([404, 'RULE_NOT_FOUND']);
  });
});
