/**
 * Property-based fuzzing of every /api route, generated from the app's own route table and each route's
 * declared schemas (a route added tomorrow is fuzzed without touching this file). Two tenants each own a
 * real scan (the real scanner against the S3 sandbox, the real rule bundle); the app runs WITHOUT the scan
 * worker, so fuzzed scan creations queue jobs nobody runs. Properties, for every route:
 *  - valid and broken params, query strings and bodies, as tenant A's admin (on a route admins may not call,
 *    as the auditor its audit lists: feedback marks) and anonymously: never a 5xx,
 *    anonymous → 401 on protected routes (or an error Fastify decides before the guards run: routing and
 *    body parsing, BEFORE_AUTH_CODES), every answer matches the schema the route declares for its status
 *    (errors: the shared { error: { code, message } } shape with a known code of that status; a success
 *    without a declared schema fails unless listed in FREE_FORM_ANSWERS; a file answer, declared as
 *    `content: { 'text/csv': … }`, must come as that type), and no answer contains an id or
 *    hash of tenant B that the request did not send (nor an earlier write of A stored as its own text);
 *  - classic SQL-injection strings in every string parameter: no 5xx, tenant B's rows unchanged (count and
 *    content digest), no table gone, no row count of tenant A lower, a stored payload reads back verbatim.
 * Runs are seeded: FUZZ_SEED=<n> replays a run (the seed is in every failure message), FUZZ_RUNS sets the
 * number of generated requests per route (default 25: the file runs in about 30 s on both backends when the
 * machine is not busy). FUZZ_STATS=1 prints the statuses each route answered, FUZZ_STATS=2 also every 400.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../test/db.ts';
import { rolesOf, type RouteCatalogEntry } from '../../src/plugins/app/access.ts';
import { runAsOwner } from '../../src/plugins/app/tenancy.ts';
import { runScanJob } from '../../src/worker/scan-job.ts';
import { addMember } from '../scanned-tenant.ts';
import {
  bearer,
  login,
  s3SandboxIntegration,
  scanJobDepsOf,
  seedTenant,
  startTestApp,
  type TestApp,
} from '../helpers.ts';
import {
  SQL_INJECTION_PAYLOADS,
  anyInput,
  stringPaths,
  valid,
  type JsonSchema,
  type Pool,
} from './arbitraries.ts';
import {
  harvest,
  paramCandidates,
  seenUnder,
  problemsOf,
  send,
  snapshot,
  toSent,
  type FuzzRequest,
  type Seen,
  type TableSnapshot,
} from './harness.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 25);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface Tenant {
  tenantId: string;
  userId: string;
  token: string;
  /** A member with the auditor role whom the tenant's audit lists. */
  auditorToken: string;
  auditorUserId: string;
  /** Strings seen in this tenant's answers, by the property name they sat under. */
  seen: Seen;
}

describe.each(databaseBackends())('fuzzing every /api route on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let a: Tenant;
  let b: Tenant;
  /** Strings the fuzzer mixes into string values: both tenants' ids and hashes, and every enum value. */
  let pool: Pool;
  /** Both tenants' answers together: the fuzzer names A's objects and B's (which must stay invisible). */
  const seenByBoth: Seen = new Map();
  /** Ids and hashes only tenant B's answers contained: none may reach tenant A. */
  let foreignMarkers: string[];

  const routes = () =>
    t.app.routeCatalog.filter(
      (r) => r.url.startsWith('/api/') && r.method !== 'HEAD' && r.method !== 'OPTIONS',
    );
  const schemaOf = (route: RouteCatalogEntry, part: 'params' | 'querystring' | 'body') =>
    route.schema?.[part] as JsonSchema | undefined;

  /**
   * A tenant with an admin, an AWS integration on the sandbox, one finished scan, an API token, an override, an
   * enabled rule pack, an audit.
   */
  async function makeTenant(slug: string): Promise<Tenant> {
    const admin = await seedTenant(t.database.knex, { slug });
    const token = (await login(t.app, admin.email, admin.password)).access_token;
    const post = async (url: string, payload: Record<string, unknown>) => {
      const response = await t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
      expect(response.statusCode, response.body).toBeLessThan(300);
      return response.json() as { id: string };
    };
    const integration = await post('/api/integrations', s3SandboxIntegration(`fuzz ${slug}`, sandbox.url));
    const scan = await post('/api/scans', { integration_id: integration.id });
    // No worker in this app: the job is run here, exactly as the worker would run it.
    const outcome = await runScanJob(scanJobDepsOf(t.app, t.config.jobs), {
      tenant_id: admin.tenantId,
      scan_id: scan.id,
    });
    expect(outcome).toBe('succeeded');
    await post('/api/tokens', { name: 'fuzz', role: 'auditor', expires_in_days: 1 });
    await post('/api/overrides', { kind: 'enabled', rule_id: 'CW-AWS-S3-001', enabled: true });
    // An enabled rule pack, so its scores answer with the scan's findings rather than PACK_NOT_ENABLED.
    const pack = await t.app.inject({
      method: 'PUT',
      url: '/api/rule-packs/cis-aws-foundations-5.0-l1',
      headers: bearer(token),
    });
    expect(pack.statusCode, pack.body).toBe(200);
    // An audit around the scan, so the audit routes have an object of the tenant to read (and the rule
    // versions in force and their findings in its period).
    const audit = await post('/api/audits', {
      name: 'Fuzz audit',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: new Date(Date.now() - 3_600_000).toISOString(),
      period_end: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const auditorToken = await addMember(t, admin.tenantId, 'auditor');
    const members = await t.app.inject({ url: '/api/members', headers: bearer(token) });
    const auditor = (members.json().items as { user_id: string; email: string; role: string }[]).find(
      (m) => m.role === 'auditor',
    )!;
    await post(`/api/audits/${audit.id}/auditors`, { email: auditor.email });
    return {
      tenantId: admin.tenantId,
      userId: admin.userId,
      token,
      auditorToken,
      auditorUserId: auditor.user_id,
      seen: new Map(),
    };
  }

  /**
   * Calls every GET route as `tenant` and records the strings of its answers, three rounds deep: a route
   * with path parameters is called with values an earlier answer held under a matching property name
   * (`:id` ← id, `:controlId` ← control_id, `:sha256` ← evidence_sha256, `:hash` ← rule_hash …).
   */
  async function explore(tenant: Tenant): Promise<void> {
    const called = new Set<string>();
    for (let round = 0; round < 3; round += 1) {
      for (const route of routes()) {
        if (
          route.method !== 'GET' ||
          (schemaOf(route, 'querystring')?.required as string[] | undefined)?.length
        )
          continue;
        const names = route.url
          .split('/')
          .filter((s) => s.startsWith(':'))
          .map((s) => s.slice(1));
        const options = names.map((name) => paramCandidates(tenant.seen, route.url, name).slice(0, 4));
        if (options.some((o) => o.length === 0)) continue;
        // A few combinations, not all: enough to reach each child route once.
        for (let i = 0; i < 4; i += 1) {
          const params = Object.fromEntries(
            names.map((name, k) => [name, options[k]![i % options[k]!.length]]),
          );
          const sent = toSent(route, { params, query: undefined, body: undefined, anonymous: false });
          if (called.has(sent.url)) continue;
          called.add(sent.url);
          const response = await send(t.app, sent, tenant.token);
          // File answers (CSV, PDF) hold nothing to harvest as JSON.
          if (response.statusCode === 200 && /json/.test(String(response.headers['content-type'])))
            harvest(route, response.json(), tenant.seen);
        }
      }
    }
  }

  beforeAll(async () => {
    // Printed up front: a later test of this file can fail because of what an earlier one sent.
    console.info(`fuzzing with FUZZ_SEED=${SEED}`);
    const started = performance.now();
    const lap = (what: string) =>
      process.env.FUZZ_STATS && console.info(`${what}: ${Math.round(performance.now() - started)} ms`);
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    // Login, reset and sign-up are fuzzed too: a high limit keeps them reaching the handler rather than
    // answering 429, and sign-up is on so its routes get past SIGNUP_DISABLED.
    t = await startTestApp(backend, {
      worker: false,
      configOverrides: { loginAttemptsPerMinute: 100_000, signup: true },
    });
    t.app.egress.allowEndpoint(sandbox.url);
    lap('app started');
    a = await makeTenant('fuzz-a');
    b = await makeTenant('fuzz-b');
    lap('tenants scanned');
    await explore(a);
    await explore(b);
    lap('answers explored');
    const values = (tenant: Tenant) => new Set([...tenant.seen.values()].flatMap((s) => [...s]));
    const ofA = values(a);
    const ofB = values(b);
    const enums = new Set<string>();
    JSON.stringify(
      routes().map((r) => r.schema),
      (key, value: unknown) => {
        if (key === 'enum' && Array.isArray(value))
          for (const v of value) if (typeof v === 'string') enums.add(v);
        return value;
      },
    );
    for (const tenant of [a, b])
      for (const [key, set] of tenant.seen)
        for (const v of set) seenByBoth.set(key, (seenByBoth.get(key) ?? new Set()).add(v));
    pool = { all: [...new Set([...ofA, ...ofB, ...enums])], forKey: (key) => seenUnder(seenByBoth, key) };
    const idLike = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64})$/;
    // Accounts are global (an admin may add an existing account by e-mail, answering its id): the account
    // ids of B's admin and auditor are not tenant B's data. Every other id or hash only B's answers held is.
    const accounts = [b.userId, b.auditorUserId];
    foreignMarkers = [...ofB].filter((s) => idLike.test(s) && !ofA.has(s) && !accounts.includes(s));
    expect(foreignMarkers).toContain(b.tenantId);
    expect(foreignMarkers.length).toBeGreaterThan(5);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  /** Who calls `route` for tenant A: its admin, or its audit's auditor on a route admins may not call. */
  const actingToken = (route: RouteCatalogEntry) =>
    rolesOf(route.permission!)?.includes('admin') === false ? a.auditorToken : a.token;

  /** The pool for a route's path parameters: each parameter draws from the objects it names. */
  const paramPool = (route: RouteCatalogEntry): Pool => ({
    all: pool.all,
    forKey: (param) => paramCandidates(seenByBoth, route.url, param),
  });

  function requestArbitrary(route: RouteCatalogEntry): fc.Arbitrary<FuzzRequest> {
    const hasBody = BODY_METHODS.has(route.method);
    return fc.record({
      params: anyInput(schemaOf(route, 'params'), paramPool(route)),
      query: anyInput(schemaOf(route, 'querystring'), pool),
      body: hasBody ? anyInput(schemaOf(route, 'body'), pool) : fc.constant(undefined),
      // Now and then a body that is not JSON at all.
      rawBody: hasBody
        ? fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 9 },
            { arbitrary: fc.constantFrom('{', '{"a":', 'nul', '[1,]', '\u0000', '"\\ud800"'), weight: 1 },
          )
        : fc.constant(undefined),
      anonymous: fc.oneof(
        { arbitrary: fc.constant(false), weight: 4 },
        { arbitrary: fc.constant(true), weight: 1 },
      ),
    });
  }

  /**
   * The fuzzer acts as tenant A's admin (and, on the routes admins may not call, its audit's auditor), and
   * roles apply from the next request: a request that changes or removes either one's membership would take
   * its authority away for the rest of the run, so it is not sent (api/src/routes/members/members.test.ts
   * covers those answers).
   */
  const changesActingAdmin = (sent: { method: string; url: string }) =>
    sent.method !== 'GET' &&
    sent.url.startsWith('/api/members/') &&
    (sent.url.includes(a.userId) || sent.url.includes(a.auditorUserId));

  it('no 5xx, answers match their declared schemas, no foreign ids: valid and broken input, admin and anonymous', async () => {
    const failures: string[] = [];
    /** Statuses answered per route: proof the fuzzer gets past validation into the handlers. */
    const statuses = new Map<string, Map<number, number>>();
    /**
     * Tenant B's ids that tenant A itself stored as text (a value of a write A made that succeeded, such as a
     * sample's seed): A reading its own text back is no leak, so they are not counted in later answers.
     */
    const storedByA = new Set<string>();
    for (const route of routes()) {
      const seen = new Map<number, number>();
      statuses.set(`${route.method} ${route.url}`, seen);
      const isPublic = rolesOf(route.permission!) === null;
      const details = await fc.check(
        fc.asyncProperty(requestArbitrary(route), async (request) => {
          const sent = toSent(route, request);
          if (!request.anonymous && changesActingAdmin(sent)) return;
          const response = await send(t.app, sent, request.anonymous ? null : actingToken(route));
          seen.set(response.statusCode, (seen.get(response.statusCode) ?? 0) + 1);
          if (process.env.FUZZ_STATS === '2' && response.statusCode === 400)
            console.info(
              `${sent.method} ${sent.url.slice(0, 200)} ${sent.payload?.slice(0, 200)} → ${response.body.slice(0, 300)}`,
            );
          const problems = problemsOf(route, sent, response, request.anonymous, isPublic);
          const echoed = `${sent.url} ${decodeURIComponent(sent.url.replaceAll('+', ' '))} ${sent.payload ?? ''}`;
          if (sent.method !== 'GET' && !request.anonymous && response.statusCode < 300)
            for (const m of foreignMarkers) if (echoed.includes(m)) storedByA.add(m);
          const leaked = foreignMarkers.filter(
            (m) => response.body.includes(m) && !echoed.includes(m) && !storedByA.has(m),
          );
          if (leaked.length > 0) problems.push(`answer contains tenant B's ${leaked.join(', ')}`);
          if (problems.length > 0)
            throw new Error(
              `${sent.method} ${sent.url.slice(0, 300)} → ${response.statusCode}: ${problems.join('; ')}`,
            );
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      // The thrown message names the request (cut short); seed and path replay it exactly.
      if (details.failed)
        failures.push(
          `${route.method} ${route.url} [FUZZ_SEED=${SEED} path=${details.counterexamplePath}] ${String(details.errorInstance).slice(0, 800)}`,
        );
    }
    if (process.env.FUZZ_STATS)
      console.info(
        [...statuses]
          .map(([name, m]) => `${name}: ${[...m].map(([s, n]) => `${s}×${n}`).join(' ')}`)
          .join('\n'),
      );
    expect(failures).toEqual([]);
    // Most routes answered a success at least once: the generated input is not all rejected at the door.
    const succeeded = [...statuses.values()].filter((m) => [...m.keys()].some((s) => s < 300)).length;
    expect(succeeded / statuses.size).toBeGreaterThan(0.6);
  }, 240_000);

  it('regressions the fuzzer found: NUL characters, over-long and malformed URLs answer 4xx in the error shape', async () => {
    const nulName = await t.app.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: bearer(a.token),
      payload: { name: 'a\u0000b', role: 'auditor', expires_in_days: 1 },
    });
    expect(nulName.statusCode, nulName.body).toBe(400);
    const nulParam = await t.app.inject({ url: '/api/rules/%00/versions', headers: bearer(a.token) });
    expect(nulParam.statusCode, nulParam.body).toBe(400);
    const long = await t.app.inject({ url: `/api/scans/${'x'.repeat(500)}`, headers: bearer(a.token) });
    expect(long.statusCode).toBe(414);
    expect(long.json().error.code).toBe('URI_TOO_LONG');
    const malformed = await t.app.inject({ url: '/api/scans/%zz', headers: bearer(a.token) });
    expect(malformed.statusCode).toBe(404);
    expect(malformed.json().error).toMatchObject({ code: 'ROUTE_NOT_FOUND', request_id: expect.any(String) });
  });

  it('SQL-injection strings in every string parameter: no 5xx, nothing of tenant B changed, nothing dropped', async () => {
    const before: [TableSnapshot, TableSnapshot] = [
      await snapshot(t.database.knex, a.tenantId),
      await snapshot(t.database.knex, b.tenantId),
    ];
    const ledgerHead = (tenantId: string, seq: number) =>
      runAsOwner(t.database.knex, { tenantId }, async (trx) => {
        const row = await trx('ledger_entries').where({ tenant_id: tenantId, seq }).first('entry_hash');
        return (row?.entry_hash as string | undefined) ?? null;
      });
    const addedLedgerKinds = (tenantId: string, afterSeq: number) =>
      runAsOwner(t.database.knex, { tenantId }, (trx) =>
        trx('ledger_entries')
          .where({ tenant_id: tenantId })
          .andWhere('seq', '>', afterSeq)
          .orderBy('seq')
          .pluck('kind'),
      ) as Promise<string[]>;
    const headBefore = await ledgerHead(b.tenantId, before[1].rows.ledger_entries![0]);
    const failures: string[] = [];
    let sentCount = 0;
    for (const [index, route] of routes().entries()) {
      const parts = (['params', 'querystring', 'body'] as const).filter((p) => schemaOf(route, p));
      for (const part of parts) {
        const schema = schemaOf(route, part)!;
        // A valid request to start from: the payload replaces one string at a time.
        const [base] = fc.sample(valid(schema, pool), { numRuns: 1, seed: SEED + index });
        for (const path of stringPaths(schema)) {
          for (const payload of SQL_INJECTION_PAYLOADS) {
            const value = structuredClone((base ?? {}) as Record<string, unknown>);
            let target = value;
            for (const key of path.slice(0, -1)) {
              if (!target[key] || typeof target[key] !== 'object') target[key] = {};
              target = target[key] as Record<string, unknown>;
            }
            target[path.at(-1)!] = payload;
            const request: FuzzRequest = {
              params: part === 'params' ? value : {},
              query: part === 'querystring' ? value : undefined,
              body: part === 'body' ? value : BODY_METHODS.has(route.method) ? {} : undefined,
              anonymous: false,
            };
            if (part !== 'params' && schemaOf(route, 'params'))
              request.params = fc.sample(valid(schemaOf(route, 'params')!, paramPool(route)), {
                numRuns: 1,
                seed: SEED,
              })[0];
            const sent = toSent(route, request);
            if (changesActingAdmin(sent)) continue;
            const response = await send(t.app, sent, actingToken(route));
            sentCount += 1;
            if (response.statusCode >= 500)
              failures.push(
                `${sent.method} ${sent.url} ${sent.payload ?? ''} → ${response.statusCode} ${response.body}`,
              );
          }
        }
      }
    }
    const after = [await snapshot(t.database.knex, a.tenantId), await snapshot(t.database.knex, b.tenantId)];
    expect(failures).toEqual([]);
    expect(sentCount).toBeGreaterThan(200);
    expect(after[0]!.tables).toEqual(before[0].tables);
    // Tenant B is unchanged but for its ledger, which may only grow by sign-in events of its own members: a
    // payload sent as the password of a B member's e-mail (the pool holds both tenants' values) is a failed
    // login that B must record. Its earlier entries stay as they were (same head hash at the old length).
    const { ledger_entries: ledgerBefore, ...restBefore } = before[1].rows;
    const { ledger_entries: ledgerAfter, ...restAfter } = after[1]!.rows;
    expect({ tables: after[1]!.tables, rows: restAfter }).toEqual({
      tables: before[1].tables,
      rows: restBefore,
    });
    expect(await ledgerHead(b.tenantId, ledgerBefore![0])).toBe(headBefore);
    const added = await addedLedgerKinds(b.tenantId, ledgerBefore![0]);
    expect(added).toHaveLength(ledgerAfter![0] - ledgerBefore![0]);
    expect(added.filter((kind) => !kind.startsWith('auth.login.'))).toEqual([]);
    for (const [table, [count]] of Object.entries(before[0].rows))
      expect(after[0]!.rows[table]![0], `tenant A ${table}`).toBeGreaterThanOrEqual(count);
    // Stored as text, never executed: a token named with a payload reads back verbatim.
    const tokens = await t.app.inject({ url: '/api/tokens?limit=500', headers: bearer(a.token) });
    const names = (tokens.json().items as { name: string }[]).map((x) => x.name);
    expect(names).toEqual(expect.arrayContaining(SQL_INJECTION_PAYLOADS.filter((p) => p.length <= 200)));
  }, 240_000);
});
