/**
 * Retention on both backends, over tenants that each ran a real scan: the settings routes (who may read and
 * change them, validation, ledger entries), then one retention run "400 days later" (the run takes its
 * clock as an argument). A held tenant loses nothing; evidence inside its window stays; data a ledger entry
 * inside the audit window names stays; expired unreferenced data goes (rows, and bytes no tenant records);
 * a tenant without settings is untouched; `complywise evidence verify` passes on an export after pruning.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FixtureServer } from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { main as cli } from '../../../bin/complywise.ts';
import { repositoryRoot } from '../config.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { scannedTenant, startMarkedSandbox, type ScannedTenant } from '../../test/scanned-tenant.ts';
import { APP_ROLE } from '../../migrations/0001_initial.ts';
import { RETENTION_ROLE } from '../../migrations/0008_retention.ts';
import { loadFrameworks } from '../../../engine/frameworks.ts';
import { testedControls } from '../../../engine/score.ts';
import type { EvidenceBundle } from '../ledger/ledger.ts';
import type { VerifyResult } from '../ledger/verify.ts';
import { lockEvidence } from '../evidence/store.ts';
import { runAsApp, runAsOwner } from '../plugins/app/tenancy.ts';
import { RETENTION_CRON, RETENTION_QUEUE } from './job.ts';
import { ledgerHooks, runRetention, type RetentionReport } from './run.ts';

const DAY = 24 * 60 * 60 * 1000;

interface Snapshot {
  findings: number;
  scores: number;
  evidence: string[];
  progress: unknown;
  /** The finding counts the scan recorded when it succeeded (null: counted from its findings). */
  findingCounts: Record<string, number> | null;
  ledger: { kind: string; payload: Record<string, unknown> }[];
}

describe.each(databaseBackends())('retention on $name', (backend) => {
  let t: TestApp;
  const sandboxes: S3FixtureServer[] = [];
  const tenants = {} as Record<'held' | 'inWindow' | 'ledgerKept' | 'pruned' | 'other', ScannedTenant>;
  const before = {} as Record<keyof typeof tenants, Snapshot>;
  let auditorToken: string;
  let report: RetentionReport;
  /** The pruned tenant's artifacts no other tenant records (their bytes go with the rows). */
  let own: string[] = [];
  /** The pruned tenant's manual evidence artifact. */
  let manualSha = '';

  async function snapshot(tenantId: string): Promise<Snapshot> {
    return runAsOwner(t.database.knex, { tenantId }, async (trx) => {
      const count = async (table: string) =>
        Number(
          ((await trx(table).where({ tenant_id: tenantId }).count({ n: '*' })) as { n: string }[])[0]!.n,
        );
      const evidence = (await trx('evidence').where({ tenant_id: tenantId }).orderBy('sha256')).map(
        (r: { sha256: string }) => r.sha256,
      );
      const scan = await trx('scans').where({ tenant_id: tenantId }).first();
      const ledger = await trx('ledger_entries').where({ tenant_id: tenantId }).orderBy('seq');
      return {
        findings: await count('findings'),
        scores: await count('framework_scores'),
        evidence,
        progress: scan.progress,
        findingCounts: scan.finding_counts,
        ledger: ledger.map((e: { kind: string; payload: Record<string, unknown> }) => ({
          kind: e.kind,
          payload: e.payload,
        })),
      };
    });
  }
  const deps = () => ({
    knex: t.database.knex,
    store: t.app.evidenceStore,
    ...ledgerHooks(t.app.ledger, t.app.withTenant),
  });
  const present = async (shas: string[]) =>
    (await Promise.all(shas.map((sha) => t.app.evidenceStore.get(sha)))).map((b) => b !== null);
  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
  const put = async (token: string, url: string, payload: object) => {
    const response = await api('PUT', url, token, payload);
    expect(response.statusCode, response.body).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    for (const name of ['held', 'inWindow', 'ledgerKept', 'pruned', 'other'] as const) {
      const sandbox = await startMarkedSandbox(`${name.toLowerCase()}co`);
      sandboxes.push(sandbox);
      tenants[name] = await scannedTenant(t, `ret-${name.toLowerCase()}`, sandbox.url);
    }
    const auditor = await seedTenant(t.database.knex, { slug: 'ret-auditor', role: 'auditor' });
    auditorToken = (await login(t.app, auditor.email, auditor.password)).access_token;
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    for (const sandbox of sandboxes) await sandbox.close();
  });

  it('reads defaults (keep everything, no hold) and refuses bad windows with 400 naming the field', async () => {
    const { token } = tenants.held;
    const defaults = await api('GET', '/api/settings/retention', token);
    expect(defaults.statusCode).toBe(200);
    expect(defaults.json()).toMatchObject({
      raw_scan_data_days: null,
      findings_days: null,
      evidence_days: null,
      audit_log_days: null,
      legal_hold: { active: false, reason: null, set_by: null, set_at: null },
    });
    for (const body of [
      {},
      { evidence_days: 0 },
      { evidence_days: 36501 },
      { evidence_days: 1.5 },
      { evidence_days: [30] },
      { retention_days: 30 },
    ]) {
      const response = await api('PUT', '/api/settings/retention', token, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.code).toBe('VALIDATION_ERROR');
    }
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 'x'.repeat(1001) }]) {
      const response = await api('PUT', '/api/settings/legal-hold', token, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it('lets admins change windows and the hold, auditors only read, and records each change in the ledger', async () => {
    const { token, tenantId, userId } = tenants.held;
    const windows = { raw_scan_data_days: 1, findings_days: 1, evidence_days: 1, audit_log_days: 1 };
    expect(await put(token, '/api/settings/retention', windows)).toMatchObject({
      ...windows,
      updated_by: userId,
    });
    const held = await put(token, '/api/settings/legal-hold', { reason: 'litigation: case 2026-17' });
    expect(held.legal_hold).toMatchObject({
      active: true,
      reason: 'litigation: case 2026-17',
      set_by: userId,
    });
    // A partial change keeps the other windows.
    expect(await put(token, '/api/settings/retention', { findings_days: 2 })).toMatchObject({
      ...windows,
      findings_days: 2,
    });
    expect(await put(token, '/api/settings/retention', { findings_days: 1 })).toMatchObject(windows);

    // The auditor of another tenant reads its own (default) settings and may change nothing.
    const auditorRead = await api('GET', '/api/settings/retention', auditorToken);
    expect(auditorRead.statusCode).toBe(200);
    expect(auditorRead.json().legal_hold.active).toBe(false);
    expect((await api('PUT', '/api/settings/retention', auditorToken, { evidence_days: 5 })).statusCode).toBe(
      403,
    );
    expect((await api('DELETE', '/api/settings/legal-hold', auditorToken)).statusCode).toBe(403);

    const kinds = (await snapshot(tenantId)).ledger.map((e) => e.kind);
    expect(kinds.filter((k) => k.startsWith('retention.') || k.startsWith('legal_hold.'))).toEqual([
      'retention.settings.changed',
      'legal_hold.set',
      'retention.settings.changed',
      'retention.settings.changed',
    ]);
    const entries = (await snapshot(tenantId)).ledger;
    expect(entries.find((e) => e.kind === 'legal_hold.set')?.payload).toEqual({
      reason: 'litigation: case 2026-17',
      was_active: false,
    });
    expect(entries.filter((e) => e.kind === 'retention.settings.changed')[1]?.payload).toEqual({
      before: windows,
      after: { ...windows, findings_days: 2 },
    });
  });

  it('prunes as of 400 days later: held, in-window, ledger-referenced and foreign data stay, the rest goes', async () => {
    await put(tenants.inWindow.token, '/api/settings/retention', {
      raw_scan_data_days: 1,
      findings_days: 1,
      evidence_days: 1000,
      audit_log_days: 1,
    });
    await put(tenants.ledgerKept.token, '/api/settings/retention', {
      raw_scan_data_days: 1,
      findings_days: 1,
      evidence_days: 1,
      audit_log_days: 1000,
    });
    await put(tenants.pruned.token, '/api/settings/retention', {
      raw_scan_data_days: 1,
      findings_days: 1,
      evidence_days: 1,
      audit_log_days: 1,
    });
    // Evidence is content-addressed across tenants: the tenant without settings records the same bytes as
    // one of the pruned tenant's artifacts (as two scans of one resource at the same instant would).
    const sharedSha = (await snapshot(tenants.pruned.tenantId)).evidence[0]!;
    // Manual evidence (a row this role cannot read) still points at its evidence row: that row must stay.
    const frameworks = await loadFrameworks(undefined, {});
    const tested = testedControls(frameworks);
    const manual = await api('POST', '/api/evidence/manual', tenants.pruned.token, {
      control_id: frameworks.controls.find((c) => !tested.has(c.id))!.id,
      verdict: 'pass',
      note: { text: 'quarterly access review done' },
    });
    expect(manual.statusCode, manual.body).toBe(201);
    manualSha = manual.json().evidence.sha256;
    await runAsOwner(t.database.knex, { tenantId: tenants.other.tenantId }, (trx) =>
      trx('evidence').insert({
        tenant_id: tenants.other.tenantId,
        sha256: sharedSha,
        size: 1,
        content_type: 'application/json',
      }),
    );
    for (const name of Object.keys(tenants) as (keyof typeof tenants)[]) {
      before[name] = await snapshot(tenants[name].tenantId);
      expect(before[name].findings, name).toBeGreaterThan(0);
      expect(before[name].evidence.length, name).toBeGreaterThan(0);
      expect(await present(before[name].evidence), name).not.toContain(false);
    }
    const shared = before.pruned.evidence.filter((sha) => before.other.evidence.includes(sha));
    own = before.pruned.evidence.filter((sha) => !shared.includes(sha) && sha !== manualSha);
    expect(shared).toEqual([sharedSha]);
    expect(own.length).toBeGreaterThan(0);

    const later = new Date(Date.now() + 400 * DAY);
    if (backend.name === 'postgres') {
      // The CLI, as an operator runs it, against the same database and evidence folder.
      const run = spawnSync(
        process.execPath,
        ['bin/complywise.ts', 'retention', 'run', '--now', later.toISOString(), '--format', 'json'],
        {
          cwd: repositoryRoot,
          encoding: 'utf8',
          env: { ...process.env, DATABASE_URL: t.config.databaseUrl, COMPLYWISE_DATA_DIR: t.dataDir },
        },
      );
      expect(run.status, run.stderr).toBe(0);
      report = JSON.parse(run.stdout) as RetentionReport;
    } else {
      report = await runRetention(deps(), later);
    }
    const result = (name: keyof typeof tenants) =>
      report.tenants.find((r) => r.tenant_id === tenants[name].tenantId);
    expect(report.tenants).toHaveLength(4); // "other" has no settings
    expect(result('other')).toBeUndefined();
    expect(report.tenants.filter((r) => r.error)).toEqual([]);

    // Held: nothing, not even the ledger grows.
    expect(result('held')).toMatchObject({
      held: true,
      findings_deleted: 0,
      evidence_deleted: 0,
      scans_cleared: 0,
    });
    expect(await snapshot(tenants.held.tenantId)).toEqual(before.held);
    expect(await present(before.held.evidence)).not.toContain(false);

    // Evidence inside its own window stays (rows and bytes) though its findings and raw data expired.
    const inWindow = await snapshot(tenants.inWindow.tenantId);
    expect(inWindow.findings).toBe(0);
    expect(inWindow.progress).toEqual({});
    expect(inWindow.evidence).toEqual(before.inWindow.evidence);
    expect(await present(inWindow.evidence)).not.toContain(false);

    // Everything a ledger entry inside the 1000-day audit window names stays.
    expect(result('ledgerKept')).toMatchObject({
      findings_deleted: 0,
      evidence_deleted: 0,
      scans_cleared: 0,
    });
    expect(await snapshot(tenants.ledgerKept.tenantId)).toEqual(before.ledgerKept);

    // Expired and unreferenced: raw data, findings and evidence rows go; scores and the scan row stay; bytes
    // go only where no other tenant records them.
    const pruned = await snapshot(tenants.pruned.tenantId);
    const prunedShas = before.pruned.evidence.filter((sha) => sha !== manualSha);
    expect(result('pruned')).toMatchObject({
      scans_cleared: 1,
      findings_deleted: before.pruned.findings,
      evidence_deleted: prunedShas.length,
    });
    expect(pruned).toMatchObject({
      findings: 0,
      evidence: [manualSha],
      progress: {},
      scores: before.pruned.scores,
    });
    // The counts its scan recorded (all of its findings) are forgotten with the findings, so the scan's
    // counts are read from what is left: none, as its findings list shows.
    const recorded = Object.values(before.pruned.findingCounts ?? {}).reduce((sum, n) => sum + n, 0);
    expect(recorded).toBe(before.pruned.findings);
    expect(pruned.findingCounts).toBeNull();
    expect(await present([manualSha])).toEqual([true]);
    expect(await present(own)).toEqual(own.map(() => false));
    expect(await present(shared)).toEqual(shared.map(() => true));
    expect(report.objects_deleted).toBe(own.length);
    const applied = pruned.ledger.at(-1)!;
    expect(applied.kind).toBe('retention.applied');
    expect(applied.payload).toMatchObject({
      findings_deleted: before.pruned.findings,
      pruned_evidence: prunedShas,
    });
    // The ledger is only appended to.
    expect(pruned.ledger.slice(0, -1)).toEqual(before.pruned.ledger);

    // The tenant without settings is untouched, its evidence readable through the API.
    expect(await snapshot(tenants.other.tenantId)).toEqual(before.other);
    const read = await api('GET', `/api/evidence/${shared[0]}`, tenants.other.token);
    expect(read.statusCode, read.body).toBe(200);

    // A second run finds nothing more to do.
    const again = await runRetention(deps(), later);
    expect(again.objects_deleted).toBe(0);
    expect(again.tenants.every((r) => r.findings_deleted + r.evidence_deleted + r.scans_cleared === 0)).toBe(
      true,
    );
  });

  it('an exported bundle still verifies after pruning (complywise evidence verify)', async () => {
    const exportOf = async (token: string) => {
      const exported = await api(
        'GET',
        '/api/ledger/export?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z',
        token,
      );
      expect(exported.statusCode).toBe(200);
      return exported.json() as EvidenceBundle;
    };
    const verify = async (bundle: EvidenceBundle) => {
      const file = join(t.dataDir, `bundle-${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(file, JSON.stringify(bundle));
      const out: string[] = [];
      const code = await cli(['evidence', 'verify', file, '--format', 'json'], {
        stdout: (s) => out.push(s),
        stderr: (s) => out.push(s),
      });
      return { code, result: JSON.parse(out.join('')) as VerifyResult };
    };
    // Findings and raw data were pruned and a retention entry appended: the whole chain still verifies.
    const kept = await verify(await exportOf(tenants.inWindow.token));
    expect(kept.result.problems).toEqual([]);
    expect(kept.code).toBe(0);
    expect(kept.result.entries).toBeGreaterThan(before.inWindow.ledger.length);
    expect(kept.result.pruned).toEqual([]);

    // Evidence itself was pruned: the artifacts whose bytes are gone are accounted for by the signed
    // retention entry that deleted them, so the bundle still verifies.
    const bundle = await exportOf(tenants.pruned.token);
    const applied = bundle.entries.find((e) => e.kind === 'retention.applied')!;
    expect(bundle.pruned?.entries.map((e) => e.seq)).toEqual([applied.seq]);
    const pruned = await verify(bundle);
    expect(pruned.result.problems).toEqual([]);
    expect(pruned.code).toBe(0);
    expect(pruned.result.pruned.map((p) => p.sha256).sort()).toEqual(own);
    expect(new Set(pruned.result.pruned.map((p) => p.seq))).toEqual(new Set([applied.seq]));

    // Only a signed retention entry counts: without its checkpoint, or edited, each artifact is missing.
    const missingOf = (result: VerifyResult) =>
      result.problems
        .filter((p) => p.kind === 'missing_artifact')
        .map((p) => p.sha256)
        .sort();
    const unsigned = structuredClone(bundle);
    unsigned.pruned!.checkpoints = [];
    expect(missingOf((await verify(unsigned)).result)).toEqual(own);
    const widened = structuredClone(bundle);
    const sha = before.other.evidence.find((s) => !before.pruned.evidence.includes(s))!;
    (widened.pruned!.entries[0]!.payload.pruned_evidence as string[]).push(sha);
    const result = (await verify(widened)).result;
    expect(result.ok).toBe(false);
    expect(missingOf(result)).toEqual(own);
  });

  it('schedules the run daily on the job queue, and a worker runs a queued retention job', async () => {
    const schedules = await t.app.boss.getSchedules(RETENTION_QUEUE);
    expect(schedules.map((s) => ({ cron: s.cron, tz: s.options?.tz }))).toEqual([
      { cron: RETENTION_CRON, tz: 'UTC' },
    ]);
    const id = await t.app.boss.send(RETENTION_QUEUE, {});
    expect(id).toBeTruthy();
    const deadline = Date.now() + 30_000;
    let state: string | undefined;
    while (Date.now() < deadline) {
      state = (await t.app.boss.getJobById(RETENTION_QUEUE, id!))?.state;
      if (state === 'completed' || state === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(state).toBe('completed');
  });

  it('keeps DELETE out of the runtime role; the retention role deletes only inside one tenant', async () => {
    const attempt = async (role: string, tenantId: string, sql: string) => {
      try {
        return await t.database.knex.transaction(async (trx) => {
          await trx.raw(`SET LOCAL ROLE ${role}`);
          await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
          const result = await trx.raw(sql, [tenants.other.tenantId]);
          // Roll back whatever went through: this test only asks what the role may do.
          throw Object.assign(new Error('rollback'), { rowCount: result.rowCount as number });
        });
      } catch (error) {
        const e = error as { code?: string; rowCount?: number };
        return e.code ?? `rows:${e.rowCount}`;
      }
    };
    const mine = tenants.other.tenantId;
    const foreign = tenants.ledgerKept.tenantId;
    for (const table of ['findings', 'evidence', 'ledger_entries', 'scans']) {
      expect(await attempt(APP_ROLE, mine, `delete from ${table} where tenant_id = ?`), table).toBe('42501');
    }
    expect(await attempt(RETENTION_ROLE, mine, `delete from ledger_entries where tenant_id = ?`)).toBe(
      '42501',
    );
    expect(await attempt(RETENTION_ROLE, mine, `delete from scans where tenant_id = ?`)).toBe('42501');
    expect(
      await attempt(RETENTION_ROLE, mine, `update scans set status = 'failed' where tenant_id = ?`),
    ).toBe('42501');
    // Its own tenant's rows it may delete; another tenant's, though visible to its read-only sweep, it may not.
    // (the row the other tenant shares with the pruned one: no finding of its own points at it)
    const unreferenced = `delete from evidence e where tenant_id = ? and not exists
      (select 1 from findings f where f.tenant_id = e.tenant_id and f.evidence_sha256 = e.sha256)`;
    expect(await attempt(RETENTION_ROLE, mine, unreferenced)).toBe('rows:1');
    expect(await attempt(APP_ROLE, mine, unreferenced)).toBe('42501');
    expect(await attempt(RETENTION_ROLE, foreign, `delete from evidence where tenant_id = ?`)).toBe('rows:0');
    expect(await attempt(RETENTION_ROLE, foreign, `delete from findings where tenant_id = ?`)).toBe('rows:0');
    const role = await t.database.knex.raw<{ rows: { rolsuper: boolean; rolbypassrls: boolean }[] }>(
      `select rolsuper, rolbypassrls from pg_roles where rolname = ?`,
      [RETENTION_ROLE],
    );
    expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
  });

  it('prunes a tenant once its legal hold is lifted (and lifting twice is a no-op)', async () => {
    const { token, tenantId } = tenants.held;
    const released = await api('DELETE', '/api/settings/legal-hold', token);
    expect(released.statusCode).toBe(200);
    expect(released.json().legal_hold).toEqual({ active: false, reason: null, set_by: null, set_at: null });
    expect((await api('DELETE', '/api/settings/legal-hold', token)).statusCode).toBe(200);
    const kinds = (await snapshot(tenantId)).ledger.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'legal_hold.released')).toHaveLength(1);
    const run = await runRetention(deps(), new Date(Date.now() + 400 * DAY));
    expect(run.tenants.find((r) => r.tenant_id === tenantId)).toMatchObject({
      held: false,
      findings_deleted: before.held.findings,
      evidence_deleted: before.held.evidence.length,
    });
    expect(await present(before.held.evidence)).toEqual(before.held.evidence.map(() => false));
  });

  // Needs two connections at once: PGlite has one.
  it.runIf(backend.name === 'postgres')(
    'never deletes bytes that a scan of another tenant is recording at that moment (evidence locks)',
    async () => {
      // A fresh tenant with its own scan, all of whose data is expired "400 days later".
      const sandbox = await startMarkedSandbox('raceco');
      sandboxes.push(sandbox);
      const racing = await scannedTenant(t, 'ret-race', sandbox.url);
      await put(racing.token, '/api/settings/retention', {
        raw_scan_data_days: 1,
        findings_days: 1,
        evidence_days: 1,
        audit_log_days: 1,
      });
      const shas = (await snapshot(racing.tenantId)).evidence;
      const raced = shas[0]!;
      // Another tenant's scan is recording the same bytes: shared lock taken, row inserted, not committed.
      let commit!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const writer = runAsApp(t.database.knex, { tenantId: tenants.other.tenantId }, async (trx) => {
        await lockEvidence(trx, [raced], 'shared');
        await trx('evidence').insert({
          tenant_id: tenants.other.tenantId,
          sha256: raced,
          size: 1,
          content_type: 'application/json',
        });
        locked();
        await new Promise<void>((resolve) => (commit = resolve));
      });
      await isLocked;
      let finished = false;
      const pruning = runRetention(deps(), new Date(Date.now() + 400 * DAY)).then((r) => {
        finished = true;
        return r;
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(finished).toBe(false); // waiting for the writer's lock on the raced object
      commit();
      await writer;
      const run = await pruning;
      expect(run.tenants.find((r) => r.tenant_id === racing.tenantId)?.evidence_deleted).toBe(shas.length);
      // The writer committed its row first: its bytes stay; the rest of the expired bytes went.
      expect(await present(shas)).toEqual(shas.map((sha) => sha === raced));
    },
  );
});
