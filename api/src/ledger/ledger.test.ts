/**
 * The evidence ledger end to end on every backend: a real scan, logins and a refused request land in the
 * tenant's hash chain; an auditor exports the period; `complywise evidence verify` accepts the bundle and
 * names every tamper: an edited byte, a deleted, reordered or cut-off entry, a swapped or missing artifact,
 * a forged signature. The runtime role cannot update or delete ledger rows.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as cli } from '../../../bin/complywise.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { hashPassword } from '../plugins/app/passwords.ts';
import { runAsApp, runAsOwner } from '../plugins/app/tenancy.ts';
import type { EvidenceBundle } from './ledger.ts';
import { verifyBundle, type ProblemKind } from './verify.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(databaseBackends())('evidence ledger on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenantId: string;
  let adminToken: string;
  let auditorToken: string;
  let bundle: EvidenceBundle;
  let workDir: string;

  const kindsOf = (result: ReturnType<typeof verifyBundle>): ProblemKind[] => [
    ...new Set(result.problems.map((p) => p.kind)),
  ];
  const copy = (): EvidenceBundle => structuredClone(bundle);

  async function runCli(value: unknown): Promise<{ code: number; out: string; err: string }> {
    const file = join(workDir, `${randomUUID()}.json`);
    writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
    let out = '';
    let err = '';
    const code = await cli(['evidence', 'verify', file], {
      stdout: (s) => (out += s),
      stderr: (s) => (err += s),
    });
    return { code, out, err };
  }

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'complywise-ledger-'));
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'ledger' });
    tenantId = admin.tenantId;
    const auditorId = randomUUID();
    const auditorHash = await hashPassword('auditor-password');
    await runAsOwner(t.database.knex, { tenantId, userId: auditorId }, async (trx) => {
      await trx('users').insert({
        id: auditorId,
        email: 'auditor@ledger.example',
        password_hash: auditorHash,
      });
      await trx('memberships').insert({ tenant_id: tenantId, user_id: auditorId, role: 'auditor' });
    });
    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: admin.email, password: 'wrong password' },
    });
    expect(failed.statusCode).toBe(401);
    adminToken = (await login(t.app, admin.email, admin.password)).access_token;
    auditorToken = (await login(t.app, 'auditor@ledger.example', 'auditor-password')).access_token;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(adminToken),
      payload: {
        provider: 'aws',
        name: 'Sandbox',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
    });
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(auditorToken),
      payload: { integration_id: created.json().id },
    });
    expect(denied.statusCode).toBe(403);
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(adminToken),
      payload: { integration_id: created.json().id },
    });
    for (let i = 0; i < 300; i += 1) {
      const scan = (
        await t.app.inject({ url: `/api/scans/${queued.json().id}`, headers: bearer(adminToken) })
      ).json();
      if (scan.status === 'succeeded' || scan.status === 'failed') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // One more entry after the scan's signed checkpoint, so that checkpoint sits inside the exported period.
    const lateFailure = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: admin.email, password: 'wrong again' },
    });
    expect(lateFailure.statusCode).toBe(401);
    const exported = await t.app.inject({
      url: `/api/ledger/export?from=2000-01-01T00:00:00Z&to=${new Date(Date.now() + 60_000).toISOString()}`,
      headers: bearer(auditorToken),
    });
    expect(exported.statusCode, exported.body).toBe(200);
    bundle = exported.json() as EvidenceBundle;
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('records evidence, the completed scan, logins, changes and refusals in one chain', async () => {
    const kinds = new Set(bundle.entries.map((e) => e.kind));
    for (const kind of [
      'auth.login.failed',
      'auth.login.succeeded',
      'integration.created',
      'authorization.denied',
      'evidence.recorded',
      'scan.completed',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
    expect(bundle.entries.map((e) => e.seq)).toEqual(bundle.entries.map((_e, i) => i + 1));
    const artifacts = bundle.entries.filter((e) => e.artifact_sha256);
    expect(bundle.artifacts.map((a) => a.sha256).sort()).toEqual(
      artifacts.map((e) => e.artifact_sha256).sort(),
    );
    expect(bundle.checkpoints.length).toBeGreaterThanOrEqual(2);
    // The audit log route shows the same entries, newest first, to auditors only.
    const log = await t.app.inject({ url: '/api/ledger?limit=5', headers: bearer(auditorToken) });
    expect(log.json().items.map((e: Json) => e.seq)).toEqual(
      bundle.entries
        .slice(-5)
        .map((e) => e.seq)
        .reverse(),
    );
  });

  it('verifies the untouched bundle (library and CLI)', async () => {
    expect(verifyBundle(bundle)).toMatchObject({ ok: true, problems: [] });
    const run = await runCli(bundle);
    expect(run.code, run.err).toBe(0);
    expect(run.out).toMatch(/OK \(\d+ entries, \d+ signed checkpoints, \d+ artifacts\)/);
  });

  it('names an edited byte in an entry', async () => {
    const tampered = copy();
    const target = tampered.entries.find((e) => e.kind === 'scan.completed')!;
    const text = JSON.stringify(target.payload).replace(
      /"fail":(\d)/,
      (_m, d) => `"fail":${(Number(d) + 1) % 10}`,
    );
    target.payload = JSON.parse(text);
    const result = verifyBundle(tampered);
    expect(result.problems).toContainEqual(
      expect.objectContaining({ kind: 'edited_entry', seq: target.seq }),
    );
    const run = await runCli(tampered);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`entry ${target.seq} (scan.completed) was changed`);
  });

  it('names a deleted entry, a reordered entry and a cut-off end', async () => {
    const deleted = copy();
    const middle = deleted.entries[3]!.seq;
    deleted.entries.splice(3, 1);
    expect(verifyBundle(deleted).problems).toContainEqual(
      expect.objectContaining({ kind: 'deleted_entry', seq: middle }),
    );

    const reordered = copy();
    [reordered.entries[2], reordered.entries[3]] = [reordered.entries[3]!, reordered.entries[2]!];
    expect(kindsOf(verifyBundle(reordered))).toContain('reordered_entry');

    const cut = copy();
    const last = cut.entries.pop()!;
    cut.checkpoints = cut.checkpoints.filter((c) => c.seq !== last.seq);
    const cutResult = verifyBundle(cut);
    expect(cutResult.problems).toContainEqual(expect.objectContaining({ kind: 'cut_end', seq: last.seq }));
    const cutFirst = copy();
    cutFirst.entries.shift();
    expect(verifyBundle(cutFirst).problems).toContainEqual(
      expect.objectContaining({ kind: 'deleted_entry', seq: 1 }),
    );
  });

  it('names an end cut at a signed checkpoint inside the period, via the signed manifest', async () => {
    // A scan's checkpoint sits inside the period: cutting everything after (or before) it leaves a chain
    // that a signed checkpoint pins at both ends, so only the signed manifest can tell.
    const inner = bundle.checkpoints.find(
      (c) => c.seq > bundle.entries[0]!.seq && c.seq < bundle.entries.at(-1)!.seq,
    );
    expect(inner, 'a checkpoint strictly inside the period').toBeDefined();
    const tail = copy();
    tail.entries = tail.entries.filter((e) => e.seq <= inner!.seq);
    tail.checkpoints = tail.checkpoints.filter((c) => c.seq <= inner!.seq);
    const tailResult = verifyBundle(tail);
    expect(tailResult.problems).toContainEqual(
      expect.objectContaining({ kind: 'cut_end', seq: inner!.seq + 1 }),
    );
    const run = await runCli(tail);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`entries after ${inner!.seq} were cut`);

    const head = copy();
    head.entries = head.entries.filter((e) => e.seq >= inner!.seq);
    head.checkpoints = head.checkpoints.filter((c) => c.seq >= inner!.seq);
    expect(verifyBundle(head).problems).toContainEqual(
      expect.objectContaining({ kind: 'cut_end', seq: inner!.seq - 1 }),
    );
  });

  it('names an edited manifest, a missing manifest signature and a manifest swapped from another export', async () => {
    const edited = copy();
    edited.manifest.last_seq = edited.manifest.last_seq! - 1;
    expect(kindsOf(verifyBundle(edited))).toContain('bad_manifest_signature');

    const unsigned = copy() as Partial<EvidenceBundle>;
    delete unsigned.manifest_signature;
    expect(kindsOf(verifyBundle(unsigned))).toContain('bad_manifest_signature');

    // Another export of the same tenant (a shorter period), signed with the same key.
    const middle = bundle.entries[2]!;
    const other = await t.app.inject({
      url: `/api/ledger/export?from=2000-01-01T00:00:00Z&to=${middle.occurred_at}`,
      headers: bearer(auditorToken),
    });
    expect(other.statusCode, other.body).toBe(200);
    const swapped = copy();
    swapped.manifest = other.json().manifest;
    swapped.manifest_signature = other.json().manifest_signature;
    const swappedResult = verifyBundle(swapped);
    expect(kindsOf(swappedResult)).not.toContain('bad_manifest_signature');
    expect(kindsOf(swappedResult)).toContain('manifest_mismatch');
    const run = await runCli(swapped);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/the signed manifest (ends at|names head)/);
  });

  it('names a swapped, edited or missing artifact and a forged signature', async () => {
    const swapped = copy();
    const [a, b] = swapped.artifacts;
    [a!.content_base64, b!.content_base64] = [b!.content_base64, a!.content_base64];
    const swappedResult = verifyBundle(swapped);
    expect(
      swappedResult.problems
        .filter((p) => p.kind === 'edited_artifact')
        .map((p) => p.sha256)
        .sort(),
    ).toEqual([a!.sha256, b!.sha256].sort());
    const run = await runCli(swapped);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`artifact ${a!.sha256} does not hash to its name`);

    const missing = copy();
    const gone = missing.artifacts.pop()!;
    expect(verifyBundle(missing).problems).toContainEqual(
      expect.objectContaining({ kind: 'missing_artifact', sha256: gone.sha256 }),
    );

    const forged = copy();
    const signature = Buffer.from(forged.checkpoints[0]!.signature, 'base64');
    signature[0] = signature[0]! ^ 1;
    forged.checkpoints[0]!.signature = signature.toString('base64');
    expect(kindsOf(verifyBundle(forged))).toContain('bad_signature');
  });

  it('refuses a file that is not a bundle with a clear message', async () => {
    expect((await runCli('{"hello": 1}')).err).toContain('not a ComplyWise evidence bundle');
    expect((await runCli('{not json')).code).toBe(3);
  });

  it('exports an artifact whose stored bytes were corrupted as missing, with its expected hash', async () => {
    const victim = bundle.artifacts[0]!.sha256;
    const file = join(
      t.config.evidence.kind === 'filesystem' ? t.config.evidence.dir : '',
      victim.slice(0, 2),
      victim,
    );
    chmodSync(file, 0o644);
    writeFileSync(file, 'corrupted on disk');
    const exported = await t.app.inject({
      url: `/api/ledger/export?from=2000-01-01T00:00:00Z&to=${new Date(Date.now() + 60_000).toISOString()}`,
      headers: bearer(auditorToken),
    });
    expect(exported.statusCode, exported.body).toBe(200);
    const corrupted = exported.json() as EvidenceBundle;
    expect(corrupted.manifest.missing_artifacts).toContainEqual({ sha256: victim, reason: 'corrupted' });
    expect(corrupted.artifacts.map((a) => a.sha256)).not.toContain(victim);
    expect(verifyBundle(corrupted).problems).toContainEqual(
      expect.objectContaining({ kind: 'corrupted_artifact', sha256: victim }),
    );
    const run = await runCli(corrupted);
    expect(run.code).toBe(1);
    expect(run.err).toContain(`artifact ${victim}`);
    expect(run.err).toContain('corrupted in storage');
  });

  it('gives the runtime role no way to rewrite the ledger', async () => {
    for (const sql of [`update ledger_entries set kind = 'x'`, `delete from ledger_entries`]) {
      await expect(runAsApp(t.database.knex, { tenantId }, (trx) => trx.raw(sql))).rejects.toThrow(
        /permission denied/,
      );
    }
  });
});
