/**
 * Scoring in the API on every backend, with real scans of the S3 sandbox: the tenant scoring policy (read by
 * everyone, written by admins, 400 naming the field, ledger event), applied by the worker at the next scan and
 * recorded on the snapshot so the score recomputes from the scan's control results; score history with cursor
 * pagination; manual evidence that turns a requirement people assess into a pass until its freshness window
 * ends (judged with an explicit clock), recomputed without a new scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../../engine/frameworks.ts';
import { controlsByRequirement, scoreFrameworks, testedControls } from '../../../engine/score.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import type { ControlResult } from '../../../schemas/index.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { addMember } from '../../test/scanned-tenant.ts';
import { scorePosture } from './compute.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const DAY = 24 * 60 * 60 * 1000;

describe.each(databaseBackends())('scoring policy, history and manual evidence on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenantId: string;
  let integrationId: string;
  const tokens: Record<string, string> = {};

  const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, role = 'admin') => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(tokens[role]!),
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };

  async function scan(): Promise<string> {
    const queued = await call('POST', '/api/scans', { integration_id: integrationId });
    expect(queued.status, JSON.stringify(queued.body)).toBe(202);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const { body } = await call('GET', `/api/scans/${queued.body.id}`);
      if (body.status === 'succeeded' || body.status === 'failed') {
        expect(body.status).toBe('succeeded');
        return body.id as string;
      }
      if (Date.now() > deadline) throw new Error(`scan ${queued.body.id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const ledgerKinds = async () =>
    ((await call('GET', '/api/ledger?limit=200')).body.items as Json[]).map((e) => e.kind);

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'scoring' });
    tenantId = admin.tenantId;
    tokens.admin = (await login(t.app, admin.email, admin.password)).access_token;
    for (const role of ['auditor', 'user'] as const) tokens[role] = await addMember(t, tenantId, role);
    const integration = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Sandbox',
      config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    expect(integration.status, JSON.stringify(integration.body)).toBe(201);
    integrationId = integration.body.id;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('reads the default policy, refuses bad ones naming the field, and only admins write', async () => {
    for (const role of ['admin', 'auditor', 'user']) {
      const read = await call('GET', '/api/settings/scoring', undefined, role);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ policy: {}, sha256: null, updated_at: null, updated_by: null });
    }
    const bad = await call('PUT', '/api/settings/scoring', {
      default: { requirements: { mode: 'threshold', pass_threshold: 1.5 }, evidence_freshness_days: 0 },
      frameworks: { nope: {}, soc2: { weights: { 'XX.9': 2 } } },
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_ERROR');
    expect((bad.body.error.details.problems as Json[]).map((p) => p.field).sort()).toEqual([
      'default.evidence_freshness_days',
      'default.requirements.pass_threshold',
      'extra',
    ]);
    // Once the shape is right, names are checked against the catalogs.
    const unknown = await call('PUT', '/api/settings/scoring', {
      frameworks: { nope: {}, soc2: { weights: { 'XX.9': 2 } } },
    });
    expect(unknown.status).toBe(400);
    expect((unknown.body.error.details.problems as Json[]).map((p) => p.field)).toEqual([
      'frameworks.nope',
      'frameworks.soc2.weights.XX.9',
    ]);
    const badMode = await call('PUT', '/api/settings/scoring', { controls: { mode: 'most' } });
    expect(badMode.body.error.details.problems).toEqual([
      { field: 'controls.mode', message: 'must be all_pass or threshold' },
    ]);
    expect((await call('PUT', '/api/settings/scoring', {}, 'user')).status).toBe(403);
    expect((await call('PUT', '/api/settings/scoring', {}, 'auditor')).status).toBe(403);
    expect((await call('GET', '/api/settings/scoring')).body.sha256).toBeNull();
  });

  it('applies the policy at the next scan, records it on the snapshot, and keeps a paginated history', async () => {
    const first = await scan();
    const before = (await call('GET', '/api/scores')).body.items as Json[];
    // Any passing finding passes its control, any passing control its requirement.
    const policy = {
      controls: { mode: 'threshold', pass_threshold: 0.01 },
      default: { requirements: { mode: 'threshold', pass_threshold: 0.01 } },
    };
    const put = await call('PUT', '/api/settings/scoring', policy);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await call('GET', '/api/settings/scoring', undefined, 'user')).body).toEqual(put.body);
    expect(await ledgerKinds()).toContain('scoring_policy.changed');
    // Applied at the next scan, not retroactively.
    expect((await call('GET', '/api/scores')).body.items).toEqual(before);

    const second = await scan();
    const after = (await call('GET', '/api/scores')).body.items as Json[];
    const gained = after.filter((s) => {
      const old = before.find(
        (b) => b.framework_id === s.framework_id && b.framework_version === s.framework_version,
      )!;
      return (s.score ?? 0) > (old.score ?? 0);
    });
    expect(gained.length, '1% thresholds pass what any passing finding touches').toBeGreaterThan(0);

    const history = await call('GET', `/api/scores/history?framework=${gained[0]!.framework_id}&limit=1`);
    expect(history.status, JSON.stringify(history.body)).toBe(200);
    const newest = history.body.items[0] as Json;
    expect(newest).toMatchObject({
      scan_id: second,
      policy,
      policy_sha256: put.body.sha256,
      score: gained[0]!.score,
    });
    expect(history.body.next_cursor).toBeTypeOf('string');
    const next = await call(
      'GET',
      `/api/scores/history?framework=${gained[0]!.framework_id}&limit=1&cursor=${history.body.next_cursor}`,
    );
    expect(next.body.items[0]).toMatchObject({ scan_id: first, policy: {}, policy_sha256: null });
    expect(next.body.items[0].score).not.toBe(newest.score);

    // An auditor recomputes the snapshot from the scan's control results and the recorded policy.
    const controls = (await call('GET', `/api/scans/${second}/controls`, undefined, 'auditor')).body
      .items as ControlResult[];
    const frameworks = await t.app.engine.frameworks();
    const recomputed = scoreFrameworks(controls, frameworks, {
      policy: newest.policy,
      now: new Date(newest.scored_at),
    }).find(
      (s) => s.framework_id === newest.framework_id && s.framework_version === newest.framework_version,
    )!;
    expect(recomputed.score).toBe(newest.score);

    const bad = await call('GET', '/api/scores/history?framework=soc2&cursor=bm9wZQ');
    expect(bad.status).toBe(400);
    expect((await call('GET', '/api/scores/history')).status).toBe(400);
  }, 120_000);

  it('counts manual evidence as passed until its freshness window ends, recomputed without a new scan', async () => {
    // Back to the default policy, with a 30-day freshness window for every framework.
    expect(
      (await call('PUT', '/api/settings/scoring', { default: { evidence_freshness_days: 30 } })).status,
    ).toBe(200);
    await scan();
    const frameworks = await loadFrameworks(undefined, {});
    const tested = testedControls(frameworks);
    const soc2 = frameworks.frameworks.find((f) => f.id === 'soc2')!;
    // A requirement only people assess: every control mapped to it lacks rules.
    const [requirementId, controls] = [...controlsByRequirement(frameworks, soc2.id, soc2.version)].find(
      ([, ids]) => ids.every((id) => !tested.has(id)),
    )!;
    const statusOf = async () => {
      const items = (await call('GET', '/api/scores')).body.items as Json[];
      const fw = items.find((s) => s.framework_id === 'soc2')!;
      return fw.requirements.find((r: Json) => r.requirement_id === requirementId).status as string;
    };
    expect(await statusOf()).toBe('not_applicable');
    const waiting = ((await call('GET', '/api/scores')).body.items as Json[]).find(
      (s) => s.framework_id === 'soc2',
    )!;
    expect(waiting.needs_evidence).toBeGreaterThan(0);
    expect(waiting.requirements.find((r: Json) => r.requirement_id === requirementId)).toMatchObject({
      needs_evidence: true,
      evidence_needed: controls,
    });

    // Refused: a control tested by rules, both file and note, a future date, an auditor.
    const testedControl = [...tested][0]!;
    const refusals: [Json, string, string?][] = [
      [{ control_id: testedControl, note: { a: 1 } }, 'control_id'],
      [{ control_id: 'UCF-XX-99', note: { a: 1 } }, 'control_id'],
      [{ framework_id: 'soc2', requirement_id: 'nope', note: { a: 1 } }, 'requirement_id'],
      [{ control_id: controls[0], note: { a: 1 }, file: { filename: 'a', content_base64: 'AA==' } }, 'file'],
      [
        { control_id: controls[0], file: { filename: 'a', content_base64: 'not base64!' } },
        'file.content_base64',
      ],
      [
        { control_id: controls[0], note: {}, collected_at: new Date(Date.now() + 2 * DAY).toISOString() },
        'collected_at',
      ],
    ];
    for (const [body, field] of refusals) {
      const refused = await call('POST', '/api/evidence/manual', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect((refused.body.error.details.problems as Json[]).map((p) => p.field)).toContain(field);
    }
    expect(
      (await call('POST', '/api/evidence/manual', { control_id: controls[0], note: {} }, 'auditor')).status,
    ).toBe(403);

    // Stale on arrival: collected 40 days ago, outside the 30-day window.
    const stale = await call('POST', '/api/evidence/manual', {
      framework_id: 'soc2',
      requirement_id: requirementId,
      note: { reviewed: 'access review Q1' },
      collected_at: new Date(Date.now() - 40 * DAY).toISOString(),
    });
    expect(stale.status, JSON.stringify(stale.body)).toBe(201);
    expect(await statusOf()).toBe('not_applicable');
    const conditional = (etag: string) =>
      t.app.inject({
        method: 'GET',
        url: '/api/scores',
        headers: { ...bearer(tokens.admin!), 'if-none-match': etag },
      });
    const before = await conditional('"none"');
    expect(before.statusCode).toBe(200);
    const etagBefore = before.headers.etag as string;
    expect((await conditional(etagBefore)).statusCode).toBe(304);

    // Fresh: a file attached by a user to the requirement; the latest scan's scores change at once.
    const collected = new Date(Date.now() - 10 * DAY);
    const file = Buffer.from('%PDF-1.7 access review signed by the CISO');
    const attached = await call(
      'POST',
      '/api/evidence/manual',
      {
        framework_id: 'soc2',
        requirement_id: requirementId,
        file: {
          filename: 'review.pdf',
          content_type: 'application/pdf',
          content_base64: file.toString('base64'),
        },
        description: 'Quarterly access review',
        collected_at: collected.toISOString(),
      },
      'user',
    );
    expect(attached.status, JSON.stringify(attached.body)).toBe(201);
    expect(attached.body.evidence).toMatchObject({
      framework_id: 'soc2',
      requirement_id: requirementId,
      verdict: 'pass',
      kind: 'file',
      filename: 'review.pdf',
    });
    expect(attached.body.rescored.scan_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(attached.body.rescored.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await statusOf()).toBe('pass');
    // The rescored answer is a new version: the dashboard's old ETag no longer matches.
    const after = await conditional(etagBefore);
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(etagBefore);
    const stored = await call('GET', `/api/evidence/${attached.body.evidence.sha256}`, undefined, 'auditor');
    expect(stored.body.content.file.content_base64).toBe(file.toString('base64'));
    expect(stored.body.content.attested_by).toBe(attached.body.evidence.attested_by);
    const listed = await call('GET', '/api/evidence/manual?framework_id=soc2', undefined, 'auditor');
    expect((listed.body.items as Json[]).map((e) => e.id)).toEqual([
      attached.body.evidence.id,
      stale.body.evidence.id,
    ]);
    expect(await ledgerKinds()).toEqual(expect.arrayContaining(['evidence.attached', 'scores.recomputed']));

    // The clock moves past the window: the same evidence goes stale and the requirement waits again.
    const base = await t.app.engine.frameworks();
    const later = new Date(collected.getTime() + 31 * DAY);
    await t.app.withTenant(tenantId, (trx) =>
      scorePosture(trx, tenantId, base, later, { reason: 'manual_evidence' }),
    );
    expect(await statusOf()).toBe('not_applicable');
    const history = await call('GET', '/api/scores/history?framework=soc2&limit=1');
    expect(history.body.items[0].scored_at).toBe(later.toISOString());
    const back = new Date(collected.getTime() + 29 * DAY);
    await t.app.withTenant(tenantId, (trx) =>
      scorePosture(trx, tenantId, base, back, { reason: 'manual_evidence' }),
    );
    expect(await statusOf()).toBe('pass');
    // The stale event's snapshot keeps the requirement waiting for evidence, although the posture passes now.
    const staleEvent = history.body.items[0].event_id as string;
    const past = await call('GET', `/api/scores/events/${staleEvent}?framework=soc2`, undefined, 'auditor');
    expect(past.status, JSON.stringify(past.body)).toBe(200);
    expect(past.body).toMatchObject({ event_id: staleEvent, reason: 'manual_evidence' });
    expect(past.body.scored_at).toBe(later.toISOString());
    expect((past.body.items as Json[]).map((s) => s.framework_id)).toEqual(
      (past.body.items as Json[]).map(() => 'soc2'),
    );
    const pastScore = (past.body.items as Json[])[0]!;
    expect(pastScore.requirements.find((r: Json) => r.requirement_id === requirementId).state).toBe(
      'needs_evidence',
    );
    expect(pastScore.passed).toBe(history.body.items[0].passed);
    expect(pastScore.status_counts).toEqual(history.body.items[0].status_counts);
    const everyFramework = await call('GET', `/api/scores/events/${staleEvent}`);
    expect((everyFramework.body.items as Json[]).length).toBeGreaterThan(past.body.items.length);
    expect((await call('GET', `/api/scores/events/${crypto.randomUUID()}`)).body.error.code).toBe(
      'SCORING_EVENT_NOT_FOUND',
    );
    expect((await call('GET', '/api/scores/events/not-an-id')).status).toBe(400);
    expect(
      (await call('GET', '/api/scores/history?framework=soc2&limit=1')).body.items[0].manual_evidence,
    ).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ evidence_id: attached.body.evidence.id, verdict: 'pass' }),
      ]),
    );
  }, 120_000);
  it('answers a snapshot stored before requirement states with each state derived from its status', async () => {
    // A per-scan snapshot as the posture migration copied it: requirements without `state`.
    const eventId = crypto.randomUUID();
    const finishedAt = new Date('2025-01-02T03:04:05.000Z');
    await t.app.withTenant(tenantId, async (trx) => {
      await trx('scoring_events').insert({
        tenant_id: tenantId,
        id: eventId,
        reason: 'migrated',
        integration_id: integrationId,
        scan_id: eventId,
        sources: JSON.stringify([
          { integration_id: integrationId, scan_id: eventId, finished_at: finishedAt },
        ]),
        scored_at: finishedAt,
      });
      await trx('posture_scores').insert({
        tenant_id: tenantId,
        event_id: eventId,
        framework_id: 'legacy',
        framework_version: '1',
        title: 'Legacy',
        score: 0.5,
        passed: 1,
        failed: 1,
        not_applicable: 2,
        requirements: JSON.stringify([
          { requirement_id: 'L1', title: 'One', status: 'pass', control_ids: ['UCF-A'] },
          { requirement_id: 'L2', title: 'Two', status: 'fail', control_ids: ['UCF-B'] },
          { requirement_id: 'L3', title: 'Three', status: 'not_applicable', control_ids: [] },
          {
            requirement_id: 'L4',
            title: 'Four',
            status: 'not_applicable',
            control_ids: ['UCF-C'],
            needs_evidence: true,
          },
        ]),
      });
    });
    const past = await call('GET', `/api/scores/events/${eventId}?framework=legacy@1`, undefined, 'user');
    expect(past.status, JSON.stringify(past.body)).toBe(200);
    expect(past.body.sources).toEqual([
      { integration_id: integrationId, scan_id: eventId, finished_at: finishedAt.toISOString() },
    ]);
    const [score] = past.body.items as Json[];
    expect((score!.requirements as Json[]).map((r) => r.state)).toEqual([
      'pass',
      'fail',
      'manual',
      'needs_evidence',
    ]);
    expect(score!.status_counts).toMatchObject({ pass: 1, fail: 1, manual: 1, needs_evidence: 1 });
    expect((await call('GET', `/api/scores/events/${eventId}?framework=legacy@2`)).body.items).toEqual([]);
  });
});
