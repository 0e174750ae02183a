/**
 * Archiving an integration (DELETE /api/integrations/:id) on every backend, with real scans of the S3 sandbox
 * and the GitHub fixture server: the posture is recomputed at once without the archived integration (its
 * score is the remaining integration's score alone), the explorer, drill-down and history follow, its
 * credentials and schedule are gone and its queued scan is cancelled, while its scans, findings and evidence
 * stay readable by an auditor. The integrations list hides it unless asked; its name is free again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
  startGithubFixtureServer,
  type GithubFixtureServer,
} from '../../../scanners/github/fixtures/github-fixture-server.ts';
import {
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import {
  bearer,
  inviteAndAccept,
  login,
  s3SandboxIntegration,
  seedTenant,
  startTestApp,
  type TestApp,
} from '../../test/helpers.ts';
import { SCHEDULE_QUEUE } from '../plugins/external/boss.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';
import { QUEUED_PROGRESS } from '../scans/types.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What of a framework score must match: everything it counts. */
const scoreKey = (items: Json[]) =>
  items
    .map((s) =>
      JSON.stringify([
        s.framework_id,
        s.framework_version,
        s.score,
        s.passed,
        s.failed,
        s.not_applicable,
        s.needs_evidence,
        s.status_counts,
        (s.requirements as Json[]).map((r) => `${r.requirement_id}:${r.state}`),
      ]),
    )
    .sort();

describe.each(databaseBackends())('archiving an integration on $name', (backend) => {
  let t: TestApp;
  let s3: S3FixtureServer;
  let github: GithubFixtureServer;
  let tenantId: string;
  let admin: string;
  let auditor: string;
  const ids: Record<'aws' | 'github', string> = { aws: '', github: '' };
  const scans: Record<'aws' | 'github', string> = { aws: '', github: '' };

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
    token = admin,
  ) => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(token),
      ...(payload ? { payload } : {}),
    });
    return { status: response.statusCode, body: (response.body ? response.json() : null) as Json };
  };

  /** Runs a scan of `which` to its end through the worker; returns its id. */
  async function scan(which: 'aws' | 'github'): Promise<string> {
    const queued = await call('POST', '/api/scans', { integration_id: ids[which] });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { body } = await call('GET', `/api/scans/${queued.body.id}`);
      if (body.status === 'succeeded') return body.id as string;
      if (body.status === 'failed') throw new Error(`scan failed: ${JSON.stringify(body.failure)}`);
      if (Date.now() > deadline) throw new Error(`scan ${queued.body.id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const explorerIntegrations = async (query = '') => {
    const answer = await call('GET', `/api/findings?limit=500${query}`, undefined, auditor);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return new Set((answer.body.items as Json[]).map((f) => f.integration_id as string));
  };

  beforeAll(async () => {
    [s3, github] = await Promise.all([
      startS3FixtureServer({ port: 0, host: '127.0.0.1' }),
      startGithubFixtureServer({ port: 0, host: '127.0.0.1' }),
    ]);
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(s3.url);
    t.app.egress.allowEndpoint(github.url);
    const seeded = await seedTenant(t.database.knex, { slug: 'archive' });
    tenantId = seeded.tenantId;
    admin = (await login(t.app, seeded.email, seeded.password)).access_token;
    const auditorUser = {
      email: 'auditor@archive.example',
      role: 'auditor' as const,
      password: 'Evidence reader 42 long!',
    };
    await inviteAndAccept(t, admin, auditorUser);
    auditor = (await login(t.app, auditorUser.email, auditorUser.password, tenantId)).access_token;
    const aws = await call('POST', '/api/integrations', s3SandboxIntegration('aws', s3.url));
    const gh = await call('POST', '/api/integrations', {
      provider: 'github',
      name: 'github',
      config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: github.url },
      credentials: { token: DEMO_GITHUB_TOKEN },
    });
    expect([aws.status, gh.status]).toEqual([201, 201]);
    ids.aws = aws.body.id;
    ids.github = gh.body.id;
    scans.aws = await scan('aws');
    scans.github = await scan('github');
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await s3?.close();
    await github?.close();
  });

  it('leaves the archived integration out of the posture at once: the score is the other one alone', async () => {
    const awsAlone = await call('GET', `/api/scans/${scans.aws}/scores`);
    expect(awsAlone.status).toBe(200);
    const before = (await call('GET', '/api/scores')).body;
    expect(before.posture.integrations.map((i: Json) => i.integration_id).sort()).toEqual(
      [ids.aws, ids.github].sort(),
    );
    // GitHub's findings change the score: otherwise the comparison below could not fail.
    expect(scoreKey(before.items)).not.toEqual(scoreKey(awsAlone.body.items));
    expect(await explorerIntegrations()).toEqual(new Set([ids.aws, ids.github]));

    // A schedule and a queued scan (a row without a job, as one the worker has not picked up yet).
    expect(
      (await call('PUT', `/api/integrations/${ids.github}/schedule`, { cron: '0 3 * * *' })).status,
    ).toBe(200);
    expect(await t.app.boss.getSchedules(SCHEDULE_QUEUE, ids.github)).toHaveLength(1);
    const [queued] = (await runAsOwner(t.database.knex, { tenantId }, (trx) =>
      trx('scans')
        .insert({
          tenant_id: tenantId,
          integration_id: ids.github,
          status: 'queued',
          progress: JSON.stringify(QUEUED_PROGRESS),
        })
        .returning('id'),
    )) as { id: string }[];

    const archived = await call('DELETE', `/api/integrations/${ids.github}`);
    expect(archived.status, JSON.stringify(archived.body)).toBe(204);

    const after = (await call('GET', '/api/scores', undefined, auditor)).body;
    expect(after.posture).toMatchObject({ reason: 'integration_archived', integration_id: ids.github });
    expect(after.posture.integrations.map((i: Json) => i.integration_id)).toEqual([ids.aws]);
    expect(after.scan_id).toBe(scans.aws);
    expect(scoreKey(after.items)).toEqual(scoreKey(awsAlone.body.items));

    // The explorer, a requirement's drill-down and the history follow the posture.
    expect(await explorerIntegrations()).toEqual(new Set([ids.aws]));
    const requirement = (
      await call('GET', '/api/scores/frameworks/soc2/requirements/CC6.1', undefined, auditor)
    ).body;
    expect(requirement.sources.map((s: Json) => s.integration_id)).toEqual([ids.aws]);
    expect((requirement.evidence.automated as Json[]).every((e) => e.integration_name === 'aws')).toBe(true);
    const [newest] = (await call('GET', '/api/scores/history?framework=soc2&limit=1')).body.items as Json[];
    expect(newest).toMatchObject({ reason: 'integration_archived', integration_id: ids.github });

    // Its credentials and schedule are gone, its queued scan cancelled; nothing can use it any more.
    const [row] = await runAsOwner(t.database.knex, { tenantId }, (trx) =>
      trx('integrations')
        .select('archived_at', 'credentials_ciphertext', 'credentials_iv', 'credentials_tag', 'scan_schedule')
        .where({ id: ids.github }),
    );
    expect(row).toMatchObject({
      archived_at: expect.any(Date),
      credentials_ciphertext: null,
      credentials_iv: null,
      credentials_tag: null,
      scan_schedule: null,
    });
    expect(await t.app.boss.getSchedules(SCHEDULE_QUEUE, ids.github)).toEqual([]);
    expect((await call('GET', `/api/scans/${queued!.id}`)).body.status).toBe('cancelled');
    for (const [method, url, payload] of [
      ['POST', '/api/scans', { integration_id: ids.github }],
      ['PATCH', `/api/integrations/${ids.github}`, { name: 'back' }],
      ['POST', `/api/integrations/${ids.github}/test`, {}],
      ['GET', `/api/integrations/${ids.github}/schedule`, undefined],
      ['PUT', `/api/integrations/${ids.github}/schedule`, { cron: '0 4 * * *' }],
      ['DELETE', `/api/integrations/${ids.github}`, undefined],
    ] as const) {
      const refused = await call(method, url, payload);
      expect(refused.status, `${method} ${url}`).toBe(404);
      expect(refused.body.error.code).toBe('INTEGRATION_NOT_FOUND');
    }

    const kinds = ((await call('GET', '/api/ledger?limit=20')).body.items as Json[]).map((e) => [
      e.kind,
      e.payload?.integration_id ?? e.payload?.scan_id,
    ]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['integration.archived', ids.github],
        ['scores.recomputed', ids.github],
        ['scan.cancelled', queued!.id],
      ]),
    );
  });

  it('keeps the archived integration’s scans, findings and evidence readable by an auditor', async () => {
    const scanned = await call('GET', `/api/scans/${scans.github}`, undefined, auditor);
    expect(scanned.body).toMatchObject({ status: 'succeeded', integration_name: 'github' });
    const byScan = await call('GET', `/api/findings?scan_id=${scans.github}&limit=500`, undefined, auditor);
    expect(byScan.status, JSON.stringify(byScan.body)).toBe(200);
    const findings = byScan.body.items as Json[];
    expect(findings.length).toBeGreaterThan(0);
    expect(new Set(findings.map((f) => f.integration_id))).toEqual(new Set([ids.github]));
    const withEvidence = findings.find((f) => f.evidence_sha256)!;
    const evidence = await call('GET', `/api/evidence/${withEvidence.evidence_sha256}`, undefined, auditor);
    expect(evidence.status).toBe(200);
    expect(evidence.body.verified).toBe(true);
    const finding = await call('GET', `/api/findings/${withEvidence.id}`, undefined, auditor);
    expect(finding.body).toMatchObject({
      id: withEvidence.id,
      integration_id: ids.github,
      in_posture: false,
    });
    const scanList = (await call('GET', `/api/scans?integration_id=${ids.github}`, undefined, auditor)).body;
    expect((scanList.items as Json[]).map((s) => s.id)).toContain(scans.github);
  });

  it('lists archived integrations only when asked, and frees the name', async () => {
    const listed = await call('GET', '/api/integrations', undefined, auditor);
    expect((listed.body.items as Json[]).map((i) => i.name)).toEqual(['aws']);
    expect(listed.body.items[0].archived_at).toBeNull();
    const all = await call('GET', '/api/integrations?include=archived', undefined, auditor);
    expect((all.body.items as Json[]).map((i) => [i.name, i.archived_at !== null])).toEqual([
      ['aws', false],
      ['github', true],
    ]);
    expect((await call('GET', '/api/integrations?include=everything')).status).toBe(400);

    const again = await call('POST', '/api/integrations', {
      provider: 'github',
      name: 'github',
      config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: github.url },
      credentials: { token: DEMO_GITHUB_TOKEN },
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.id).not.toBe(ids.github);
    // The new one has no scan yet: the posture stays the AWS one alone.
    const posture = (await call('GET', '/api/scores')).body.posture;
    expect(posture.integrations.map((i: Json) => i.integration_id)).toEqual([ids.aws]);
  });

  it('archiving the last scanned integration leaves a posture with no results in it', async () => {
    expect((await call('DELETE', `/api/integrations/${ids.aws}`)).status).toBe(204);
    const after = (await call('GET', '/api/scores')).body;
    expect(after.posture).toMatchObject({
      reason: 'integration_archived',
      integration_id: ids.aws,
      integrations: [],
    });
    expect(after.scan_id).toBeNull();
    for (const item of after.items as Json[]) expect([item.passed, item.failed]).toEqual([0, 0]);
    expect(await explorerIntegrations()).toEqual(new Set());
    // History still has the AWS scan's own snapshot.
    expect((await call('GET', `/api/scans/${scans.aws}/scores`, undefined, auditor)).status).toBe(200);
  });
});
