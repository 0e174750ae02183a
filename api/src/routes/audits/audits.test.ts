/**
 * Audits on every backend, against a tenant that ran real scans of the S3 sandbox: opening and inviting,
 * reads limited to the period, the exceptions register, and the package, downloaded, unzipped and checked
 * with the real `complywise evidence verify` process (OK whole; one entry cut: the cut is named).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { main as cli } from '../../../../bin/complywise.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FixtureServer } from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, startTestApp, type TestApp } from '../../../test/helpers.ts';
import {
  addMember,
  scannedTenant,
  startMarkedSandbox,
  type ScannedTenant,
} from '../../../test/scanned-tenant.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe.each(databaseBackends())('audits on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenant: ScannedTenant;
  let auditorToken: string;
  let auditorEmail: string;
  let dir: string;
  /** Opened before the exception's scan and closing after it, covering now. */
  let auditId: string;
  let exceptionId: string;
  let expiringId: string;
  /** When the short exception expires (ms since the epoch). */
  let expiringAt: number;
  let rescanId: string;

  const get = (url: string, token = tenant.token) => t.app.inject({ url, headers: bearer(token) });
  const post = (url: string, payload: Json, token = tenant.token) =>
    t.app.inject({ method: 'POST', url, headers: bearer(token), payload });

  async function waitForScan(id: string): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const scan = (await get(`/api/scans/${id}`)).json() as Json;
      if (scan.status === 'succeeded') return;
      if (scan.status === 'failed' || Date.now() > deadline) throw new Error(JSON.stringify(scan));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audits-'));
    sandbox = await startMarkedSandbox('auditco');
    t = await startTestApp(backend);
    tenant = await scannedTenant(t, 'audits', sandbox.url);
    auditorToken = await addMember(t, tenant.tenantId, 'auditor');
    const members = (await get('/api/members')).json().items as Json[];
    auditorEmail = members.find((m) => m.role === 'auditor')!.email as string;

    const opened = await post('/api/audits', {
      name: 'SOC 2 type II, 2026',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: new Date(Date.now() - 3_600_000).toISOString(),
      period_end: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(opened.statusCode, opened.body).toBe(201);
    auditId = opened.json().id as string;

    // An exception over one failing finding of the first scan, one that expires within seconds, then a
    // rescan so the period holds findings the exception set aside.
    const failing = (
      (await get(`/api/scans/${tenant.scanId}/findings?status=fail&limit=1`)).json().items as Json[]
    )[0]!;
    const exception = await post('/api/overrides', {
      kind: 'exception',
      rule_id: failing.rule_id,
      selector: { resource_id: failing.resource_id },
      reason: 'compensating control: bucket behind a private endpoint',
      approver: 'ciso@audits.example',
      expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    expect(exception.statusCode, exception.body).toBe(201);
    exceptionId = exception.json().id as string;
    expiringAt = Date.now() + 1_500;
    const expiring = await post('/api/overrides', {
      kind: 'exception',
      rule_id: '*',
      selector: { resource_type: 'no.such.type' },
      reason: 'short waiver',
      approver: 'ciso@audits.example',
      expires_at: new Date(expiringAt).toISOString(),
    });
    expect(expiring.statusCode, expiring.body).toBe(201);
    expiringId = expiring.json().id as string;
    const integrationId = (await get(`/api/scans/${tenant.scanId}`)).json().integration_id as string;
    const rescan = await post('/api/scans', { integration_id: integrationId });
    expect(rescan.statusCode, rescan.body).toBe(202);
    rescanId = rescan.json().id as string;
    await waitForScan(rescanId);
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens an audit with the newest framework version, refuses bad periods and unknown frameworks', async () => {
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    expect(audit).toMatchObject({ name: 'SOC 2 type II, 2026', status: 'open', package_sha256: null });
    expect(audit.frameworks).toEqual([{ framework_id: 'soc2', framework_version: expect.any(String) }]);
    const backwards = await post('/api/audits', {
      name: 'backwards',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: '2026-02-01T00:00:00Z',
      period_end: '2026-01-01T00:00:00Z',
    });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.code).toBe('VALIDATION_ERROR');
    const unknown = await post('/api/audits', {
      name: 'unknown',
      frameworks: [{ framework_id: 'no-such-framework' }],
      period_start: '2026-01-01T00:00:00Z',
      period_end: '2026-02-01T00:00:00Z',
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('FRAMEWORK_NOT_FOUND');
    const list = (await get('/api/audits')).json().items as Json[];
    expect(list.map((a) => a.id)).toContain(auditId);
    // Not yet to the auditor: the audit does not list them.
    expect((await get('/api/audits', auditorToken)).json().items).toEqual([]);
    expect((await get(`/api/audits/${auditId}`, auditorToken)).statusCode).toBe(404);
    const ledger = (await get('/api/ledger?limit=500')).json().items as Json[];
    expect(ledger.find((e) => e.kind === 'audit.opened')?.payload).toMatchObject({ audit_id: auditId });
  });

  it('invites auditors: a member auditor is active at once, a new e-mail is invited, another role is refused', async () => {
    const member = await post(`/api/audits/${auditId}/auditors`, { email: auditorEmail.toUpperCase() });
    expect(member.statusCode, member.body).toBe(201);
    const listed = (await get('/api/audits', auditorToken)).json().items as Json[];
    expect(listed.map((a) => a.id)).toEqual([auditId]);
    expect(member.json()).toMatchObject({ email: auditorEmail, status: 'active', invitation_id: null });
    const outsider = await post(`/api/audits/${auditId}/auditors`, { email: 'external@cpa-firm.example' });
    expect(outsider.statusCode, outsider.body).toBe(201);
    expect(outsider.json()).toMatchObject({ status: 'invited', user_id: null });
    const invitations = (await get('/api/invitations')).json().items as Json[];
    expect(invitations.find((i) => i.id === outsider.json().invitation_id)).toMatchObject({
      email: 'external@cpa-firm.example',
      role: 'auditor',
    });
    const admins = (await get('/api/members')).json().items as Json[];
    const adminEmail = admins.find((m) => m.role === 'admin')!.email as string;
    const refused = await post(`/api/audits/${auditId}/auditors`, { email: adminEmail });
    expect(refused.statusCode).toBe(409);
    const audit = (await get(`/api/audits/${auditId}`, auditorToken)).json() as Json;
    expect((audit.auditors as Json[]).map((a) => [a.email, a.status])).toEqual(
      [
        [auditorEmail, 'active'],
        ['external@cpa-firm.example', 'invited'],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
  });

  it('reads only what falls in the period: results, evidence, ledger entries, rule versions', async () => {
    const results = (await get(`/api/audits/${auditId}/results`, auditorToken)).json().items as Json[];
    expect(results.map((s) => s.id).sort()).toEqual([tenant.scanId, rescanId].sort());
    const scores = (await get(`/api/scans/${rescanId}/scores`)).json().items as Json[];
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    const soc2 = scores.find(
      (s) => s.framework_id === 'soc2' && s.framework_version === audit.frameworks[0].framework_version,
    )!;
    expect(results.find((s) => s.id === rescanId)!.scores).toEqual([
      expect.objectContaining({ framework_id: 'soc2', score: soc2.score, failed: soc2.failed }),
    ]);
    const evidence = (await get(`/api/audits/${auditId}/evidence?limit=100`, auditorToken)).json();
    expect(evidence.items.length).toBeGreaterThan(0);
    expect((evidence.items as Json[]).every((e) => e.verified === true)).toBe(true);
    const ledger = (await get(`/api/audits/${auditId}/ledger?limit=500`, auditorToken)).json();
    expect((ledger.items as Json[]).map((e) => e.kind)).toEqual(
      expect.arrayContaining(['audit.opened', 'override.created', 'scan.completed']),
    );
    const versions = (await get(`/api/audits/${auditId}/rule-versions`, auditorToken)).json().items as Json[];
    expect(versions.map((v) => v.rule_id)).toContain('CW-AWS-S3-001');

    // An audit of a period long past sees none of it.
    const past = await post('/api/audits', {
      name: 'Past',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: '2001-01-01T00:00:00Z',
      period_end: '2001-12-31T00:00:00Z',
    });
    const pastId = past.json().id as string;
    expect((await get(`/api/audits/${pastId}/results`)).json().items).toEqual([]);
    expect((await get(`/api/audits/${pastId}/evidence`)).json().items).toEqual([]);
    expect((await get(`/api/audits/${pastId}/ledger`)).json().items).toEqual([]);
    expect((await get(`/api/audits/${pastId}/exceptions`)).json().items).toEqual([]);
    const version = versions.find((v) => v.rule_id === 'CW-AWS-S3-001')!;
    const pastFindings = await get(
      `/api/audits/${pastId}/rules/CW-AWS-S3-001/versions/${version.hash}/findings`,
    );
    expect(pastFindings.statusCode).toBe(200);
    expect(pastFindings.json().items).toEqual([]);
  });

  it("pages the period's ledger by kind and actor, with the period's counts", async () => {
    // Two entries of the system's own work (no actor), as a job records them.
    await t.app.ledger.record(tenant.tenantId, [{ kind: 'test.system_work' }, { kind: 'test.system_work' }]);
    const base = `/api/audits/${auditId}/ledger`;
    const all = (await get(`${base}?limit=500`, auditorToken)).json() as Json;
    const items = all.items as Json[];
    expect(all.next_before_seq).toBeNull();
    expect(all.total).toBe(items.length);
    const tally = (key: string) => {
      const counts = new Map<string, number>();
      // Entries with no actor are counted under the actor `system`.
      for (const e of items) {
        const value = (e[key] as string | null) ?? 'system';
        counts.set(value, (counts.get(value) ?? 0) + 1);
      }
      return counts;
    };
    expect(new Map((all.kinds as Json[]).map((k) => [k.kind, k.count]))).toEqual(tally('kind'));
    expect(new Map((all.actors as Json[]).map((a) => [a.actor, a.count]))).toEqual(tally('actor'));
    const unattributed = items.filter((e) => e.actor === null).map((e) => e.seq);
    expect(unattributed.length).toBeGreaterThanOrEqual(2);
    const system = (await get(`${base}?limit=500&actor=system`, auditorToken)).json() as Json;
    expect((system.items as Json[]).map((e) => e.seq)).toEqual(unattributed);
    expect(system.total).toBe(unattributed.length);
    expect((all.actors as Json[]).find((a) => a.actor === 'system')!.count).toBe(unattributed.length);
    // Each entry carries its place in the hash chain.
    expect(items[0]).toMatchObject({ entry_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    // One kind, walked two entries a page: the same entries as the full list, and the same total.
    const kind = 'scan.completed';
    const expected = items.filter((e) => e.kind === kind).map((e) => e.seq as number);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    const walked: number[] = [];
    let before: number | null = null;
    do {
      const url: string = `${base}?limit=1&kind=${kind}${before ? `&before_seq=${before}` : ''}`;
      const page = (await get(url, auditorToken)).json() as Json;
      expect(page.total).toBe(expected.length);
      walked.push(...(page.items as Json[]).map((e) => e.seq as number));
      before = page.next_before_seq as number | null;
    } while (before !== null);
    expect(walked).toEqual(expected);

    // One actor: the admin who opened the audit.
    const admin = items.find((e) => e.kind === 'audit.opened')!.actor as string;
    const mine = (await get(`${base}?limit=500&actor=${admin}`, auditorToken)).json() as Json;
    expect((mine.items as Json[]).map((e) => e.seq)).toEqual(
      items.filter((e) => e.actor === admin).map((e) => e.seq),
    );
    expect(mine.total).toBe((mine.items as Json[]).length);
    // Filters leave the period's counts as they are: the screen keeps every choice.
    expect(mine.kinds).toEqual(all.kinds);
    const none = (await get(`${base}?kind=no.such.kind`, auditorToken)).json() as Json;
    expect(none).toMatchObject({ items: [], total: 0, next_before_seq: null });
  });

  it("lists a requirement's evidence of the period: its scans' snapshots and manual evidence in force", async () => {
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    const ref = `soc2@${audit.frameworks[0].framework_version as string}`;
    // A requirement whose controls are tested by rules that cite snapshots and also assessed by people.
    const scores = (await get('/api/scores')).json().items as Json[];
    const soc2 = scores.find((s) => `${s.framework_id}@${s.framework_version}` === ref)!;
    let chosen: { id: string; ruleIds: string[] } | undefined;
    for (const r of soc2.requirements as Json[]) {
      const url = `/api/scores/frameworks/${encodeURIComponent(ref)}/requirements/${encodeURIComponent(r.requirement_id)}`;
      const detail = (await get(url)).json() as Json;
      const controls = (detail.controls ?? []) as Json[];
      if (detail.evidence?.automated.length > 0 && controls.some((c) => c.rule_ids.length === 0)) {
        chosen = { id: r.requirement_id as string, ruleIds: controls.flatMap((c) => c.rule_ids as string[]) };
        break;
      }
    }
    expect(chosen, 'a soc2 requirement tested by rules and assessed by people').toBeDefined();
    const { id: requirementId, ruleIds } = chosen!;
    const attach = (collectedAt: Date) =>
      post('/api/evidence/manual', {
        framework_id: 'soc2',
        framework_version: audit.frameworks[0].framework_version,
        requirement_id: requirementId,
        note: { reviewed: collectedAt.toISOString() },
        collected_at: collectedAt.toISOString(),
      });
    const fresh = await attach(new Date(Date.now() - 60_000));
    expect(fresh.statusCode, fresh.body).toBe(201);
    // Collected 400 days ago: stale (past the default 365 days) before the period began.
    const stale = await attach(new Date(Date.now() - 400 * 86_400_000));
    expect(stale.statusCode, stale.body).toBe(201);

    const url = (audit: string, framework = ref, requirement = requirementId) =>
      `/api/audits/${audit}/frameworks/${encodeURIComponent(framework)}/requirements/${encodeURIComponent(requirement)}/evidence`;
    const answer = await get(url(auditId), auditorToken);
    expect(answer.statusCode, answer.body).toBe(200);
    const body = answer.json() as Json;
    expect(body.requirement.requirement_id).toBe(requirementId);
    expect(body.freshness_days).toBe(365);

    // The snapshots: exactly those the findings of the requirement's rules cite in the period's two scans.
    const cited = new Map<string, Set<string>>();
    for (const scanId of [tenant.scanId, rescanId]) {
      const findings = (await get(`/api/scans/${scanId}/findings?limit=500`)).json().items as Json[];
      for (const f of findings)
        if (f.evidence_sha256 && ruleIds.includes(f.rule_id as string))
          cited.set(f.evidence_sha256 as string, (cited.get(f.evidence_sha256) ?? new Set()).add(scanId));
    }
    const automated = body.automated.items as Json[];
    expect(body.automated.total).toBe(cited.size);
    expect(body.automated.next_cursor).toBeNull();
    // Paged two at a time: every snapshot once, in the same order, each page with the same total.
    expect(cited.size).toBeGreaterThan(2);
    const paged: Json[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await get(`${url(auditId)}${query}`, auditorToken)).json() as Json;
      expect(page.automated.total).toBe(cited.size);
      expect((page.automated.items as Json[]).length).toBeLessThanOrEqual(2);
      paged.push(...(page.automated.items as Json[]));
      cursor = page.automated.next_cursor as string | null;
    } while (cursor);
    expect(paged.map((e) => e.sha256)).toEqual(automated.map((e) => e.sha256));
    const badCursor = await get(`${url(auditId)}?cursor=abc`, auditorToken);
    expect([badCursor.statusCode, badCursor.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect(automated.map((e) => e.sha256).sort()).toEqual([...cited.keys()].sort());
    for (const e of automated) {
      expect(e).toMatchObject({
        verified: true,
        content_type: 'application/json',
        scans: cited.get(e.sha256)!.size,
      });
      expect([tenant.scanId, rescanId]).toContain(e.last_scan_id);
    }
    // Failing snapshots come first.
    const failed = automated.map((e) => e.failed as boolean);
    expect(failed).toEqual([...failed].sort((a, b) => Number(b) - Number(a)));

    // Manual evidence: the fresh piece only, re-hashed, with who attached it and until when it counts.
    const manual = body.manual as Json[];
    expect(manual.map((m) => m.id)).toEqual([fresh.json().evidence.id]);
    expect(manual[0]).toMatchObject({
      verified: true,
      attested_by: tenant.userId,
      sha256: fresh.json().evidence.sha256,
    });
    expect(Date.parse(manual[0]!.valid_until) - Date.parse(manual[0]!.collected_at)).toBe(365 * 86_400_000);
    expect(manual[0]!.attached_after_period).toBe(false);

    // A period that ended a minute ago: the piece collected inside it still counts though it was attached
    // after its end, flagged with its attach date.
    const ended = await post('/api/audits', {
      name: 'Ended period',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: new Date(Date.now() - 86_400_000).toISOString(),
      period_end: new Date(Date.now() - 30_000).toISOString(),
    });
    expect(ended.statusCode, ended.body).toBe(201);
    const late = (await get(url(ended.json().id as string))).json() as Json;
    const lateManual = (late.manual as Json[]).find((m) => m.id === fresh.json().evidence.id)!;
    expect(lateManual).toMatchObject({
      attached_after_period: true,
      created_at: fresh.json().evidence.created_at,
    });
    expect(Date.parse(lateManual.created_at)).toBeGreaterThan(Date.parse(ended.json().period_end));

    // A period long past has none of it; a framework the audit does not cover, or no such requirement: 404.
    const past = await post('/api/audits', {
      name: 'Past requirement evidence',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: '2001-01-01T00:00:00Z',
      period_end: '2001-12-31T00:00:00Z',
    });
    const old = (await get(url(past.json().id as string))).json() as Json;
    expect(old.automated).toEqual({ total: 0, items: [], next_cursor: null });
    expect(old.manual).toEqual([]);
    const other = await get(url(auditId, 'iso27001'));
    expect([other.statusCode, other.json().error.code]).toEqual([404, 'FRAMEWORK_NOT_FOUND']);
    const missing = await get(url(auditId, ref, 'NO-SUCH-REQ'));
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'REQUIREMENT_NOT_FOUND']);
  });

  it('describes any artifact: a snapshot cited by scans, manual evidence; altered or missing bytes are said, never served', async () => {
    const findings = (await get(`/api/scans/${rescanId}/findings?limit=500`)).json().items as Json[];
    const snapshot = findings.find((f) => f.evidence_sha256)!;
    const read = await get(`/api/evidence/${snapshot.evidence_sha256}`, auditorToken);
    expect(read.statusCode, read.body).toBe(200);
    const body = read.json() as Json;
    expect(body).toMatchObject({ content_type: 'application/json', stored: 'verified', verified: true });
    expect(body.content.id).toBe(snapshot.resource_id);
    // Recorded by the first scan that cited it; both scans cite it when the bucket did not change between them.
    const citing = [tenant.scanId, rescanId];
    expect(body.recorded).toMatchObject({ by: 'scan', actor: 'worker', ledger_seq: expect.any(Number) });
    expect(citing).toContain(body.recorded.subject_id);
    const scans = (body.cited_by.items as Json[]).filter((c) => c.kind === 'scan');
    expect(body.cited_by.scans).toBe(scans.length);
    expect(scans.map((c) => c.id)).toContain(rescanId);
    expect(scans.every((c) => c.resource_id === snapshot.resource_id && citing.includes(c.id))).toBe(true);
    expect(body.recorded.subject_id).toBe(scans.at(-1)!.id);
    const json = await get(`/api/evidence/${snapshot.evidence_sha256}/download`, auditorToken);
    expect(json.headers['content-disposition']).toMatch(/\.json"$/);
    expect(sha256(json.rawPayload)).toBe(snapshot.evidence_sha256);

    const attached = await post('/api/evidence/manual', {
      control_id: 'UCF-GOV-01',
      note: { reviewed: 'describes any artifact' },
    });
    expect(attached.statusCode, attached.body).toBe(201);
    const manual = attached.json().evidence as Json;
    const described = (await get(`/api/evidence/${manual.sha256}`)).json() as Json;
    expect(described).toMatchObject({
      recorded: { by: 'manual', subject_id: manual.id, actor: tenant.userId },
      cited_by: {
        scans: 0,
        items: [
          {
            kind: 'manual',
            id: manual.id,
            label: 'note for UCF-GOV-01',
            control_id: 'UCF-GOV-01',
            requirement_id: null,
          },
        ],
      },
    });

    // Bytes changed in the store: described as altered, no content, no download; gone: missing. Put back
    // after, so the period's package still verifies.
    const file = join(t.dataDir, 'evidence', manual.sha256.slice(0, 2), manual.sha256);
    renameSync(file, `${file}.kept`);
    try {
      writeFileSync(file, '{"tampered":true}');
      const altered = (await get(`/api/evidence/${manual.sha256}`)).json() as Json;
      expect(altered).toMatchObject({ verified: false, stored: 'altered', content: null });
      const refused = await get(`/api/evidence/${manual.sha256}/download`);
      expect([refused.statusCode, refused.json().error.code]).toEqual([409, 'EVIDENCE_UNAVAILABLE']);
      rmSync(file);
      const missing = await get(`/api/evidence/${manual.sha256}`);
      expect(missing.statusCode).toBe(200);
      expect(missing.json()).toMatchObject({ verified: false, stored: 'missing', content: null });
      const gone = await get(`/api/evidence/${manual.sha256}/download`);
      expect(gone.json().error).toMatchObject({
        code: 'EVIDENCE_UNAVAILABLE',
        details: { stored: 'missing' },
      });
    } finally {
      rmSync(file, { force: true });
      renameSync(`${file}.kept`, file);
    }
    expect((await get(`/api/evidence/${manual.sha256}`)).json().stored).toBe('verified');
    const unknown = await get(`/api/evidence/${'0'.repeat(64)}/download`);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'EVIDENCE_NOT_FOUND']);
  });

  it('lists the findings each rule version produced in the period, page by page', async () => {
    // Every finding of both scans of the period, by rule version: what the route must answer, no more.
    const expected = new Map<string, Json[]>();
    for (const scanId of [tenant.scanId, rescanId]) {
      const items = (await get(`/api/scans/${scanId}/findings?limit=1000`)).json().items as Json[];
      for (const f of items) {
        const key = `${f.rule_id}/versions/${f.rule_hash}`;
        expected.set(key, [...(expected.get(key) ?? []), { ...f, scan_id: scanId }]);
      }
    }
    const [key, findings] = [...expected].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(findings.length).toBeGreaterThan(2);
    const listed: Json[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page = await get(`/api/audits/${auditId}/rules/${key}/findings?limit=2${query}`, auditorToken);
      expect(page.statusCode, page.body).toBe(200);
      listed.push(...(page.json().items as Json[]));
      cursor = page.json().next_cursor as string | null;
    } while (cursor);
    expect(listed.map((f) => f.finding_id).sort()).toEqual(findings.map((f) => f.id).sort());
    // Newest scan first, each row naming its scan and what the finding said.
    const finished = listed.map((f) => Date.parse(f.scan_finished_at as string));
    expect(finished).toEqual([...finished].sort((a, b) => b - a));
    const first = findings.find((f) => f.id === listed[0]!.finding_id)!;
    expect(listed[0]).toMatchObject({
      scan_id: first.scan_id,
      resource_id: first.resource_id,
      status: first.status,
      severity: first.severity,
    });
    const [ruleId] = key.split('/');
    const unknown = await get(`/api/audits/${auditId}/rules/${ruleId}/versions/${'0'.repeat(64)}/findings`);
    expect(unknown.json()).toEqual({ items: [], next_cursor: null });
    const badHash = await get(`/api/audits/${auditId}/rules/${ruleId}/versions/nothex/findings`);
    expect([badHash.statusCode, badHash.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);
    const badCursor = await get(`/api/audits/${auditId}/rules/${key}/findings?cursor=abc`);
    expect([badCursor.statusCode, badCursor.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);
    const noAudit = await get(`/api/audits/${randomUUID()}/rules/${key}/findings`);
    expect([noAudit.statusCode, noAudit.json().error.code]).toEqual([404, 'AUDIT_NOT_FOUND']);
  });

  it('lists the exceptions register: reason, approver, author, dates, set-aside findings, ledger; expired marked', async () => {
    // Only what is left of the short exception's life: the rescan and the tests before have usually used it up.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiringAt - Date.now() + 100)));
    const register = (await get(`/api/audits/${auditId}/exceptions`, auditorToken)).json() as Json;
    const items = register.items as Json[];
    const exception = items.find((i) => i.id === exceptionId)!;
    expect(exception).toMatchObject({
      kind: 'exception',
      reason: 'compensating control: bucket behind a private endpoint',
      approver: 'ciso@audits.example',
      created_by: tenant.userId,
      expired: false,
      retired: false,
    });
    const excepted = (await get(`/api/scans/${rescanId}/findings?excepted=true&limit=500`)).json()
      .items as Json[];
    expect(excepted.length).toBeGreaterThan(0);
    expect(exception.findings.count).toBe(excepted.length);
    expect((exception.findings.items as Json[]).map((f) => f.finding_id).sort()).toEqual(
      excepted.map((f) => f.id).sort(),
    );
    expect((exception.ledger as Json[]).map((e) => e.kind)).toEqual(['override.created']);
    const expiring = items.find((i) => i.id === expiringId)!;
    expect(expiring).toMatchObject({ expired: true, findings: { count: 0, items: [] } });
    // Exceptions come first; a retired override stays listed, marked, with both its entries.
    await t.app.inject({
      method: 'DELETE',
      url: `/api/overrides/${expiringId}`,
      headers: bearer(tenant.token),
    });
    const after = (await get(`/api/audits/${auditId}/exceptions?kind=exception`)).json().items as Json[];
    const retired = after.find((i) => i.id === expiringId)!;
    expect(retired.retired).toBe(true);
    expect((retired.ledger as Json[]).map((e) => e.kind)).toEqual(['override.created', 'override.retired']);
    expect(after.every((i) => i.kind === 'exception')).toBe(true);
  });

  it('auditor feedback: the audit auditors mark requirements, each mark a ledger entry; admins list the flags', async () => {
    const mark = (payload: Json, token = auditorToken) =>
      post(`/api/audits/${auditId}/marks`, payload, token);
    const flagged = await mark({
      framework_id: 'soc2',
      requirement_id: 'CC6.1',
      mark: 'flagged',
      comment: 'the access review export is from last year',
    });
    expect(flagged.statusCode, flagged.body).toBe(201);
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    expect(flagged.json()).toMatchObject({
      audit_id: auditId,
      framework_version: audit.frameworks[0].framework_version,
      mark: 'flagged',
    });
    expect((await mark({ framework_id: 'soc2', requirement_id: 'CC6.2', mark: 'accepted' })).statusCode).toBe(
      201,
    );
    expect((await mark({ framework_id: 'soc2', requirement_id: 'CC6.3', mark: 'flagged' })).statusCode).toBe(
      400,
    );
    const unknown = await mark({ framework_id: 'soc2', requirement_id: 'ZZ9.9', mark: 'accepted' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.details.problems).toEqual([
      { field: 'requirement_id', message: expect.any(String) },
    ]);
    const otherFramework = await mark({
      framework_id: 'iso27001',
      requirement_id: 'A.5.1',
      mark: 'accepted',
    });
    expect(otherFramework.json().error.details.problems[0].field).toBe('framework_id');
    // Admins and users cannot mark; an auditor the audit does not list cannot either.
    expect(
      (await mark({ framework_id: 'soc2', requirement_id: 'CC6.1', mark: 'accepted' }, tenant.token))
        .statusCode,
    ).toBe(403);
    // To an auditor the audit does not list, it does not exist: not listed, every route of it a 404.
    const stranger = await addMember(t, tenant.tenantId, 'auditor');
    const refused = await mark({ framework_id: 'soc2', requirement_id: 'CC6.1', mark: 'accepted' }, stranger);
    expect([refused.statusCode, refused.json().error.code]).toEqual([404, 'AUDIT_NOT_FOUND']);
    expect((await get(`/api/audits/${auditId}`, stranger)).statusCode).toBe(404);
    expect((await get('/api/audits', stranger)).json().items).toEqual([]);

    let flags = (await get(`/api/audits/${auditId}/marks?mark=flagged`)).json().items as Json[];
    expect(flags.map((f) => [f.requirement_id, f.comment])).toEqual([
      ['CC6.1', 'the access review export is from last year'],
    ]);
    // A newer mark replaces the flag as the current one; the history keeps both.
    expect((await mark({ framework_id: 'soc2', requirement_id: 'CC6.1', mark: 'accepted' })).statusCode).toBe(
      201,
    );
    flags = (await get(`/api/audits/${auditId}/marks?mark=flagged`)).json().items as Json[];
    expect(flags).toEqual([]);
    const current = (await get(`/api/audits/${auditId}/marks`)).json().items as Json[];
    expect(current.map((m) => [m.requirement_id, m.mark])).toEqual([
      ['CC6.2', 'accepted'],
      ['CC6.1', 'accepted'],
    ]);
    const history = (await get(`/api/audits/${auditId}/marks?history=true`, auditorToken)).json()
      .items as Json[];
    expect(history.map((m) => m.mark)).toEqual(['flagged', 'accepted', 'accepted']);
    const ledger = (await get('/api/ledger?limit=100')).json().items as Json[];
    const marked = ledger.filter((e) => e.kind === 'audit.marked');
    expect(marked.map((e) => e.payload.mark_id).sort()).toEqual(history.map((m) => m.id).sort());
  });

  /** Writes `bundle` to a file and runs the real CLI on it. */
  function verify(bundle: unknown): { status: number | null; stdout: string; stderr: string } {
    const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(bundle));
    const child = spawnSync(process.execPath, ['bin/complywise.ts', 'evidence', 'verify', file], {
      encoding: 'utf8',
    });
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
  }

  it('streams the package; its sha256 is in the ledger, its bundle verifies, and a cut entry is named', async () => {
    const answer = await get(`/api/audits/${auditId}/package`, auditorToken);
    expect(answer.statusCode, answer.body.slice(0, 300)).toBe(200);
    expect(answer.headers['content-type']).toBe('application/zip');
    const zip = answer.rawPayload;
    const files = unzipSync(new Uint8Array(zip));
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    const tag = `soc2-${audit.frameworks[0].framework_version}`;
    expect(Object.keys(files).sort()).toEqual(
      [
        'README.txt',
        'SHA256SUMS',
        'audit.json',
        'evidence-bundle.json',
        'oscal/assessment-results.json',
        `reports/control-matrix-${tag}.csv`,
        'reports/findings.csv',
        `reports/readiness-${tag}.pdf`,
      ].sort(),
    );
    // SHA256SUMS names every other file by its hash.
    const sums = text(files.SHA256SUMS)
      .trim()
      .split('\n')
      .map((line) => line.split('  '));
    expect(sums).toHaveLength(Object.keys(files).length - 1);
    for (const [hash, name] of sums) expect(sha256(files[name!]!), name).toBe(hash);
    // The package's sha256 is the one the ledger recorded for this download.
    const ledger = (await get('/api/ledger?limit=20')).json().items as Json[];
    const recorded = ledger.find((e) => e.kind === 'audit.package.generated')!;
    expect(recorded.payload).toMatchObject({ audit_id: auditId, package_sha256: sha256(zip) });
    // The reports are those of the newest scan of the period, as the reports routes answer them.
    const matrix = await get(
      `/api/reports/frameworks/soc2/control-matrix.csv?scan_id=${rescanId}&version=${audit.frameworks[0].framework_version}`,
    );
    expect(text(files[`reports/control-matrix-${tag}.csv`])).toBe(matrix.body);
    expect(text(files['reports/findings.csv'])).toBe(
      (await get(`/api/reports/findings.csv?scan_id=${rescanId}`)).body,
    );
    expect(text(files[`reports/readiness-${tag}.pdf`]).slice(0, 5)).toBe('%PDF-');
    const oscal = JSON.parse(text(files['oscal/assessment-results.json'])) as Json;
    expect(JSON.stringify(oscal)).toContain(rescanId);
    expect(text(files['README.txt'])).toContain('complywise evidence verify evidence-bundle.json');

    const bundle = JSON.parse(text(files['evidence-bundle.json'])) as Json;
    expect(bundle.entries.length).toBeGreaterThan(3);
    const whole = verify(bundle);
    expect(whole.stdout, whole.stderr).toMatch(/: OK \(/);
    expect(whole.status).toBe(0);
    const cutSeq = bundle.entries[2].seq as number;
    const cut = verify({ ...bundle, entries: bundle.entries.filter((e: Json) => e.seq !== cutSeq) });
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(/FAILED/);
    expect(cut.stderr).toMatch(new RegExp(`deleted_entry: .*\\b${cutSeq}\\b`));
  });

  it('draws a seeded sample of a population, records it, and the same seed draws it again', async () => {
    // The population as documented: the bucket resources the newest scan of the period saw.
    const findings = (
      await get(`/api/scans/${rescanId}/findings?limit=1000&resource_type=aws.s3.bucket`)
    ).json().items as Json[];
    const population = [...new Set(findings.map((f) => f.resource_id as string))].sort();
    expect(population.length).toBeGreaterThan(2);
    const ranked = (seed: string) =>
      [...population].sort((a, b) => {
        const [x, y] = [sha256(Buffer.from(`${seed}\n${a}`)), sha256(Buffer.from(`${seed}\n${b}`))];
        return x < y ? -1 : 1;
      });
    const draw = (payload: Json, token = auditorToken) =>
      post(`/api/audits/${auditId}/samples`, payload, token);

    const drawn = await draw({ resource_type: 'aws.s3.bucket', size: 2, seed: 'fy2026-q1' });
    expect(drawn.statusCode, drawn.body).toBe(201);
    const sample = drawn.json() as Json;
    expect(sample).toMatchObject({
      audit_id: auditId,
      resource_type: 'aws.s3.bucket',
      size: 2,
      seed: 'fy2026-q1',
      population_size: population.length,
      population_sha256: sha256(Buffer.from(population.map((id) => `${id}\n`).join(''))),
      scan_ids: [rescanId],
      items: ranked('fy2026-q1').slice(0, 2),
    });
    // The same request with the same seed draws the same sample; a sample larger than the population is all of it.
    const again = (
      await draw({ resource_type: 'aws.s3.bucket', size: 2, seed: 'fy2026-q1' }, tenant.token)
    ).json();
    expect(again.items).toEqual(sample.items);
    expect(again.id).not.toBe(sample.id);
    const all = (await draw({ resource_type: 'aws.s3.bucket', size: 500, seed: 'x' })).json();
    expect(all.items).toEqual(ranked('x'));
    // No seed given: the server picks one and records it, and that seed reproduces the sample.
    const unseeded = (await draw({ resource_type: 'aws.s3.bucket', size: 2 })).json();
    expect(unseeded.seed).toMatch(/^[0-9a-f]{16}$/);
    expect(unseeded.items).toEqual(ranked(unseeded.seed as string).slice(0, 2));
    // As of the moment before the period's scans: an empty population, still recorded.
    const audit = (await get(`/api/audits/${auditId}`)).json() as Json;
    const early = (await draw({ resource_type: 'aws.s3.bucket', size: 2, as_of: audit.period_start })).json();
    expect([early.population_size, early.items, early.scan_ids]).toEqual([0, [], []]);

    // Readable later, by id and in the list (newest first); every draw is a ledger entry.
    expect((await get(`/api/audits/${auditId}/samples/${sample.id}`, auditorToken)).json()).toEqual(sample);
    const listed = (await get(`/api/audits/${auditId}/samples`)).json().items as Json[];
    expect(listed.map((s) => s.id)).toEqual([early.id, unseeded.id, all.id, again.id, sample.id]);
    const ledger = (await get('/api/ledger?limit=50')).json().items as Json[];
    const entry = ledger.find((e) => e.kind === 'audit.sample.drawn' && e.payload.sample_id === sample.id)!;
    expect(entry.payload).toMatchObject({ seed: 'fy2026-q1', population_size: population.length, size: 2 });

    // Refusals: a moment outside the period, a bad seed or size, an unknown sample.
    const outside = await draw({ resource_type: 'aws.s3.bucket', size: 2, as_of: '2001-01-01T00:00:00Z' });
    expect([outside.statusCode, outside.json().error.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect((await draw({ resource_type: 'aws.s3.bucket', size: 0 })).statusCode).toBe(400);
    expect((await draw({ resource_type: 'aws.s3.bucket', size: 2, seed: 'no spaces' })).statusCode).toBe(400);
    const unknown = await get(`/api/audits/${auditId}/samples/${randomUUID()}`);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'AUDIT_SAMPLE_NOT_FOUND']);
  });

  it('closing keeps the package; a closed audit is read-only and answers the kept package', async () => {
    const spare = await post('/api/audits', {
      name: 'To close',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: new Date(Date.now() - 3_600_000).toISOString(),
      period_end: new Date(Date.now() + 60_000).toISOString(),
    });
    const id = spare.json().id as string;
    expect((await post(`/api/audits/${id}/auditors`, { email: auditorEmail })).statusCode).toBe(201);
    expect((await post(`/api/audits/${id}/close`, {}, auditorToken)).statusCode).toBe(403);
    const closed = await post(`/api/audits/${id}/close`, {});
    const sampleAfter = await post(`/api/audits/${id}/samples`, { resource_type: 'aws.s3.bucket', size: 1 });
    expect([sampleAfter.statusCode, sampleAfter.json().error.code]).toEqual([409, 'AUDIT_CLOSED']);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', closed_by: tenant.userId });
    const kept = closed.json().package_sha256 as string;
    expect(kept).toMatch(/^[0-9a-f]{64}$/);
    const first = await get(`/api/audits/${id}/package`, auditorToken);
    const second = await get(`/api/audits/${id}/package`);
    expect(first.headers['x-content-sha256']).toBe(kept);
    expect(sha256(first.rawPayload)).toBe(kept);
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    // The kept bundle verifies too (in process this time: the child process is proven above).
    const files = unzipSync(new Uint8Array(first.rawPayload));
    const file = join(dir, 'kept.json');
    writeFileSync(file, text(files['evidence-bundle.json']));
    const quiet = { stdout: () => {}, stderr: () => {} };
    expect(await cli(['evidence', 'verify', file], quiet)).toBe(0);
    const ledger = (await get('/api/ledger?limit=20')).json().items as Json[];
    expect(ledger.find((e) => e.kind === 'audit.closed')!.payload).toMatchObject({
      audit_id: id,
      package_sha256: kept,
    });
    // The package is recorded evidence: the evidence route describes the zip without reading it as JSON,
    // names the audit that recorded it and who closed it, and its download is the same bytes.
    const described = await get(`/api/evidence/${kept}`, auditorToken);
    expect(described.statusCode, described.body).toBe(200);
    const recordedEntry = ledger.find((e) => e.kind === 'evidence.recorded' && e.artifact_sha256 === kept)!;
    expect(described.json()).toMatchObject({
      sha256: kept,
      content_type: 'application/zip',
      size: first.rawPayload.length,
      verified: true,
      stored: 'verified',
      content: null,
      recorded: { by: 'audit_package', subject_id: id, actor: tenant.userId, ledger_seq: recordedEntry.seq },
      cited_by: { scans: 0, items: [{ kind: 'audit_package', id, label: 'To close' }] },
    });
    const download = await get(`/api/evidence/${kept}/download`, auditorToken);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/octet-stream');
    expect(download.headers['content-disposition']).toBe(`attachment; filename="evidence-${kept}.zip"`);
    expect(download.headers['x-content-sha256']).toBe(kept);
    expect(download.rawPayload.equals(first.rawPayload)).toBe(true);

    const again = await post(`/api/audits/${id}/close`, {});
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('AUDIT_CLOSED');
    const invite = await post(`/api/audits/${id}/auditors`, { email: 'late@cpa-firm.example' });
    expect(invite.json().error.code).toBe('AUDIT_CLOSED');
    const late = await post(
      `/api/audits/${id}/marks`,
      { framework_id: 'soc2', requirement_id: 'CC6.1', mark: 'accepted' },
      auditorToken,
    );
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('AUDIT_CLOSED');
  });

  it('answers 404 for an audit of no or another tenant', async () => {
    const missing = await get('/api/audits/00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('AUDIT_NOT_FOUND');
    expect((await get('/api/audits/00000000-0000-4000-8000-000000000000/package')).statusCode).toBe(404);
  });
});
