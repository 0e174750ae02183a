/**
 * `complywise rules history|diff --api --token` against a started test app on every backend: the registry's
 * versions (deployed at start, plus a later bundle registered like a deployment would), an API token as the
 * credential, a diff between registered versions, and the exit codes of a bad token, unknown rule and version.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleHash } from '../../engine/compile/rule-sources.ts';
import { deployedRuleVersions, type RuleVersionRecord } from '../../engine/rule-versions.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../api/test/helpers.ts';
import { registerRuleVersions } from '../../api/src/rule-versions/service.ts';
import { databaseBackends } from '../../test/db.ts';
import { EXIT, main } from '../complywise.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const RULE = 'CW-AWS-S3-001';

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe.each(databaseBackends())('rules history and diff from the registry on $name', (backend) => {
  let t: TestApp;
  let url: string;
  let apiToken: string;
  let old: RuleVersionRecord;
  let next: RuleVersionRecord;

  beforeAll(async () => {
    t = await startTestApp(backend);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const admin = await seedTenant(t.database.knex, { slug: 'rules-cli-api' });
    const session = await login(t.app, admin.email, admin.password);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: bearer(session.access_token),
      payload: { name: 'auditor cli', role: 'auditor', expires_in_days: 1 },
    });
    expect(created.statusCode, created.body).toBe(201);
    apiToken = (created.json() as Json).token;

    // A later deployment changes the rule: registered as the API start would register it.
    const deployed = await deployedRuleVersions();
    old = deployed.find((r) => r.rule_id === RULE)!;
    const files = old.files.map((f, i) => (i === 0 ? { ...f, text: `${f.text}# tightened\n` } : f));
    next = { ...old, version: '9.9.9', files, hash: ruleHash(files), git_commit: 'c0ffee1' };
    await registerRuleVersions(
      t.database.knex,
      deployed.map((r) => (r.rule_id === RULE ? next : r)),
      new Date(Date.now() + 1000),
    );
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('history lists the registered versions, newest first, with commit and time in force', async () => {
    const asJson = await run('rules', 'history', RULE, '--api', url, '--token', apiToken, '--format', 'json');
    expect(asJson.code, asJson.stderr).toBe(EXIT.OK);
    const versions = JSON.parse(asJson.stdout) as Json[];
    expect(versions.map((v) => [v.version, v.hash, v.git_commit])).toEqual([
      ['9.9.9', next.hash, 'c0ffee1'],
      [
        old.version,
        old.hash,
        expect.toSatisfy((c: unknown) => c === null || /^[0-9a-f]{40}$/.test(String(c))),
      ],
    ]);
    expect(versions[0]!.last_in_force_at).toBeNull();
    expect(versions[1]!.last_in_force_at).toEqual(expect.any(String));

    const text = await run('rules', 'history', RULE, '--api', `${url}/`, '--token', apiToken);
    expect(text.code, text.stderr).toBe(EXIT.OK);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^${next.hash.slice(0, 12)}  9\\.9\\.9  .* → in force  .*commit c0ffee1$`),
    );
    expect(lines[1]).toContain(`${old.hash.slice(0, 12)}  ${old.version}`);
  });

  it('diff shows the source change between registered versions, by version or hash prefix', async () => {
    const toCurrent = await run('rules', 'diff', RULE, old.version, '--api', url, '--token', apiToken);
    expect(toCurrent.code, toCurrent.stderr).toBe(EXIT.OK);
    expect(toCurrent.stdout).toContain(`--- rule.yaml (${old.version} ${old.hash.slice(0, 12)})`);
    expect(toCurrent.stdout).toContain(`+++ rule.yaml (9.9.9 ${next.hash.slice(0, 12)})`);
    expect(toCurrent.stdout).toMatch(/^\+# tightened$/m);
    const byHash = await run(
      'rules',
      'diff',
      RULE,
      next.hash.slice(0, 10),
      old.hash.slice(0, 10),
      '--api',
      url,
      '--token',
      apiToken,
    );
    expect(byHash.code, byHash.stderr).toBe(EXIT.OK);
    expect(byHash.stdout).toMatch(/^-# tightened$/m);
    const same = await run('rules', 'diff', RULE, '9.9.9', '9.9.9', '--api', url, '--token', apiToken);
    expect(same.stdout).toMatch(/^no source change between 9\.9\.9/);
  });

  it('exits 64 for an unknown rule or version and 3 for a refused token', async () => {
    const unknownVersion = await run('rules', 'diff', RULE, '7.7.7', '--api', url, '--token', apiToken);
    expect(unknownVersion.code).toBe(EXIT.USAGE);
    expect(unknownVersion.stderr).toMatch(/7\.7\.7 is not a registered version; registered: 9\.9\.9/);
    const unknownRule = await run('rules', 'history', 'CW-NOPE-001', '--api', url, '--token', apiToken);
    expect(unknownRule.code).toBe(EXIT.USAGE);
    expect(unknownRule.stderr).toContain('RULE_NOT_FOUND');
    const badToken = await run('rules', 'history', RULE, '--api', url, '--token', 'cw_not-a-token');
    expect(badToken.code).toBe(EXIT.ENVIRONMENT);
    expect(badToken.stderr).toContain('UNAUTHENTICATED');
    expect(badToken.stderr).not.toContain('cw_not-a-token');
    const noToken = await run('rules', 'history', RULE, '--api', url);
    expect(noToken.code).toBe(EXIT.USAGE);
  });
});
