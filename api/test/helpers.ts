/**
 * Test support for API suites: a Config in a temporary data dir, the app built on a fresh database of the
 * given backend (test/db.ts), and owner-side seeding of tenants and users.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Knex } from 'knex';
import { DEMO_AWS_ACCOUNT_ID, DEMO_AWS_CREDENTIALS } from '../../scanners/aws/fixtures/s3-fixture-server.ts';
import { createTestDatabase, type DatabaseBackend } from '../../test/db.ts';
import { buildApp, type AppOptions } from '../src/app.ts';
import { loadConfig, type Config, type JobsConfig } from '../src/config.ts';
import { lastTokenSentTo } from '../src/mail/mailer.ts';
import { hashPassword } from '../src/plugins/app/passwords.ts';
import { runAsOwner } from '../src/plugins/app/tenancy.ts';
import type { Database } from '../src/plugins/external/db.ts';
import { workerScanPacing } from '../src/scans/call-limiter.ts';
import type { ScanJobDeps } from '../src/scans/pipeline.ts';

/**
 * A config for tests: everything under `dataDir`, in-memory PGlite or `databaseUrl`, no demo, quiet, and the
 * worker's scans paced at 1000 provider calls a second instead of the providers' polite defaults (8-20): the
 * fixture servers answer at once, and a GitHub sandbox scan otherwise spends ~30 s waiting for its turns.
 * Suites about pacing set their own `jobs` (test/scaleout.test.ts, scans/call-limiter.test.ts).
 */
export function testConfig(
  dataDir: string,
  databaseUrl: string | undefined,
  overrides: Partial<Config> = {},
): Config {
  const base = loadConfig({
    COMPLYWISE_DATA_DIR: dataDir,
    COMPLYWISE_DEMO: '0',
    LOG_LEVEL: 'warn',
    COMPLYWISE_SCAN_CALLS_PER_SECOND: '1000',
  });
  return {
    ...base,
    pgliteDir: null,
    ...(databaseUrl ? { databaseUrl } : {}),
    appBuildDir: join(dataDir, 'no-app-build'),
    ...overrides,
  };
}

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

/** Builds the app on a fresh (migrated) database of `backend` with a temporary data dir. */
export async function startTestApp(
  backend: DatabaseBackend,
  options: Omit<Partial<AppOptions>, 'logger'> & {
    logger?: FastifyServerOptions['logger'];
    /** Changes to the test config (kept on the fresh database and data dir). */
    configOverrides?: Partial<Config>;
  } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'complywise-api-test-'));
  const testDb = await createTestDatabase(backend);
  const { configOverrides, ...appOptions } = options;
  const config = options.config ?? testConfig(dataDir, testDb.databaseUrl, configOverrides);
  const database = await testDb.open();
  const app = await buildApp({ logger: false, ...appOptions, config, database, ownsDatabase: false });
  return {
    app,
    database,
    config,
    dataDir,
    async close() {
      await app.close();
      await database.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SeededUser {
  tenantId: string;
  userId: string;
  email: string;
  password: string;
}

/** Creates a tenant and one member (as the owner, like the bootstrap step). */
export async function seedTenant(
  knex: Knex,
  options: {
    slug?: string;
    name?: string;
    email?: string;
    password?: string;
    role?: 'admin' | 'auditor' | 'user';
  } = {},
): Promise<SeededUser> {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const slug = options.slug ?? `t-${tenantId.slice(0, 8)}`;
  const email = options.email ?? `admin@${slug}.example`;
  const password = options.password ?? `pw-${randomUUID()}`;
  const passwordHash = await hashPassword(password);
  await runAsOwner(knex, { tenantId, userId }, async (trx) => {
    await trx('tenants').insert({ id: tenantId, slug, name: options.name ?? `Tenant ${slug}` });
    await trx('users').insert({ id: userId, email, password_hash: passwordHash });
    await trx('memberships').insert({ tenant_id: tenantId, user_id: userId, role: options.role ?? 'admin' });
  });
  return { tenantId, userId, email, password };
}

/** Logs in through the API and returns the session body. */
export async function login(app: FastifyInstance, email: string, password: string, tenantId?: string) {
  const payload = { email, password, ...(tenantId ? { tenant_id: tenantId } : {}) };
  const response = await app.inject({ method: 'POST', url: '/api/auth/login', payload });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json() as {
    access_token: string;
    refresh_token: string;
    tenant: { id: string };
    role: string;
  };
}

/**
 * Adds a member the only way there is: an admin invites the e-mail, the invitee takes the token from the
 * local outbox and accepts it with their own password (new account). Returns the new account's id.
 */
export async function inviteAndAccept(
  t: Pick<TestApp, 'app' | 'dataDir'>,
  adminToken: string,
  member: { email: string; role: 'admin' | 'auditor' | 'user'; password: string },
): Promise<string> {
  const invited = await t.app.inject({
    method: 'POST',
    url: '/api/invitations',
    headers: bearer(adminToken),
    payload: { email: member.email, role: member.role },
  });
  if (invited.statusCode !== 201) throw new Error(`invite failed: ${invited.statusCode} ${invited.body}`);
  const token = lastTokenSentTo(join(t.dataDir, 'outbox'), member.email.toLowerCase(), '/accept-invitation');
  if (!token) throw new Error(`no invitation mailed to ${member.email}`);
  const accepted = await t.app.inject({
    method: 'POST',
    url: '/api/invitations/accept',
    payload: { token, password: member.password },
  });
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`);
  const session = await login(t.app, member.email, member.password, accepted.json().tenant_id);
  return (session as unknown as { user: { id: string } }).user.id;
}

/** Authorization header for an access token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/**
 * What runScanJob needs, taken from a built app: tests run a queued scan's job without the worker. With the
 * app's `jobs` settings the scan is paced as the app's worker paces it (testConfig: 1000 calls a second);
 * without, at the providers' own rates.
 */
export function scanJobDepsOf(app: FastifyInstance, jobs?: Pick<JobsConfig, 'callsPerSecond'>): ScanJobDeps {
  return {
    withTenant: app.withTenant,
    vault: app.vault,
    evidenceStore: app.evidenceStore,
    engine: app.engine,
    log: app.log,
    ledger: app.ledger,
    egress: app.egress.policy,
    ...(jobs ? { pacing: workerScanPacing(app.db.kind, app.withTenant, jobs.callsPerSecond) } : {}),
  };
}

/** A POST /api/integrations body for the demo AWS account served by an S3 fixture server at `endpoint`. */
export function s3SandboxIntegration(name: string, endpoint: string) {
  return {
    provider: 'aws',
    name,
    // The S3 sandbox serves S3 only: new integrations scan every AWS service unless told otherwise.
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint, services: ['s3'] },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  };
}
