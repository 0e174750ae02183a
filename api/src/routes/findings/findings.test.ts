/**
 * The findings explorer on every backend, over real scans of two S3 sandboxes (two integrations, the first
 * scanned twice). Each filter is checked against the posture's findings read another way (each scan's own
 * findings route) and filtered here; every sort is paged with a small limit and must give the whole set once,
 * in order; the findings CSV parsed back (csv-parse) must be exactly the explorer's rows for the same query.
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFrameworks } from '../../../../engine/index.ts';
import type { S3FixtureServer } from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { expectedCsvRow } from '../../../test/explorer-csv.ts';
import { bearer, startTestApp, type TestApp } from '../../../test/helpers.ts';
import {
  addMember,
  connectS3Sandbox,
  scannedTenant,
  startMarkedSandbox,
  type ScannedTenant,
} from '../../../test/scanned-tenant.ts';
import { runAsOwner } from '../../plugins/app/tenancy.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const key = (f: Json) => `${f.rule_id}\0${f.resource_id}`;

describe.each(databaseBackends())('the findings explorer on $name', (backend) => {
  let t: TestApp;
  let first: S3FixtureServer;
  let second: S3FixtureServer;
  let tenant: ScannedTenant;
  let integrationA: string;
  let integrationB: string;
  let oldScanA: string;
  let scanA: string;
  let scanB: string;
  /** The finding (rule, resource) the old scan of A was made to pass: failing again, so new since then. */
  let madeNew: string;
  /** Every finding of the posture, read through each scan's own findings route. */
  let posture: Json[];

  const get = (url: string, token = tenant.token) => t.app.inject({ url, headers: bearer(token) });

  async function scan(integrationId: string): Promise<string> {
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(tenant.token),
      payload: { integration_id: integrationId },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const id = queued.json().id as string;
    for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
      const status = (await get(`/api/scans/${id}`)).json().status as string;
      if (status === 'succeeded') return id;
      if (status === 'failed') throw new Error(`scan ${id} failed`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`scan ${id} did not finish`);
  }

  /** Every item of a cursor-paged list at `url` (which has a query string), `limit` at a time. */
  async function pages(url: string, limit: number): Promise<Json[]> {
    const items: Json[] = [];
    let cursor = '';
    for (let n = 0; n < 1000; n += 1) {
      const page = await get(`${url}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.statusCode, page.body).toBe(200);
      items.push(...(page.json().items as Json[]));
      if (!page.json().next_cursor) return items;
      cursor = page.json().next_cursor as string;
    }
    throw new Error('too many pages');
  }

  /** The explorer's whole answer for `query` (`&a=b&c=d`), read `limit` at a time. */
  const explore = (query = '', limit = 1000) => pages(`/api/findings?${query.replace(/^&/, '')}`, limit);

  beforeAll(async () => {
    first = await startMarkedSandbox('explorea');
    second = await startMarkedSandbox('exploreb');
    t = await startTestApp(backend);
    tenant = await scannedTenant(t, 'explorer', first.url);
    oldScanA = tenant.scanId;
    integrationA = (await get(`/api/scans/${oldScanA}`)).json().integration_id as string;
    // One failing finding of the old scan is made to pass, so the next scan's failure of it is new.
    const failing = (await pages(`/api/scans/${oldScanA}/findings?status=fail`, 1000)).find(
      (f) => f.exception_id === null,
    )!;
    madeNew = key(failing);
    await runAsOwner(t.database.knex, { tenantId: tenant.tenantId }, (trx) =>
      trx('findings').where({ id: failing.id }).update({ status: 'pass' }),
    );
    scanA = await scan(integrationA);
    integrationB = await connectS3Sandbox(t, tenant.token, second.url, 'explorer second sandbox');
    scanB = await scan(integrationB);
    posture = [
      ...(await pages(`/api/scans/${scanA}/findings?sort=rule_id`, 1000)),
      ...(await pages(`/api/scans/${scanB}/findings?sort=rule_id`, 1000)),
    ];
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await first?.close();
    await second?.close();
  });

  it("lists exactly the findings of each integration's latest succeeded scan, with their source", async () => {
    const listed = await explore();
    expect(listed.map((f) => f.id).sort()).toEqual(posture.map((f) => f.id).sort());
    expect(listed.some((f) => f.scan_id === oldScanA)).toBe(false);
    const byId = new Map(posture.map((f) => [f.id as string, f]));
    for (const f of listed) {
      // The scan's own answer, field for field, plus where it comes from.
      expect(f).toMatchObject(byId.get(f.id)!);
      expect(f.integration_id).toBe(f.scan_id === scanA ? integrationA : integrationB);
      expect(f.provider).toBe('aws');
      expect(f.resource_account).not.toBe('');
      expect(f.resource_region).not.toBe('');
    }
    expect(new Set(listed.map((f) => f.integration_name))).toEqual(
      new Set(['explorer sandbox', 'explorer second sandbox']),
    );
    // One scan with scan_id, an old one included.
    const old = await explore(`&scan_id=${oldScanA}`);
    expect(old.length).toBeGreaterThan(5);
    expect(old.every((f) => f.scan_id === oldScanA)).toBe(true);
  });

  it('each filter keeps exactly the posture findings it names', async () => {
    const frameworks = await loadFrameworks();
    const rulesOf = (controls: Set<string>) =>
      new Set(
        Object.entries(frameworks.rule_controls)
          .filter(([, ids]) => ids.some((id) => controls.has(id)))
          .map(([rule]) => rule),
      );
    const frameworkRules = (id: string) =>
      rulesOf(
        new Set(
          frameworks.controls.filter((c) => c.mappings.some((m) => m.framework === id)).map((c) => c.id),
        ),
      );
    // A framework whose rules test some of the posture's findings but not all (the filter must cut).
    const framework = frameworks.frameworks
      .map((f) => f.id)
      .find((id) => {
        const n = posture.filter((f) => frameworkRules(id).has(f.rule_id)).length;
        return n > 0 && n < posture.length;
      })!;
    expect(framework).toBeDefined();
    const partialRules = frameworkRules(framework);
    const failing = posture.find((f) => f.status === 'fail')!;
    const control = frameworks.rule_controls[failing.rule_id as string]![0]!;
    const controlRules = rulesOf(new Set([control]));
    const sample = (await explore())[3]!;
    const cases: [string, (f: Json) => boolean][] = [
      ['provider=aws', () => true],
      ['provider=github', () => false],
      [`integration_id=${integrationB}`, (f) => f.scan_id === scanB],
      [`account=${sample.resource_account}`, (f) => f.resource_account === sample.resource_account],
      [`region=${sample.resource_region}`, (f) => f.resource_region === sample.resource_region],
      [`resource_type=${sample.resource_type}`, (f) => f.resource_type === sample.resource_type],
      [`rule_id=${failing.rule_id}`, (f) => f.rule_id === failing.rule_id],
      [`resource_id=${encodeURIComponent(sample.resource_id)}`, (f) => f.resource_id === sample.resource_id],
      [
        `scan_id=${sample.scan_id}&resource_id=${encodeURIComponent(sample.resource_id)}`,
        (f) => f.resource_id === sample.resource_id && f.scan_id === sample.scan_id,
      ],
      ['severity=high', (f) => f.severity === 'high'],
      ['status=fail', (f) => f.status === 'fail'],
      ['framework=soc2', (f) => frameworkRules('soc2').has(f.rule_id)],
      [`framework=${framework}`, (f) => partialRules.has(f.rule_id)],
      [`control=${control}`, (f) => controlRules.has(f.rule_id)],
      ['excepted=false', (f) => f.exception_id === null],
      ['excepted=true', (f) => f.exception_id !== null],
      ['new_since_last_scan=true', (f) => f.status === 'fail' && (f.scan_id === scanB || key(f) === madeNew)],
      [
        `status=fail&severity=high&framework=${framework}`,
        (f) => f.status === 'fail' && f.severity === 'high' && partialRules.has(f.rule_id),
      ],
    ];
    const posted = new Map(posture.map((f) => [f.id as string, f]));
    const withSource = (await explore()).map((f) => ({ ...posted.get(f.id)!, ...f }));
    for (const [query, keep] of cases) {
      const listed = await explore(`&${query}`);
      const expected = withSource.filter(keep);
      expect(listed.map((f) => f.id).sort(), query).toEqual(expected.map((f) => f.id).sort());
    }
    // The filters are not vacuous: each of these keeps some findings and leaves others out.
    for (const query of [
      'status=fail',
      `framework=${framework}`,
      `control=${control}`,
      'new_since_last_scan=true',
      `resource_id=${encodeURIComponent(sample.resource_id)}`,
    ]) {
      const n = (await explore(`&${query}`)).length;
      expect(n, query).toBeGreaterThan(0);
      expect(n, query).toBeLessThan(posture.length);
    }
    // Of integration A (scanned twice) only the one made to pass in between is new.
    const newOfA = (await explore(`&integration_id=${integrationA}&new_since_last_scan=true`)).map(key);
    expect(newOfA).toEqual([madeNew]);
  });

  it('answers new_since_last_scan the same for scans stored before new failures were recorded', async () => {
    const queries = ['new_since_last_scan=true', 'new_since_last_scan=false', 'status=fail&sort=resource_id'];
    const recorded = await Promise.all(queries.map((q) => explore(`&${q}`)));
    // Scans created before migration 0023 say false and are answered by the read-time probe instead.
    const setRecorded = (value: boolean) =>
      runAsOwner(t.database.knex, { tenantId: tenant.tenantId }, (trx) =>
        trx('scans').whereIn('id', [scanA, scanB]).update({ new_failures_recorded: value }),
      );
    await setRecorded(false);
    try {
      const probed = await Promise.all(queries.map((q) => explore(`&${q}`)));
      for (const [i, query] of queries.entries()) expect(probed[i], query).toEqual(recorded[i]);
    } finally {
      await setRecorded(true);
    }
    expect(recorded[0]!.length).toBeGreaterThan(0);
  });

  it('pages every sort with a cursor: the whole set once, in order', async () => {
    const all = await explore();
    const orders: Record<string, (f: Json) => (string | number)[]> = {
      severity: (f) => [SEVERITY_RANK[f.severity]!, f.rule_id, f.resource_id, f.id],
      rule_id: (f) => [f.rule_id, f.resource_id, f.id],
      resource_id: (f) => [f.resource_id, f.rule_id, f.id],
      resource_type: (f) => [f.resource_type, f.rule_id, f.resource_id, f.id],
    };
    const compare = (a: (string | number)[], b: (string | number)[]) => {
      for (let i = 0; i < a.length; i += 1) {
        if (a[i] === b[i]) continue;
        return typeof a[i] === 'number' ? (a[i] as number) - (b[i] as number) : a[i]! < b[i]! ? -1 : 1;
      }
      return 0;
    };
    for (const [sort, keyOf] of Object.entries(orders)) {
      const paged = await explore(`&sort=${sort}`, 7);
      expect(paged.length, sort).toBe(all.length);
      expect(new Set(paged.map((f) => f.id)).size).toBe(all.length);
      for (let i = 1; i < paged.length; i += 1)
        expect(compare(keyOf(paged[i - 1]!), keyOf(paged[i]!)), sort).toBeLessThan(0);
    }
    // Paging with a filter gives the filtered set.
    expect((await explore('&status=fail', 3)).map((f) => f.id)).toEqual(
      (await explore('&status=fail')).map((f) => f.id),
    );
  });

  it('refuses bad queries with a 4xx and a code', async () => {
    const first = (await get('/api/findings?limit=2&sort=rule_id')).json();
    const cases: [string, number, string][] = [
      [`/api/findings?sort=severity&cursor=${first.next_cursor}`, 400, 'VALIDATION_ERROR'],
      ['/api/findings?cursor=bm90LWEtY3Vyc29y', 400, 'VALIDATION_ERROR'],
      ['/api/findings?status=maybe', 400, 'VALIDATION_ERROR'],
      ['/api/findings?sort=message', 400, 'VALIDATION_ERROR'],
      ['/api/findings?scan_id=nope', 400, 'VALIDATION_ERROR'],
      ['/api/findings?provider=gcp', 400, 'VALIDATION_ERROR'],
      ['/api/findings?limit=0', 400, 'VALIDATION_ERROR'],
      ['/api/findings?scan_id=00000000-0000-4000-8000-000000000000', 404, 'SCAN_NOT_FOUND'],
      ['/api/findings?framework=no-such', 404, 'FRAMEWORK_NOT_FOUND'],
      ['/api/findings?control=NO-SUCH-01', 404, 'CONTROL_NOT_FOUND'],
      ['/api/reports/findings.csv?framework=no-such', 404, 'FRAMEWORK_NOT_FOUND'],
      ['/api/reports/findings.csv?status=maybe', 400, 'VALIDATION_ERROR'],
    ];
    for (const [url, status, code] of cases) {
      const answer = await get(url);
      expect(answer.statusCode, url).toBe(status);
      expect(answer.json().error.code, url).toBe(code);
    }
    expect((await t.app.inject({ url: '/api/findings' })).statusCode).toBe(401);
    // Every role reads the explorer (tenant:read).
    for (const role of ['auditor', 'user'] as const) {
      const token = await addMember(t, tenant.tenantId, role);
      expect((await get('/api/findings?limit=1', token)).statusCode).toBe(200);
    }
  });

  it('the findings CSV is exactly the rows the explorer pages through for the same query', async () => {
    for (const query of [
      '',
      'status=fail',
      'sort=resource_id&severity=high',
      `integration_id=${integrationA}&new_since_last_scan=true`,
      'framework=soc2&sort=resource_type',
      `scan_id=${oldScanA}&excepted=false`,
      'provider=github',
      `resource_id=${encodeURIComponent(posture[0]!.resource_id)}&sort=rule_id`,
    ]) {
      const listed = await explore(query ? `&${query}` : '', 5);
      const answer = await get(`/api/reports/findings.csv${query ? `?${query}` : ''}`);
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows = parse(answer.body, { columns: true, record_delimiter: '\r\n' }) as Record<
        string,
        string
      >[];
      expect(rows, query).toEqual(listed.map(expectedCsvRow));
      if (query === '') {
        expect(rows.length).toBe(posture.length);
        expect(answer.body.split('\r\n')[0]).toBe(Object.keys(expectedCsvRow(listed[0]!)).join(','));
      }
    }
  });
});
