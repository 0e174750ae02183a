/**
 * Route permissions and tenant isolation, generated from the app's own route table: every registered /api
 * route must declare a permission, and every route x role x (own tenant, foreign tenant, anonymous) is
 * called against two tenants that each ran a real scan. Expectations come from the declared permission:
 * anonymous → 401, a role outside the permission → 403 whatever the id, an allowed role → 2xx on its own
 * objects and 404 (never 403) on the other tenant's, and no answer to tenant A ever contains a marker of
 * tenant B (its ids, evidence hashes or bucket names).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoS3Account,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../test/helpers.ts';
import { lastTokenSentTo } from './mail/mailer.ts';
import {
  MissingPermissionError,
  PERMISSIONS,
  ROLES,
  accessControlPlugin,
  rolesOf,
  type Permission,
} from './plugins/app/access.ts';
import type { Role } from './auth/role.ts';
import { QUEUED_PROGRESS } from './scans/types.ts';
import { hashPassword } from './plugins/app/passwords.ts';
import { runAsOwner } from './plugins/app/tenancy.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Routes anyone may call without a token. Making a route public is a decision: it changes this list. */
const PUBLIC_ROUTES = [
  'GET /api/auth/demo',
  'GET /api/auth/signup',
  'GET /api/demo/outbox',
  'GET /api/health/live',
  'GET /api/health/ready',
  'GET /api/openapi.json',
  'POST /api/auth/login',
  'POST /api/auth/logout',
  'POST /api/auth/password-reset',
  'POST /api/auth/password-reset/confirm',
  'POST /api/auth/refresh',
  'POST /api/auth/signup',
  'POST /api/auth/signup/complete',
  'POST /api/invitations/accept',
];

/**
 * The routes that change something (not GET) an auditor may call: their own password, a readiness report, and
 * in an audit that lists them, feedback marks and samples (both recorded, neither changes a result). Letting
 * auditors change anything else is a decision: it changes this list (docs/security.md says why).
 */
const AUDITOR_WRITES = [
  'POST /api/audits/:id/marks',
  'POST /api/audits/:id/samples',
  'POST /api/auth/password',
  'POST /api/reports',
];

/** One tenant's objects, as created through the API. */
interface TenantFixture {
  tenantId: string;
  tokens: Record<Role, string>;
  userIds: string[];
  integrationId: string;
  scanId: string;
  /** The scoring event the scan caused (a past posture snapshot). */
  scoringEventId: string;
  /** Scans left queued without a job, one for each call of the cancel route (a cancel is final). */
  cancellableScanIds: string[];
  controlId: string;
  evidenceSha256: string;
  /** A finding of the scan, and its resource (URL-encoded: an ARN). */
  findingId: string;
  resourceId: string;
  apiTokenId: string;
  /** A member (role user) the member routes re-role and remove. */
  memberId: string;
  /** A second member with the auditor role, whom no audit lists. */
  outsiderAuditorToken: string;
  /** A pending invitation the revoke route withdraws. */
  invitationId: string;
  /** An integration without scans, for the integration routes (change, test, delete). */
  spareIntegrationId: string;
  overrideId: string;
  frameworkUploadId: string;
  ruleHash: string;
  /** A readiness report that succeeded (its file can be downloaded). */
  reportId: string;
  /** An open audit covering now, with the tenant's auditor among its auditors. */
  auditId: string;
  /** Open audits, one for each call of the close route (closing is final). */
  closableAuditIds: string[];
  /** A sample drawn in the audit. */
  sampleId: string;
  sandboxUrl: string;
  bucketMarker: string;
}

/**
 * The value of each path parameter, named `<segment before it>.<param>`. A new route with a parameter not
 * listed here fails the matrix until its fixture is added.
 */
const PATH_PARAMS: Record<string, (f: TenantFixture) => string> = {
  'scans.id': (f) => f.scanId,
  'events.eventId': (f) => f.scoringEventId,
  'controls.controlId': (f) => f.controlId,
  'evidence.sha256': (f) => f.evidenceSha256,
  'tokens.id': (f) => f.apiTokenId,
  'members.userId': (f) => f.memberId,
  'invitations.invitationId': (f) => f.invitationId,
  'integrations.integrationId': (f) => f.spareIntegrationId,
  'overrides.id': (f) => f.overrideId,
  'uploads.uploadId': (f) => f.frameworkUploadId,
  'rules.ruleId': () => 'CW-AWS-S3-001',
  'versions.hash': (f) => f.ruleHash,
  'diff.other': (f) => f.ruleHash,
  'coverage.frameworkId': () => 'soc2',
  'frameworks.frameworkId': () => 'soc2',
  'reports.id': (f) => f.reportId,
  'findings.findingId': (f) => f.findingId,
  'resources.resourceId': (f) => encodeURIComponent(f.resourceId),
  'requirements.requirementId': () => 'CC6.1',
  'audits.id': (f) => f.auditId,
  'samples.sampleId': (f) => f.sampleId,
  // Enabled in every matrix tenant, so its scores answer.
  'rule-packs.packId': () => 'cis-aws-foundations-5.0-l1',
};

/** Routes whose path parameter needs a fixture of its own (consumed per call), not the shared one. */
const ROUTE_PATH_PARAMS: Record<string, (f: TenantFixture) => string> = {
  'POST /api/scans/:id/cancel': (f) => f.cancellableScanIds.pop() ?? f.scanId,
  'POST /api/audits/:id/close': (f) => f.closableAuditIds.pop() ?? f.auditId,
  // Another pack than the scored one: disabling it leaves the scores route answering.
  'DELETE /api/rule-packs/:packId': () => 'okta-baseline',
};

/** A tenant framework catalog (POST /api/frameworks): one requirement, mapped to a control people assess. */
const MATRIX_CATALOG = [
  'id: matrix-fw',
  "version: '1'",
  'title: Matrix framework',
  'owner: Matrix',
  'source: https://matrix.example',
  'license: Internal',
  'text_policy: official_text',
  'requirements: [{ id: M1, title: Reviewed }]',
  'mappings: [{ control: UCF-GOV-01, requirement: M1, relationship: equal, rationale: reviewed }]',
].join('\n');

/** An audit of the soc2 framework over the hour around the tenant's scan. */
const AUDIT_BODY = {
  name: 'Matrix audit',
  frameworks: [{ framework_id: 'soc2' }],
  period_start: new Date(Date.now() - 3_600_000).toISOString(),
  period_end: new Date(Date.now() + 3_600_000).toISOString(),
};

/** The passwords of the calling tenant's members (every matrix call is made with that tenant's tokens). */
const CALLER_PASSWORDS = {} as Record<Role, string>;

/** Request bodies of the routes that take one, built against the tenant whose objects they reference. */
const BODIES: Record<string, (f: TenantFixture, role?: Role) => unknown> = {
  // The caller's own account: keeps its password, so the rest of the matrix signs in as before.
  'POST /api/auth/password': (_f, role = 'admin') => ({
    current_password: CALLER_PASSWORDS[role],
    new_password: CALLER_PASSWORDS[role],
  }),
  'POST /api/overrides': () => ({ kind: 'severity', rule_id: 'CW-AWS-S3-001', severity: 'low' }),
  'POST /api/frameworks': () => ({ format: 'yaml', content: MATRIX_CATALOG }),
  'PUT /api/settings/retention': () => ({ evidence_days: 3650, audit_log_days: 3650 }),
  'PUT /api/settings/legal-hold': () => ({ reason: 'matrix: litigation hold' }),
  'PUT /api/settings/scoring': () => ({ default: { evidence_freshness_days: 90 } }),
  // UCF-GOV-01 is a control people assess (no rules test it).
  'POST /api/evidence/manual': () => ({ control_id: 'UCF-GOV-01', note: { reviewed: true } }),
  'POST /api/tokens': () => ({ name: `matrix ${randomUUID()}`, role: 'auditor', expires_in_days: 1 }),
  'POST /api/scans': (f) => ({ integration_id: f.integrationId }),
  'POST /api/reports': () => ({ kind: 'readiness', framework_id: 'soc2' }),
  'POST /api/audits': () => AUDIT_BODY,
  'POST /api/audits/:id/auditors': () => ({ email: `matrix-auditor-${randomUUID()}@example.com` }),
  'POST /api/audits/:id/close': () => ({}),
  'POST /api/audits/:id/samples': () => ({ resource_type: 'aws.s3.bucket', size: 2, seed: 'matrix' }),
  'POST /api/audits/:id/marks': () => ({
    framework_id: 'soc2',
    requirement_id: 'CC6.1',
    mark: 'flagged',
    comment: 'matrix: the access review is a year old',
  }),
  'POST /api/scans/:id/cancel': () => ({}),
  // Enabling a pack takes no body: the pack is the path.
  'PUT /api/rule-packs/:packId': () => undefined,
  'PUT /api/integrations/:integrationId/schedule': () => ({ cron: '0 3 * * *' }),
  'POST /api/invitations': () => ({ email: `matrix-${randomUUID()}@example.com`, role: 'user' }),
  'PATCH /api/members/:userId': () => ({ role: 'auditor' }),
  'PATCH /api/integrations/:integrationId': () => ({ name: `renamed ${randomUUID()}` }),
  'POST /api/integrations/:integrationId/test': () => ({}),
  'POST /api/integrations': (f) => ({
    provider: 'aws',
    name: `matrix ${randomUUID()}`,
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: f.sandboxUrl },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  }),
};

/** Required query strings of the routes that need one. */
const QUERIES: Record<string, string> = {
  'GET /api/ledger/export': '?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z',
  'GET /api/rules/in-force': '?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z',
  'GET /api/scores/history': '?framework=soc2',
};

/** Path parameters naming shared (global) objects, the same for every tenant: rules and their versions, frameworks. */
const SHARED_PATH_PARAMS = new Set([
  ':ruleId',
  ':hash',
  ':other',
  ':frameworkId',
  ':requirementId',
  // A UCF control: every tenant's posture may have a result for it (the scan route's :id stays a tenant object).
  ':controlId',
  // A rule pack of the deployed bundle; whether a tenant enabled it is that tenant's own.
  ':packId',
]);

/** Whether a route names a tenant object (in its path or body), so the foreign case must answer 404. */
function referencesObject(method: string, url: string, body: unknown): boolean {
  const tenantParam = url.split('/').some((s) => s.startsWith(':') && !SHARED_PATH_PARAMS.has(s));
  // rule_id, control_id, framework_id and requirement_id name shared catalog entries, not tenant objects.
  return (
    tenantParam ||
    (body !== undefined &&
      /"(?!(?:rule|control|framework|requirement)_id")\w*_id"/.test(JSON.stringify(body)))
  );
}

function fillPath(url: string, fixture: TenantFixture, method = 'GET'): string {
  const segments = url.split('/');
  const query = QUERIES[`${method} ${url}`] ?? '';
  return segments
    .map((segment, index) => {
      if (!segment.startsWith(':')) return segment;
      const key = `${segments[index - 1]}.${segment.slice(1)}`;
      const value = ROUTE_PATH_PARAMS[`${method} ${url}`] ?? PATH_PARAMS[key];
      if (!value) throw new Error(`no fixture for path parameter ${key} of ${url}: add it to PATH_PARAMS`);
      return value(fixture);
    })
    .join('/')
    .concat(query);
}

describe('access control registration', () => {
  it('grants exactly the roles of the matrix written in docs/security.md', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'security.md'), 'utf8');
    const written: Record<string, Role[] | null> = {};
    for (const match of doc.matchAll(
      /^\| `([a-z:]+)`\s*\|\s*(yes|no)\s*\|\s*(yes|no)\s*\|\s*(yes|no)\s*\|/gm,
    )) {
      const [, permission, ...cells] = match;
      written[permission!] =
        permission === 'public' ? null : ROLES.filter((_role, index) => cells[index] === 'yes');
    }
    const coded = Object.fromEntries(
      Object.entries(PERMISSIONS).map(([permission, roles]) => [permission, roles ? [...roles] : null]),
    );
    expect(written).toEqual(coded);
  });

  it('refuses to register an /api route that declares no permission', async () => {
    const app = Fastify({ logger: false });
    await app.register(
      fp(
        async (instance) => {
          instance.decorate('authenticate', async () => {});
        },
        { name: 'auth' },
      ),
    );
    // Not awaited: the registration error surfaces from ready().
    void app.register(async (api) => {
      await api.register(accessControlPlugin);
      api.get('/undeclared', async () => ({ ok: true }));
    });
    await expect(app.ready()).rejects.toBeInstanceOf(MissingPermissionError);
  });

  it('refuses a permission name that is not in the table', async () => {
    const app = Fastify({ logger: false });
    await app.register(
      fp(
        async (instance) => {
          instance.decorate('authenticate', async () => {});
        },
        { name: 'auth' },
      ),
    );
    void app.register(async (api) => {
      await api.register(accessControlPlugin);
      api.get('/typo', { config: { permission: 'tenant:raed' as Permission } }, async () => ({}));
    });
    await expect(app.ready()).rejects.toThrow(/declares no permission/);
  });
});

describe.each(databaseBackends())('route permissions and tenant isolation on $name', (backend) => {
  let t: TestApp;
  const sandboxes: S3FixtureServer[] = [];
  let own: TenantFixture;
  let foreign: TenantFixture;

  async function waitForScan(id: string, token: string): Promise<Json> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const response = await t.app.inject({ method: 'GET', url: `/api/scans/${id}`, headers: bearer(token) });
      const body = response.json() as Json;
      if (body.status === 'succeeded' || body.status === 'failed') return body;
      if (Date.now() > deadline) throw new Error(`scan ${id} still ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Asks for a soc2 readiness report and waits for the worker to make it; returns its id. */
  async function succeededReport(token: string): Promise<string> {
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/reports',
      headers: bearer(token),
      payload: { kind: 'readiness', framework_id: 'soc2' },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const id = queued.json().id as string;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const report = (
        await t.app.inject({ url: `/api/reports/${id}`, headers: bearer(token) })
      ).json() as Json;
      if (report.status === 'succeeded') return id;
      if (report.status === 'failed' || Date.now() > deadline)
        throw new Error(`report ${JSON.stringify(report)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** A tenant with one member per role, an integration on its own sandbox, and a finished scan. */
  async function makeTenant(slug: string, bucketMarker: string): Promise<TenantFixture> {
    const account = demoS3Account();
    account.buckets = account.buckets.map((b) => ({
      ...b,
      name: b.name.replace(DEMO_AWS_ACCOUNT_ID, bucketMarker),
    }));
    const sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1', account });
    sandboxes.push(sandbox);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug });
    const userIds = [admin.userId];
    if (slug === 'matrix-own') CALLER_PASSWORDS.admin = admin.password;
    const tokens = { admin: (await login(t.app, admin.email, admin.password)).access_token } as Record<
      Role,
      string
    >;
    for (const role of ['auditor', 'user'] as const) {
      const userId = randomUUID();
      const email = `${role}@${slug}.example`;
      const password = `pw-${randomUUID()}`;
      const passwordHash = await hashPassword(password);
      await runAsOwner(t.database.knex, { tenantId: admin.tenantId, userId }, async (trx) => {
        await trx('users').insert({ id: userId, email, password_hash: passwordHash });
        await trx('memberships').insert({ tenant_id: admin.tenantId, user_id: userId, role });
      });
      userIds.push(userId);
      if (slug === 'matrix-own') CALLER_PASSWORDS[role] = password;
      tokens[role] = (await login(t.app, email, password)).access_token;
    }
    const memberId = randomUUID();
    await runAsOwner(t.database.knex, { tenantId: admin.tenantId, userId: memberId }, async (trx) => {
      await trx('users').insert({ id: memberId, email: `member@${slug}.example`, password_hash: 'x' });
      await trx('memberships').insert({ tenant_id: admin.tenantId, user_id: memberId, role: 'user' });
    });
    userIds.push(memberId);
    const outsiderId = randomUUID();
    const outsiderPassword = `pw-${randomUUID()}`;
    const outsiderHash = await hashPassword(outsiderPassword);
    await runAsOwner(t.database.knex, { tenantId: admin.tenantId, userId: outsiderId }, async (trx) => {
      await trx('users').insert({
        id: outsiderId,
        email: `outsider@${slug}.example`,
        password_hash: outsiderHash,
      });
      await trx('memberships').insert({ tenant_id: admin.tenantId, user_id: outsiderId, role: 'auditor' });
    });
    userIds.push(outsiderId);
    const outsiderAuditorToken = (await login(t.app, `outsider@${slug}.example`, outsiderPassword))
      .access_token;
    const base = { tenantId: admin.tenantId, tokens, userIds, sandboxUrl: sandbox.url, bucketMarker };
    const integration = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(tokens.admin),
      payload: BODIES['POST /api/integrations']!(base as TenantFixture) as Record<string, unknown>,
    });
    expect(integration.statusCode, integration.body).toBe(201);
    const integrationId = integration.json().id as string;
    const spare = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(tokens.admin),
      payload: BODIES['POST /api/integrations']!(base as TenantFixture) as Record<string, unknown>,
    });
    expect(spare.statusCode, spare.body).toBe(201);
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(tokens.admin),
      payload: { integration_id: integrationId },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const scanId = queued.json().id as string;
    expect((await waitForScan(scanId, tokens.admin)).status).toBe('succeeded');
    const findings = (
      await t.app.inject({
        method: 'GET',
        url: `/api/scans/${scanId}/findings`,
        headers: bearer(tokens.admin),
      })
    ).json().items as Json[];
    const controls = (
      await t.app.inject({
        method: 'GET',
        url: `/api/scans/${scanId}/controls`,
        headers: bearer(tokens.admin),
      })
    ).json().items as Json[];
    const posture = (await t.app.inject({ url: '/api/scores', headers: bearer(tokens.admin) })).json()
      .posture;
    expect(posture.event_scan_id).toBe(scanId);
    const evidenceSha256 = findings.find((f) => f.evidence_sha256)?.evidence_sha256 as string;
    const cancellable = (await t.app.withTenant(admin.tenantId, (trx) =>
      trx('scans')
        .insert(
          [1, 2, 3, 4, 5, 6].map(() => ({
            tenant_id: admin.tenantId,
            integration_id: integrationId,
            progress: JSON.stringify(QUEUED_PROGRESS),
          })),
        )
        .returning('id'),
    )) as { id: string }[];
    expect(evidenceSha256).toMatch(/^[0-9a-f]{64}$/);
    const apiToken = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: bearer(tokens.admin),
      payload: { name: 'fixture', role: 'auditor', expires_in_days: 1 },
    });
    expect(apiToken.statusCode, apiToken.body).toBe(201);
    const override = await t.app.inject({
      method: 'POST',
      url: '/api/overrides',
      headers: bearer(tokens.admin),
      payload: { kind: 'enabled', rule_id: 'CW-AWS-S3-001', enabled: true },
    });
    expect(override.statusCode, override.body).toBe(201);
    const pack = await t.app.inject({
      method: 'PUT',
      url: '/api/rule-packs/cis-aws-foundations-5.0-l1',
      headers: bearer(tokens.admin),
    });
    expect(pack.statusCode, pack.body).toBe(200);
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/frameworks',
      headers: bearer(tokens.admin),
      payload: { format: 'yaml', content: MATRIX_CATALOG },
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const versions = await t.app.inject({
      url: '/api/rules/CW-AWS-S3-001/versions',
      headers: bearer(tokens.admin),
    });
    expect(versions.statusCode, versions.body).toBe(200);
    const invitation = await t.app.inject({
      method: 'POST',
      url: '/api/invitations',
      headers: bearer(tokens.admin),
      payload: { email: `invited@${slug}.example`, role: 'auditor' },
    });
    expect(invitation.statusCode, invitation.body).toBe(201);
    const reportId = await succeededReport(tokens.admin);
    const audits: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const audit = await t.app.inject({
        method: 'POST',
        url: '/api/audits',
        headers: bearer(tokens.admin),
        payload: AUDIT_BODY,
      });
      expect(audit.statusCode, audit.body).toBe(201);
      audits.push(audit.json().id as string);
    }
    const auditId = audits.pop()!;
    const auditorEmail = `auditor@${slug}.example`;
    const auditor = await t.app.inject({
      method: 'POST',
      url: `/api/audits/${auditId}/auditors`,
      headers: bearer(tokens.admin),
      payload: { email: auditorEmail },
    });
    expect(auditor.json(), auditor.body).toMatchObject({ status: 'active' });
    const sample = await t.app.inject({
      method: 'POST',
      url: `/api/audits/${auditId}/samples`,
      headers: bearer(tokens.admin),
      payload: { resource_type: 'aws.s3.bucket', size: 2 },
    });
    expect(sample.statusCode, sample.body).toBe(201);
    return {
      ...base,
      memberId,
      outsiderAuditorToken,
      invitationId: invitation.json().id,
      integrationId,
      spareIntegrationId: spare.json().id,
      scanId,
      scoringEventId: posture.event_id as string,
      cancellableScanIds: cancellable.map((row) => row.id),
      controlId: controls[0]!.control_id,
      evidenceSha256,
      findingId: findings[0]!.id as string,
      // A resource only this tenant's sandbox has (its buckets carry the marker); two tenants scanning the
      // same account would both see its account-level resources.
      resourceId: findings.find((f) => String(f.resource_id).includes(bucketMarker))!.resource_id as string,
      apiTokenId: apiToken.json().id,
      overrideId: override.json().id,
      frameworkUploadId: upload.json().id,
      ruleHash: versions.json().items[0].hash,
      reportId,
      auditId,
      closableAuditIds: audits,
      sampleId: sample.json().id as string,
    };
  }

  beforeAll(async () => {
    t = await startTestApp(backend, { configOverrides: { signup: true } });
    // Nothing of one tenant's setup depends on the other's: both at once, so their scans and reports overlap.
    [own, foreign] = await Promise.all([
      makeTenant('matrix-own', 'ownco'),
      makeTenant('matrix-foreign', 'foreignco'),
    ]);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    for (const sandbox of sandboxes) await sandbox.close();
  });

  const apiRoutes = () =>
    t.app.routeCatalog.filter(
      (r) => r.url.startsWith('/api') && r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );

  it('every registered /api route declares a known permission, and only the listed ones are public', () => {
    const routes = apiRoutes();
    expect(routes.length).toBeGreaterThan(10);
    const undeclared = routes.filter((r) => !r.permission || !(r.permission in PERMISSIONS));
    expect(undeclared).toEqual([]);
    const publicRoutes = routes
      .filter((r) => rolesOf(r.permission!) === null)
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(publicRoutes).toEqual(PUBLIC_ROUTES);
    const auditorWrites = routes
      .filter((r) => r.method !== 'GET' && rolesOf(r.permission!)?.includes('auditor'))
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(auditorWrites).toEqual(AUDITOR_WRITES);
    // Routes outside /api are only the static app's GET/HEAD file routes.
    const others = t.app.routeCatalog.filter((r) => !r.url.startsWith('/api'));
    expect(others.every((r) => r.method === 'GET' || r.method === 'HEAD')).toBe(true);
  });

  it('route x role x (own, foreign, anonymous): the declared roles only, 0 foreign successes', async () => {
    const foreignMarkers = [
      foreign.tenantId,
      foreign.integrationId,
      foreign.spareIntegrationId,
      foreign.scanId,
      foreign.evidenceSha256,
      foreign.findingId,
      foreign.apiTokenId,
      foreign.overrideId,
      foreign.frameworkUploadId,
      foreign.invitationId,
      foreign.reportId,
      foreign.auditId,
      ...foreign.closableAuditIds,
      foreign.bucketMarker,
      ...foreign.userIds,
    ];
    const failures: string[] = [];
    let foreignSuccesses = 0;
    let cells = 0;
    const call = async (method: string, url: string, token: string | null, body: unknown) => {
      const response = await t.app.inject({
        method: method as 'GET',
        url,
        headers: token ? bearer(token) : {},
        ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
      });
      return { status: response.statusCode, text: response.body };
    };

    for (const route of apiRoutes()) {
      const roles = rolesOf(route.permission!);
      if (roles === null) continue;
      const name = `${route.method} ${route.url}`;
      const makeBody = BODIES[name];
      if (route.method !== 'GET' && route.method !== 'DELETE' && !makeBody) {
        failures.push(`${name}: no request body fixture (add it to BODIES)`);
        continue;
      }

      const anonymous = await call(
        route.method,
        fillPath(route.url, own, route.method),
        null,
        makeBody?.(own),
      );
      cells += 1;
      if (anonymous.status !== 401) failures.push(`${name} anonymous: ${anonymous.status}`);

      for (const role of ROLES) {
        const token = own.tokens[role];
        const allowed = roles.includes(role);
        const ownCall = await call(
          route.method,
          fillPath(route.url, own, route.method),
          token,
          makeBody?.(own, role),
        );
        const foreignBody = makeBody?.(foreign, role);
        // Filled once: a per-call fixture (ROUTE_PATH_PARAMS) hands out a new id on every fill.
        const foreignUrl = fillPath(route.url, foreign, route.method);
        const foreignCall = await call(route.method, foreignUrl, token, foreignBody);
        cells += 2;
        const cell = `${name} as ${role}`;
        if (allowed && (ownCall.status < 200 || ownCall.status > 299))
          failures.push(`${cell} own: expected 2xx, got ${ownCall.status} ${ownCall.text.slice(0, 200)}`);
        if (!allowed && ownCall.status !== 403)
          failures.push(`${cell} own: expected 403, got ${ownCall.status}`);
        for (const [kind, answer] of [
          ['own', ownCall],
          ['foreign', foreignCall],
        ] as const) {
          // A 404 may echo the id the caller sent; anything else of tenant B must never appear.
          const sent = kind === 'own' ? '' : `${foreignUrl} ${JSON.stringify(foreignBody)}`;
          const leaked = foreignMarkers.filter((m) => answer.text.includes(m) && !sent.includes(m));
          if (leaked.length > 0) failures.push(`${cell} ${kind}: answer contains tenant B markers ${leaked}`);
        }
        if (referencesObject(route.method, route.url, foreignBody)) {
          if (foreignCall.status >= 200 && foreignCall.status < 300) foreignSuccesses += 1;
          // An allowed role learns nothing: 404. A refused role gets the same 403 as for its own ids.
          const expected = allowed ? 404 : 403;
          if (foreignCall.status !== expected)
            failures.push(`${cell} foreign: expected ${expected}, got ${foreignCall.status}`);
        } else if (foreignCall.status !== ownCall.status && !(allowed && foreignCall.status < 300)) {
          failures.push(`${cell} foreign: ${foreignCall.status} differs from own ${ownCall.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(foreignSuccesses).toBe(0);
    expect(cells).toBeGreaterThan(50);
  }, 180_000);

  it('an auditor sees only the audits that list them: 404 on every route of another, left out of the list', async () => {
    const failures: string[] = [];
    let called = 0;
    for (const route of apiRoutes()) {
      if (!route.url.startsWith('/api/audits/:id') || !rolesOf(route.permission!)?.includes('auditor'))
        continue;
      const name = `${route.method} ${route.url}`;
      const answer = await t.app.inject({
        method: route.method as 'GET',
        url: fillPath(route.url, own, route.method),
        headers: bearer(own.outsiderAuditorToken),
        ...(BODIES[name] ? { payload: BODIES[name](own, 'auditor') as Record<string, unknown> } : {}),
      });
      called += 1;
      const code = answer.statusCode === 404 ? (answer.json() as Json).error?.code : answer.statusCode;
      if (code !== 'AUDIT_NOT_FOUND')
        failures.push(`${name}: ${answer.statusCode} ${answer.body.slice(0, 200)}`);
      if (answer.body.includes(own.auditId) && !answer.body.includes('no audit'))
        failures.push(`${name}: answer names the audit`);
    }
    expect(failures).toEqual([]);
    expect(called).toBeGreaterThan(10);
    const list = (token: string) =>
      t.app
        .inject({ url: '/api/audits?limit=200', headers: bearer(token) })
        .then((answer) => ((answer.json() as Json).items as Json[]).map((a) => a.id as string));
    expect(await list(own.outsiderAuditorToken)).toEqual([]);
    expect(await list(own.tokens.auditor)).toEqual([own.auditId]);
    expect(await list(own.tokens.admin)).toEqual(
      expect.arrayContaining([own.auditId, ...own.closableAuditIds]),
    );
  });

  it('public account routes: tenant A signed in with any role gets nothing of tenant B through them', async () => {
    const foreignAdmin = 'admin@matrix-foreign.example';
    const foreignMarkers = [foreign.tenantId, foreign.invitationId, ...foreign.userIds];
    // A sign-up link mailed to tenant B's admin (an existing account), forwarded to tenant A's members.
    await t.app.inject({
      method: 'POST',
      url: '/api/auth/signup',
      payload: { organization_name: 'Forwarded', email: foreignAdmin },
    });
    const signupToken = lastTokenSentTo(join(t.dataDir, 'outbox'), foreignAdmin, '/signup')!;
    const outcomes: string[] = [];
    let foreignSuccesses = 0;
    for (const role of ROLES) {
      const calls = [
        { url: '/api/auth/password-reset', payload: { email: foreignAdmin }, expected: 202 },
        {
          url: '/api/auth/password-reset/confirm',
          payload: { token: 'D'.repeat(43), new_password: 'tin-meadow-harbor-31' },
          expected: 400,
        },
        {
          url: '/api/auth/signup/complete',
          payload: { token: signupToken, password: 'tin-meadow-harbor-31' },
          expected: 403,
        },
      ];
      for (const call of calls) {
        const answer = await t.app.inject({
          method: 'POST',
          url: call.url,
          headers: bearer(own.tokens[role]),
          payload: call.payload,
        });
        if (answer.statusCode !== call.expected)
          outcomes.push(
            `${call.url} as ${role}: expected ${call.expected}, got ${answer.statusCode} ${answer.body}`,
          );
        if (answer.statusCode >= 200 && answer.statusCode < 300 && call.expected !== 202)
          foreignSuccesses += 1;
        const leaked = foreignMarkers.filter((m) => answer.body.includes(m));
        if (leaked.length > 0)
          outcomes.push(`${call.url} as ${role}: answer contains tenant B markers ${leaked}`);
      }
    }
    expect(outcomes).toEqual([]);
    expect(foreignSuccesses).toBe(0);
    // Tenant B's admin still signs in to tenant B only.
    const memberships = await runAsOwner(t.database.knex, {}, (trx) =>
      trx('memberships as m')
        .join('users as u', 'u.id', 'm.user_id')
        .where('u.email', foreignAdmin)
        .pluck('m.tenant_id'),
    );
    expect(memberships).toEqual([foreign.tenantId]);
  });
});
