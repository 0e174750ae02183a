/**
 * /api/rule-packs on every backend, over a tenant with a real scan of the S3 sandbox: the deployed bundle's
 * packs with the tenant's standing, admins enable and disable them (idempotent, each change once in the
 * ledger), other roles are refused, errors are JSON with codes, enabling changes neither the findings nor the
 * main scores, and an enabled pack's scores count only its rules' findings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, startTestApp, type TestApp } from '../../../test/helpers.ts';
import { addMember, scannedTenant, startMarkedSandbox } from '../../../test/scanned-tenant.ts';
import type { S3FixtureServer } from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CIS = 'cis-aws-foundations-5.0-l1';
/** The one rule of the CIS pack an S3-only scan gives findings for, and its UCF control. */
const CIS_S3_RULE = 'CW-AWS-S3-002';
const CIS_S3_CONTROL = 'UCF-DP-02';

describe.each(databaseBackends())('rule packs on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let admin: string;
  let user: string;
  let auditor: string;

  const call = async (method: 'GET' | 'PUT' | 'DELETE', url: string, token: string) => {
    const response = await t.app.inject({ method, url: `/api/rule-packs${url}`, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };
  /** A pack's version in the deployed bundle, so the expectations follow the pack file. */
  const packVersion = async (id: string) =>
    (await t.app.engine.policyEngine()).catalog.packs.find((p) => p.id === id)!.version;
  const failedRequirements = (items: Json[], framework: string) =>
    (items.find((s) => s.framework_id === framework)!.requirements as Json[])
      .filter((r) => r.status === 'fail')
      .map((r) => r.requirement_id as string)
      .sort();

  beforeAll(async () => {
    t = await startTestApp(backend);
    sandbox = await startMarkedSandbox('packsco');
    const tenant = await scannedTenant(t, 'packs', sandbox.url);
    admin = tenant.token;
    user = await addMember(t, tenant.tenantId, 'user');
    auditor = await addMember(t, tenant.tenantId, 'auditor');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('lists the packs of the deployed bundle to every role, none enabled at first', async () => {
    const { catalog } = await t.app.engine.policyEngine();
    for (const token of [admin, user, auditor]) {
      const { status, body } = await call('GET', '', token);
      expect(status).toBe(200);
      expect((body.items as Json[]).map((p) => [p.id, p.version, p.hash, p.rule_count, p.enabled])).toEqual(
        catalog.packs.map((p) => [p.id, p.version, p.hash, p.rules.length, false]),
      );
    }
    const cis = (await call('GET', '', user)).body.items.find((p: Json) => p.id === CIS);
    expect(cis.rules).toContainEqual({
      id: 'CW-AWS-IAM-001',
      title: 'The AWS root user signs in with MFA',
      severity: 'critical',
      references: ['1.4'],
    });
    expect(cis.reference_source).toMatch(/CIS Amazon Web Services Foundations Benchmark v5\.0\.0/);
  });

  it('refuses other roles, unknown packs and malformed ids with JSON error codes', async () => {
    for (const token of [user, auditor]) {
      expect(await call('PUT', `/${CIS}`, token)).toMatchObject({
        status: 403,
        body: { error: { code: 'FORBIDDEN' } },
      });
      expect((await call('DELETE', `/${CIS}`, token)).status).toBe(403);
    }
    expect(await call('PUT', '/cis-aws-foundations-9.9-l1', admin)).toMatchObject({
      status: 404,
      body: {
        error: { code: 'PACK_NOT_FOUND', message: expect.stringContaining('cis-aws-foundations-9.9-l1') },
      },
    });
    expect(await call('GET', '/Not_A_Pack/scores', admin)).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_ERROR' } },
    });
    expect(await call('GET', `/${CIS}/scores`, user)).toMatchObject({
      status: 409,
      body: { error: { code: 'PACK_NOT_ENABLED' } },
    });
  });

  it("enabling changes no score; the pack's scores count only its rules' findings", async () => {
    const scores = async () =>
      (await t.app.inject({ url: '/api/scores', headers: bearer(admin) })).json().items as Json[];
    const before = await scores();

    const enabled = await call('PUT', `/${CIS}`, admin);
    expect(enabled).toMatchObject({
      status: 200,
      body: { id: CIS, enabled: true, enabled_at: expect.any(String), enabled_by: expect.any(String) },
    });
    // Enabling twice keeps the first record.
    expect((await call('PUT', `/${CIS}`, admin)).body.enabled_at).toBe(enabled.body.enabled_at);
    expect(await scores()).toEqual(before);

    const { status, body } = await call('GET', `/${CIS}/scores`, auditor);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      pack_id: CIS,
      pack_version: await packVersion(CIS),
      sources: [expect.any(Object)],
    });
    expect(body.items.map((s: Json) => s.framework_id)).toEqual(before.map((s) => s.framework_id));
    // The scan read S3 only: in the pack's view a requirement fails exactly where the main view fails it
    // and it rests on the control of the pack's one S3 rule; the other S3 rules' failures drop out.
    const requirements = (before.find((s) => s.framework_id === 'soc2')!.requirements as Json[]).filter(
      (r) => r.status === 'fail',
    );
    const expected = requirements
      .filter((r) => (r.control_ids as string[]).includes(CIS_S3_CONTROL))
      .map((r) => r.requirement_id as string)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(failedRequirements(body.items, 'soc2')).toEqual(expected);
    expect(failedRequirements(before, 'soc2').length).toBeGreaterThan(expected.length);
    const mainSoc2 = before.find((s) => s.framework_id === 'soc2')!;
    const packSoc2 = body.items.find((s: Json) => s.framework_id === 'soc2');
    expect(packSoc2.failed).toBeLessThan(mainSoc2.failed);
    expect(body.rule_ids).toContain(CIS_S3_RULE);
  });

  it('disabling ends the per-pack scores; each change is one ledger entry', async () => {
    await call('PUT', '/okta-baseline', admin);
    expect(await call('DELETE', '/okta-baseline', admin)).toMatchObject({
      status: 200,
      body: { id: 'okta-baseline', enabled: false, enabled_at: null },
    });
    expect((await call('DELETE', '/okta-baseline', admin)).status).toBe(200);
    expect(await call('GET', '/okta-baseline/scores', admin)).toMatchObject({
      status: 409,
      body: { error: { code: 'PACK_NOT_ENABLED' } },
    });
    const listed = (await call('GET', '', user)).body.items as Json[];
    expect(listed.filter((p) => p.enabled).map((p) => p.id)).toEqual([CIS]);

    const ledger = await t.app.inject({ url: '/api/ledger?limit=100', headers: bearer(admin) });
    const entries = (ledger.json().items as Json[])
      .filter((e) => String(e.kind).startsWith('rule_pack.'))
      .map((e) => `${e.kind} ${e.payload.pack_id}@${e.payload.pack_version}`)
      .sort();
    const [cisVersion, oktaVersion] = [await packVersion(CIS), await packVersion('okta-baseline')];
    expect(entries).toEqual([
      `rule_pack.disabled okta-baseline@${oktaVersion}`,
      `rule_pack.enabled ${CIS}@${cisVersion}`,
      `rule_pack.enabled okta-baseline@${oktaVersion}`,
    ]);
  });
});
