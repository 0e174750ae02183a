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
import { durationMinutes, scanOkta, zoneAddress, type OktaScanOptions } from './okta.ts';

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
        persistent_session_cookie: false,
        reauthenticate_in_minutes: null,
      },
    ]);
    expect(policies.find((p) => p.name === 'Admin console')?.attributes.rules).toEqual([
      expect.objectContaining({
        requires_mfa: true,
        max_session_idle_minutes: null,
        persistent_session_cookie: null,
        reauthenticate_in_minutes: 120,
      }),
    ]);
    expect(weak?.attributes.password).toMatchObject({ exclude_common_passwords: false });
    expect(staff?.attributes.password).toMatchObject({ exclude_common_passwords: true });
  });

  it('reads authenticators, network zones, API token metadata and apps from their answers', async () => {
    const s = await start();
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, { ...fast, pageSize: 2 });
    expect(outcome.errors).toEqual([]);
    const host = new URL(s.url).host;
    const of = (type: string): Resource[] => outcome.resources.filter((r) => r.type === type);
    expect(of('okta.authenticator')).toHaveLength(7);
    expect(of('okta.network_zone')).toHaveLength(5);
    expect(of('okta.api_token')).toHaveLength(3);
    expect(of('okta.application')).toHaveLength(6);
    // Zones, tokens and apps are paged with after cursors like users.
    expect(s.requests.filter((r) => r.route === 'listApplications')).toHaveLength(3);
    expect(byName(outcome.resources, 'Phone')).toMatchObject({
      id: `okta:${host}:authenticator/autphonenumdemo`,
      attributes: {
        key: 'phone_number',
        authenticator_type: 'phone',
        status: 'ACTIVE',
        allowed_for: 'any',
        user_verification: null,
      },
    });
    expect(byName(outcome.resources, 'Okta Verify').attributes).toMatchObject({
      user_verification: 'PREFERRED',
    });
    expect(byName(outcome.resources, 'Legacy VPN (any address)').attributes).toEqual({
      zone_type: 'IP',
      status: 'ACTIVE',
      usage: 'POLICY',
      system: false,
      gateways: [
        { type: 'RANGE', value: '1.0.0.0-126.255.255.255', version: 4, prefix_length: 1 },
        { type: 'CIDR', value: '2001:db8::/16', version: 6, prefix_length: 16 },
      ],
      proxies: [],
      proxy_type: null,
    });
    expect(byName(outcome.resources, 'Office').attributes.gateways).toEqual([
      { type: 'CIDR', value: '203.0.113.0/24', version: 4, prefix_length: 24 },
      // 31 addresses need a /27.
      { type: 'RANGE', value: '192.0.2.10-192.0.2.40', version: 4, prefix_length: 27 },
    ]);
    const scripts = byName(outcome.resources, 'Admin scripts');
    expect(scripts.attributes).toMatchObject({
      network_connection: 'ANYWHERE',
      network_include: [],
      token_window: 'P30D',
      client_name: 'Okta API',
    });
    expect(scripts.attributes.user_id).toBe(
      byName(outcome.resources, 'user00@acme.example').id.split('/').pop(),
    );
    expect(byName(outcome.resources, 'HR provisioning').attributes).toMatchObject({
      network_connection: 'ZONE',
      network_include: ['nzoOffice'],
    });
    expect(byName(outcome.resources, 'Legacy dashboard (SPA)').attributes).toEqual({
      app_name: 'oidc_client',
      status: 'ACTIVE',
      sign_on_mode: 'OPENID_CONNECT',
      application_type: 'browser',
      grant_types: ['implicit'],
      token_endpoint_auth_method: 'none',
      pkce_required: false,
      access_policy_id: '00pACCdefault',
    });
    expect(byName(outcome.resources, 'Team wiki').attributes).toMatchObject({
      sign_on_mode: 'BROWSER_PLUGIN',
      grant_types: null,
      pkce_required: null,
    });
  });

  it('records a refused settings read with its scope and keeps the rest', async () => {
    const org = demoOktaOrg({ asOf: NOW });
    org.deniedRoutes = ['listApiTokens', 'listNetworkZones'];
    const s = await start({ org });
    const outcome = await scanOkta({ orgUrl: s.url, token: DEMO_OKTA_TOKEN }, fast);
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'okta:listNetworkZones',
        missing_permission: 'okta.networkZones.read',
      }),
      expect.objectContaining({ operation: 'okta:listApiTokens', missing_permission: 'okta.apiTokens.read' }),
    ]);
    expect(
      outcome.resources.filter((r) => r.type === 'okta.api_token' || r.type === 'okta.network_zone'),
    ).toEqual([]);
    expect(outcome.resources.filter((r) => r.type === 'okta.application')).toHaveLength(6);
  });
});

describe('Okta value parsing', () => {
  it('reads ISO 8601 durations as minutes and address blocks as prefix lengths', () => {
    expect(durationMinutes('PT2H')).toBe(120);
    expect(durationMinutes('P1D')).toBe(1440);
    expect(durationMinutes('PT0S')).toBe(0);
    expect(durationMinutes('PT1H30M')).toBe(90);
    expect(durationMinutes('soon')).toBeNull();
    expect(durationMinutes('PT')).toBeNull();
    expect(durationMinutes(undefined)).toBeNull();
    expect(zoneAddress({ type: 'CIDR', value: '10.0.0.1' })).toMatchObject({ version: 4, prefix_length: 32 });
    expect(zoneAddress({ type: 'CIDR', value: '0.0.0.0/0' })).toMatchObject({ version: 4, prefix_length: 0 });
    expect(zoneAddress({ type: 'RANGE', value: '0.0.0.0-255.255.255.255' })).toMatchObject({
      prefix_length: 0,
    });
    expect(zoneAddress({ type: 'RANGE', value: '10.0.0.5-10.0.0.5' })).toMatchObject({ prefix_length: 32 });
    expect(zoneAddress({ type: 'RANGE', value: '10.0.0.9-10.0.0.1' })).toMatchObject({ prefix_length: null });
    expect(zoneAddress({ type: 'CIDR', value: '::/0' })).toMatchObject({ version: 6, prefix_length: 0 });
    expect(zoneAddress({ type: 'RANGE', value: '2001:db8::-2001:db8::ffff' })).toMatchObject({
      version: 6,
      prefix_length: 112,
    });
    expect(zoneAddress({ type: 'CIDR', value: '300.1.1.1/8' })).toMatchObject({ prefix_length: null });
    expect(zoneAddress({ type: 'CIDR', value: '10.0.0.0/33' })).toMatchObject({ prefix_length: null });
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
    // 60 users, 8 policies, 7 authenticators, 5 zones, 3 API tokens, 6 apps.
    expect(outcome.resources).toHaveLength(89);
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
