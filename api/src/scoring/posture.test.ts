/**
 * Tenant posture on every backend, with real scans of the S3 sandbox and the GitHub fixture server: a second
 * integration's scan leaves the first one's results in the score, a re-scan replaces only its own
 * integration's contribution, a failed scan keeps the integration's last good result, history has one point
 * per scoring event naming the integration and scan, and a contribution older than the threshold is stale.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeControlResults, scoreFrameworks } from '../../../engine/index.ts';
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
import type { ControlResult, FrameworkScore } from '../../../schemas/index.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import type { LatestScores } from '../scans/types.ts';
import { STALE_AFTER_DAYS } from './compute.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY = 24 * 60 * 60 * 1000;

describe.each(databaseBackends())('tenant posture on $name', (backend) => {
  let t: TestApp;
  let s3: S3FixtureServer;
  let github: GithubFixtureServer;
  let tenantId: string;
  let token: string;
  const ids: Record<'aws' | 'github', string> = { aws: '', github: '' };
  /** Scan ids in the order they ran, by integration. */
  const scans: Record<'aws' | 'github', string[]> = { aws: [], github: [] };

  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };

  /** Runs a scan of `which` to its end and returns its final status. */
  async function scan(which: 'aws' | 'github'): Promise<string> {
    const queued = await call('POST', '/api/scans', { integration_id: ids[which] });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { body } = await call('GET', `/api/scans/${queued.body.id}`);
      if (body.status === 'succeeded' || body.status === 'failed') {
        if (body.status === 'succeeded') scans[which].push(body.id);
        return body.status as string;
      }
      if (Date.now() > deadline) throw new Error(`scan ${queued.body.id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const posture = async () => (await call('GET', '/api/scores')).body as Json;
  const sourcesOf = (answer: Json) =>
    Object.fromEntries((answer.posture.integrations as Json[]).map((s) => [s.integration_id, s.scan_id]));
  const controlsOf = async (scanId: string) =>
    (await call('GET', `/api/scans/${scanId}/controls`)).body.items as ControlResult[];

  /** The posture the engine computes from these scans' stored control results, as the API should answer. */
  async function expected(scanIds: string[], now: string): Promise<FrameworkScore[]> {
    const results = [];
    for (const scan_id of scanIds)
      results.push({
        integration_id: scan_id,
        scan_id,
        finished_at: now,
        controls: await controlsOf(scan_id),
      });
    return scoreFrameworks(mergeControlResults(results), await t.app.engine.frameworks(), {
      now: new Date(now),
    });
  }
  const statuses = (items: Json[]) =>
    Object.fromEntries(
      items.map((s) => [
        `${s.framework_id}@${s.framework_version}`,
        (s.requirements as Json[]).map((r) => `${r.requirement_id}:${r.state}`).join(' '),
      ]),
    );
  const history = async (framework = 'soc2') =>
    (await call('GET', `/api/scores/history?framework=${framework}&limit=50`)).body.items as Json[];

  beforeAll(async () => {
    [s3, github] = await Promise.all([
      startS3FixtureServer({ port: 0, host: '127.0.0.1' }),
      startGithubFixtureServer({ port: 0, host: '127.0.0.1' }),
    ]);
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(s3.url);
    t.app.egress.allowEndpoint(github.url);
    const admin = await seedTenant(t.database.knex, { slug: 'posture' });
    tenantId = admin.tenantId;
    token = (await login(t.app, admin.email, admin.password)).access_token;
    const inputs = {
      aws: {
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: s3.url, services: ['s3'] },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
      github: {
        config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: github.url },
        credentials: { token: DEMO_GITHUB_TOKEN },
      },
    };
    for (const provider of ['aws', 'github'] as const) {
      const created = await call('POST', '/api/integrations', {
        provider,
        name: provider,
        ...inputs[provider],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      ids[provider] = created.body.id;
    }
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    await github?.close();
  });

  it('answers no posture before the first scan', async () => {
    expect(await posture()).toEqual({ scan_id: null, finished_at: null, items: [], posture: null });
  });

  it('keeps the first integration in the score when a second one is scanned', async () => {
    expect(await scan('aws')).toBe('succeeded');
    const afterAws = await posture();
    expect(afterAws.posture).toMatchObject({
      reason: 'scan',
      integration_id: ids.aws,
      event_scan_id: scans.aws[0],
      stale_after_days: STALE_AFTER_DAYS,
    });
    expect(sourcesOf(afterAws)).toEqual({ [ids.aws]: scans.aws[0] });
    // One integration: the posture is that scan's scores.
    const awsScan = (await call('GET', `/api/scans/${scans.aws[0]}/scores`)).body.items as Json[];
    expect(statuses(afterAws.items)).toEqual(statuses(awsScan));

    expect(await scan('github')).toBe('succeeded');
    const both = await posture();
    expect(both.posture).toMatchObject({ integration_id: ids.github, event_scan_id: scans.github[0] });
    expect(sourcesOf(both)).toEqual({ [ids.aws]: scans.aws[0], [ids.github]: scans.github[0] });
    expect(both.scan_id).toBe(scans.github[0]);
    // The GitHub scan alone scores differently from the tenant: the AWS results are still in.
    const githubScan = (await call('GET', `/api/scans/${scans.github[0]}/scores`)).body.items as Json[];
    expect(statuses(both.items)).not.toEqual(statuses(githubScan));
    const merged = await expected([scans.aws[0]!, scans.github[0]!], both.posture.scored_at);
    expect(statuses(both.items)).toEqual(statuses(merged as Json[]));
    expect(both.items.map((s: Json) => s.score)).toEqual(merged.map((s) => s.score));
    // Every requirement an AWS control decided and no GitHub finding touches kept its AWS state.
    const github = new Map((await controlsOf(scans.github[0]!)).map((c) => [c.control_id, c]));
    const aws = new Map((await controlsOf(scans.aws[0]!)).map((c) => [c.control_id, c]));
    const touched = (c: ControlResult | undefined) =>
      c ? c.counts.pass + c.counts.fail + c.counts.error : 0;
    let kept = 0;
    for (const [i, framework] of (both.items as Json[]).entries()) {
      for (const [j, requirement] of (framework.requirements as Json[]).entries()) {
        const ids = requirement.control_ids as string[];
        if (!ids.some((id) => touched(aws.get(id)) > 0) || ids.some((id) => touched(github.get(id)) > 0))
          continue;
        expect(requirement.state).toBe(afterAws.items[i].requirements[j].state);
        kept++;
      }
    }
    expect(kept, 'requirements only AWS findings decide').toBeGreaterThan(0);
  }, 240_000);

  it('counts every requirement state and says what the percentage is over', async () => {
    for (const score of (await posture()).items as Json[]) {
      const counts = score.status_counts as Record<string, number>;
      expect(Object.keys(counts).sort()).toEqual(
        ['error', 'fail', 'manual', 'needs_evidence', 'not_applicable', 'pass'].sort(),
      );
      const byState: Record<string, number> = {};
      for (const r of score.requirements as Json[]) byState[r.state] = (byState[r.state] ?? 0) + 1;
      for (const [state, n] of Object.entries(counts)) expect(n).toBe(byState[state] ?? 0);
      expect(score.score_basis.total).toBe(score.requirements.length);
      expect(score.score_basis.requirements).toBe(counts.pass! + counts.fail! + counts.error!);
      expect(score.score_basis.description).toContain(
        `${score.score_basis.requirements} of ${score.requirements.length}`,
      );
      if (score.score !== null) expect(score.score).toBe(counts.pass! / score.score_basis.requirements);
    }
    const soc2 = ((await posture()).items as Json[]).find((s) => s.framework_id === 'soc2')!;
    expect(soc2.status_counts.needs_evidence, 'SOC 2 has requirements only people assess').toBeGreaterThan(0);
  });

  it('replaces only its own contribution when an integration is scanned again', async () => {
    expect(await scan('github')).toBe('succeeded');
    const answer = await posture();
    expect(sourcesOf(answer)).toEqual({ [ids.aws]: scans.aws[0], [ids.github]: scans.github[1] });
    const merged = await expected([scans.aws[0]!, scans.github[1]!], answer.posture.scored_at);
    expect(statuses(answer.items)).toEqual(statuses(merged as Json[]));
  }, 120_000);

  it('keeps the last good result of an integration whose scan failed', async () => {
    const before = await posture();
    const points = (await history()).length;
    const broken = await call('PATCH', `/api/integrations/${ids.github}`, {
      credentials: { token: `ghp_${'x'.repeat(36)}` },
    });
    expect(broken.status).toBe(200);
    expect(await scan('github')).toBe('failed');
    // A failed scan is no scoring event: nothing changed.
    expect(await posture()).toEqual(before);
    expect(await history()).toHaveLength(points);
    // The next AWS scan still merges the last good GitHub scan.
    expect(await scan('aws')).toBe('succeeded');
    const after = await posture();
    expect(sourcesOf(after)).toEqual({ [ids.aws]: scans.aws[1], [ids.github]: scans.github[1] });
  }, 240_000);

  it('keeps one history point per scoring event, naming the integration and scan that changed it', async () => {
    const points = await history();
    const soc2Versions = new Set(points.map((p) => p.framework_version));
    expect(soc2Versions.size).toBe(1);
    expect(points.map((p) => [p.reason, p.integration_id, p.scan_id])).toEqual([
      ['scan', ids.aws, scans.aws[1]],
      ['scan', ids.github, scans.github[1]],
      ['scan', ids.github, scans.github[0]],
      ['scan', ids.aws, scans.aws[0]],
    ]);
    expect(new Set(points.map((p) => p.event_id)).size).toBe(4);
    expect(points[0]!.sources.map((s: Json) => s.scan_id).sort()).toEqual(
      [scans.aws[1], scans.github[1]].sort(),
    );
    expect(points[3]!.sources.map((s: Json) => s.scan_id)).toEqual([scans.aws[0]]);
    const newest = (await posture()).items.find((s: Json) => s.framework_id === 'soc2');
    expect(points[0]).toMatchObject({
      score: newest.score,
      status_counts: newest.status_counts,
      score_basis: newest.score_basis,
    });
    // The ledger records each event as scores.recomputed.
    const ledger = (await call('GET', '/api/ledger?limit=500')).body.items as Json[];
    const recomputed = ledger.filter((e) => e.kind === 'scores.recomputed');
    expect(recomputed.map((e) => e.payload.event_id).sort()).toEqual(points.map((p) => p.event_id).sort());
  });

  it('flags an integration whose latest good scan is older than the threshold', async () => {
    const fresh = await posture();
    expect((fresh.posture.integrations as Json[]).map((s) => [s.age_days, s.stale])).toEqual([
      [0, false],
      [0, false],
    ]);
    // Just past the threshold for the GitHub scan, which finished before the last AWS scan.
    const github = (fresh.posture.integrations as Json[]).find((s) => s.integration_id === ids.github)!;
    const later = new Date(Date.parse(github.finished_at) + STALE_AFTER_DAYS * DAY + 1);
    const answer = await t.app.scans.latestScoresAnswer<LatestScores>(
      tenantId,
      { cached: () => undefined, build: (scores) => scores },
      later,
    );
    const flags = Object.fromEntries(answer.posture!.integrations.map((s) => [s.integration_id, s]));
    expect(flags[ids.github]).toMatchObject({ stale: true, age_days: STALE_AFTER_DAYS });
    expect(flags[ids.aws]).toMatchObject({ stale: false });
    // Staleness warns; it changes no score.
    expect(answer.items.map((s) => s.score)).toEqual((fresh.items as Json[]).map((s) => s.score));
  });
});
