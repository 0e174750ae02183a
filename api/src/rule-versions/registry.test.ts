/**
 * The rule-version registry on every backend: the API start registers every version of the committed bundle
 * (idempotently), a new bundle closes the versions it replaces, the routes answer a rule's history, a
 * version's source, the diff of two versions and the versions in force during a period, and every finding of a real scan links to a
 * registered version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleHash } from '../../../engine/compile/rule-sources.ts';
import {
  bundleGitCommit,
  deployedRuleVersions,
  type RuleVersionRecord,
} from '../../../engine/rule-versions.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../test/helpers.ts';
import { runAsApp } from '../plugins/app/tenancy.ts';
import { registerRuleVersions } from './service.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RULE = 'CW-AWS-S3-001';

describe.each(databaseBackends())('rule-version registry on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let token: string;
  let deployed: RuleVersionRecord[];

  const get = async (url: string) => {
    const response = await t.app.inject({ url, headers: bearer(token) });
    return { status: response.statusCode, body: response.json() as Json };
  };

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    // Any signed-in role may read the registry: use the least privileged one.
    const user = await seedTenant(t.database.knex, { slug: 'rule-versions', role: 'auditor' });
    token = (await login(t.app, user.email, user.password)).access_token;
    deployed = await deployedRuleVersions();
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('registers every deployed version at start, with its source, and again changes nothing', async () => {
    const record = deployed.find((r) => r.rule_id === RULE)!;
    const history = await get(`/api/rules/${RULE}/versions`);
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([
      expect.objectContaining({
        rule_id: RULE,
        version: record.version,
        hash: record.hash,
        bundle_revision: record.bundle_revision,
        last_in_force_at: null,
      }),
    ]);
    const source = await get(`/api/rules/${RULE}/versions/${record.hash}`);
    expect(source.status).toBe(200);
    expect(source.body.files).toEqual(record.files);
    expect(ruleHash(source.body.files)).toBe(record.hash);
    expect(source.body.files[0].name).toBe('rule.yaml');

    const now = await get(
      `/api/rules/in-force?from=${new Date().toISOString()}&to=${new Date().toISOString()}`,
    );
    expect(now.body.items.map((v: Json) => `${v.rule_id}@${v.hash}`).sort()).toEqual(
      deployed.map((r) => `${r.rule_id}@${r.hash}`).sort(),
    );
    expect(await registerRuleVersions(t.database.knex, deployed)).toEqual({ added: 0, closed: 0 });
    expect((await get(`/api/rules/${RULE}/versions`)).body.items).toEqual(history.body.items);
  });

  it('links every finding of a real scan to a registered version', async () => {
    const admin = await seedTenant(t.database.knex, { slug: 'rule-versions-admin' });
    const adminToken = (await login(t.app, admin.email, admin.password)).access_token;
    const integration = await t.app.inject({
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
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(adminToken),
      payload: { integration_id: integration.json().id },
    });
    const scanId = queued.json().id as string;
    for (let status = ''; status !== 'succeeded';) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = (await t.app.inject({ url: `/api/scans/${scanId}`, headers: bearer(adminToken) })).json()
        .status;
      expect(status).not.toBe('failed');
    }
    const findings = (
      await t.app.inject({ url: `/api/scans/${scanId}/findings?limit=1000`, headers: bearer(adminToken) })
    ).json().items as Json[];
    expect(findings.length).toBeGreaterThan(0);
    const versions = new Set(findings.map((f) => `${f.rule_id}/versions/${f.rule_hash}`));
    for (const link of versions) {
      const version = await get(`/api/rules/${link}`);
      expect(version.status, link).toBe(200);
    }
  }, 90_000);

  it('a new bundle closes the versions it replaces; in-force answers per period', async () => {
    const old = deployed.find((r) => r.rule_id === RULE)!;
    const files = old.files.map((f, i) => (i === 0 ? { ...f, text: `${f.text}# tightened\n` } : f));
    const changed: RuleVersionRecord = {
      ...old,
      version: `${old.version}-next`,
      files,
      hash: ruleHash(files),
      bundle_revision: 'next-bundle',
      git_commit: 'abc1234',
    };
    const redeploy = new Date(Date.now() + 3_600_000);
    const next = deployed.map((r) => (r.rule_id === RULE ? changed : r));
    expect(await registerRuleVersions(t.database.knex, next, redeploy)).toEqual({ added: 1, closed: 1 });
    expect(await registerRuleVersions(t.database.knex, next, redeploy)).toEqual({ added: 0, closed: 0 });

    const history = (await get(`/api/rules/${RULE}/versions`)).body.items as Json[];
    expect(history.map((v) => [v.hash, v.last_in_force_at, v.git_commit])).toEqual([
      [changed.hash, null, 'abc1234'],
      // Registered at start without COMPLYWISE_GIT_COMMIT: the checkout's HEAD then, as rules/dist is committed
      // as is (HEAD may have moved on since, in a shared checkout).
      [
        old.hash,
        redeploy.toISOString(),
        (await bundleGitCommit()) ? expect.stringMatching(/^[0-9a-f]{40}$/) : null,
      ],
    ]);
    const inForce = async (from: Date, to: Date) =>
      (
        (await get(`/api/rules/in-force?from=${from.toISOString()}&to=${to.toISOString()}`)).body
          .items as Json[]
      )
        .filter((v) => v.rule_id === RULE)
        .map((v) => v.hash);
    const minute = 60_000;
    expect(
      await inForce(new Date(redeploy.getTime() - 2 * minute), new Date(redeploy.getTime() - minute)),
    ).toEqual([old.hash]);
    expect(
      await inForce(new Date(redeploy.getTime() + minute), new Date(redeploy.getTime() + 2 * minute)),
    ).toEqual([changed.hash]);
    expect(
      await inForce(new Date(redeploy.getTime() - minute), new Date(redeploy.getTime() + minute)),
    ).toEqual([old.hash, changed.hash]);
    expect(await inForce(new Date('2000-01-01T00:00:00Z'), new Date('2000-01-02T00:00:00Z'))).toEqual([]);
    const source = await get(`/api/rules/${RULE}/versions/${old.hash}`);
    expect(source.body.files).toEqual(old.files);

    const diff = await get(`/api/rules/${RULE}/versions/${old.hash}/diff/${changed.hash}`);
    expect(diff.status, JSON.stringify(diff.body)).toBe(200);
    expect(diff.body.from).toMatchObject({ hash: old.hash, version: old.version });
    expect(diff.body.to).toMatchObject({ hash: changed.hash, version: changed.version });
    const [yaml, ...rest] = diff.body.files as Json[];
    expect(yaml).toMatchObject({ name: 'rule.yaml', changed: true });
    expect(yaml!.diff.split('\n').filter((l: string) => /^[-+]/.test(l))).toEqual(['+# tightened']);
    expect(rest.every((f) => !f.changed && f.diff === '')).toBe(true);
    const missing = await get(`/api/rules/${RULE}/versions/${old.hash}/diff/${'0'.repeat(64)}`);
    expect(missing.body.error.code).toBe('RULE_VERSION_NOT_FOUND');
  });

  it('answers 404 and 400 for unknown rules, versions and bad periods; the app role cannot write', async () => {
    expect((await get('/api/rules/CW-NOPE-001/versions')).body.error.code).toBe('RULE_NOT_FOUND');
    const unknown = await get(`/api/rules/${RULE}/versions/${'0'.repeat(64)}`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'RULE_VERSION_NOT_FOUND']);
    expect((await get(`/api/rules/${RULE}/versions/nothex`)).status).toBe(400);
    const backwards = await get('/api/rules/in-force?from=2001-01-01T00:00:00Z&to=2000-01-01T00:00:00Z');
    expect([backwards.status, backwards.body.error.code]).toEqual([400, 'VALIDATION_ERROR']);
    expect((await get('/api/rules/in-force?from=yesterday&to=2000-01-01T00:00:00Z')).status).toBe(400);
    await expect(
      runAsApp(t.database.knex, {}, (trx) =>
        trx('rule_versions').where({ rule_id: RULE }).update({ version: 'x' }),
      ),
    ).rejects.toThrow(/permission denied/);
  });
});
