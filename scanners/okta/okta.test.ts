// The Okta scanner through the real Okta SDK, over HTTP, against the Okta fixture server and its
// fault scripts (429 with X-Rate-Limit-Reset, 5xx, slow answers, 403 denials, bad token).
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { assertValidResource, type Resource } from '../../schemas/index.ts';
import {
  DEMO_OKTA_TOKEN,
  demoOktaOrg,
  startOktaFixtureServer,
  type OktaFault,
  type OktaFixtureOrg,
  type OktaFixtureServer,
} from './fixtures/okta-fixture-server.ts';
import { scanOkta, type OktaScanOptions } from './okta.ts';

const NOW = new Date('2026-05-04T12:00:00.000Z');
let server: OktaFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(opts: { org?: OktaFixtureOrg; faults?: OktaFault[] } = {}): Promise<OktaFixtureServer> {
  server = await startOktaFixtureServer({
    org: opts.org ?? demoOktaOrg({ asOf: NOW }),
    faults: opts.faults ?? [],
  });
  return server;
}
const fast: OktaScanOptions = { callsPerSecond: 10_000, now: () => NOW };
const byName = (resources: Resource[], name: string): Resource => {
  const found = resources.find((r) => r.name === name);
  if (!found) throw new Error(`no ${name}`);
  return found;
};

describe('scanOkta against the demo org', () => {
  it('collects users and policies as valid resources, page by page', async () => {
    const s = await start();
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, { ...fast, pageSize: 25 });
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'okta.user')).toHaveLength(60);
    expect(outcome.resources.filter((r) => r.type === 'okta.policy')).toHaveLength(8);
    for (const r of outcome.resources) expect(assertValidResource(r)).toBe(r);
    expect(s.requests.filter((r) => r.route === 'listUsers')).toHaveLength(3);
    expect(outcome.progress.calls_made).toBe(s.requests.length);

    const admin = byName(outcome.resources, 'user00@acme.example');
    expect(admin).toMatchObject({ account: new URL(s.url).host, region: 'global' });
    expect(admin.attributes).toMatchObject({
      status: 'ACTIVE',
      mfa_enrolled: true,
      phishing_resistant_factor_enrolled: true,
      admin_roles: ['SUPER_ADMIN'],
      last_login_age_days: 120,
    });
    expect(byName(outcome.resources, 'user01@acme.example').attributes).toMatchObject({
      mfa_enrolled: false,
      factors: [{ factor_type: 'token:software:totp', provider: 'GOOGLE', status: 'PENDING_ACTIVATION' }],
      admin_roles: ['ORG_ADMIN'],
    });
    expect(byName(outcome.resources, 'user08@acme.example').attributes).toMatchObject({
      status: 'STAGED',
      last_login: null,
      last_login_age_days: null,
    });

    const policies = outcome.resources.filter((r) => r.type === 'okta.policy');
    const weak = policies.find((p) => p.attributes.policy_type === 'PASSWORD' && p.attributes.system);
    expect(weak?.attributes.password).toMatchObject({
      min_length: 8,
      min_symbol: 0,
      max_age_days: 0,
      min_age_minutes: 0,
      lockout_max_attempts: 0,
    });
    const staff = policies.find((p) => p.attributes.policy_type === 'PASSWORD' && !p.attributes.system);
    expect(staff?.attributes.password).toMatchObject({ history_count: 24, min_age_minutes: 1440 });
    expect(byName(outcome.resources, 'user06@acme.example').attributes).toMatchObject({
      status: 'SUSPENDED',
      admin_roles: ['HELP_DESK_ADMIN'],
    });
    const staffMfa = policies.find((p) => p.name === 'Staff MFA');
    expect(staffMfa?.attributes.mfa_enroll_factors).toEqual([
      { key: 'okta_verify', enroll: 'REQUIRED' },
      { key: 'webauthn', enroll: 'OPTIONAL' },
    ]);
    expect(policies.find((p) => p.name === 'Staff sign-on')?.attributes.rules).toEqual([
      {
        name: 'Require MFA',
        status: 'ACTIVE',
        priority: 1,
        access: 'ALLOW',
        requires_mfa: true,
        max_session_idle_minutes: 30,
        max_session_lifetime_minutes: 720,
      },
    ]);
    expect(policies.find((p) => p.name === 'Admin console')?.attributes.rules).toEqual([
      expect.objectContaining({ requires_mfa: true, max_session_idle_minutes: null }),
    ]);
  });
});

describe('scanOkta under rate limits and faults', () => {
  it('waits for X-Rate-Limit-Reset after a 429 and counts the call once', async () => {
    const s = await start({
      faults: [{ route: 'listPolicies', kind: 'rate-limit', resetSeconds: 0, times: 1 }],
    });
    const started = Date.now();
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, fast);
    expect(outcome.errors).toEqual([]);
    // The SDK waits reset − Date + 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(
      s.requests
        .filter((r) => r.route === 'listPolicies')
        .map((r) => r.status)
        .slice(0, 2),
    ).toEqual([429, 200]);
    expect(outcome.progress.calls_made).toBe(s.requests.length - 1);
  });

  it('records the call when 429s outlast the retries', async () => {
    const s = await start({
      faults: [{ route: 'listAssignedRolesForUser', kind: 'rate-limit', resetSeconds: 0, times: 2 }],
    });
    const outcome = await scanOkta(
      { orgUrl: s.url, token: DEMO_OKTA_TOKEN },
      { ...fast, rateLimitRetries: 1, concurrency: 1 },
    );
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'okta:listAssignedRolesForUser',
        code: 'E0000047',
        missing_permission: null,
      }),
    ]);
    expect(
      outcome.resources.filter((r) => r.type === 'okta.user' && !('admin_roles' in r.attributes)),
    ).toHaveLength(1);
  });

  it('records a 5xx and a 403 with the scope to grant, and goes on', async () => {
    const org = demoOktaOrg({ asOf: NOW });
    org.deniedRoutes = ['listAssignedRolesForUser'];
    const s = await start({ org, faults: [{ route: 'listPolicyRules', status: 503, times: 1 }] });
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, fast);
    const roles = outcome.errors.filter((e) => e.operation === 'okta:listAssignedRolesForUser');
    expect(roles).toHaveLength(60);
    expect(roles[0]).toMatchObject({ code: 'E0000006', missing_permission: 'okta.roles.read' });
    expect(outcome.errors.filter((e) => e.operation === 'okta:listPolicyRules')).toEqual([
      expect.objectContaining({ code: 'E0000009' }),
    ]);
    expect(outcome.resources.filter((r) => r.type === 'okta.policy')).toHaveLength(8);
    expect(
      outcome.resources.filter((r) => r.type === 'okta.policy' && !('rules' in r.attributes)),
    ).toHaveLength(1);
  });

  it('waits for a slow answer', async () => {
    const s = await start({ faults: [{ route: 'listUsers', delayMs: 300, times: 1 }] });
    const started = Date.now();
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, fast);
    expect(outcome.resources).toHaveLength(68);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('fails fast on a bad token, without printing it', async () => {
    const s = await start();
    const token = '00WrongTokenValueThatOktaRefuses-0000';
    const error = await scanOkta({ orgUrl: s.url, token }, fast).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(inspect(error, { depth: 6 })).not.toContain(token);
    expect(s.requests).toHaveLength(1);
  });

  it('refuses a plain-http org that is not local', async () => {
    await expect(scanOkta({ orgUrl: 'http://acme.okta.com', token: DEMO_OKTA_TOKEN })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
