/**
 * Tenant framework uploads on every backend: an admin uploads a YAML catalog with its UCF mappings (or a real
 * OSCAL catalog); bad uploads are refused with every problem at its line and store nothing; a re-upload is a
 * new revision while the older one stays readable; the catalog is listed, covered and scored for its tenant
 * only (a real scan of the S3 sandbox), and another tenant never sees it. OSCAL uploads use our own small
 * catalog; NIST's real CSF 2.0 catalog is the reference tier.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { EXAMPLE_OSCAL_CATALOG } from '../../../../engine/testing.ts';
import { itWithReference, referencePath } from '../../../../test/reference.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const header = (id: string, title = 'Acme security baseline') =>
  `id: ${id}\nversion: '1'\ntitle: ${title}\nowner: Acme\nsource: https://acme.example/baseline\nlicense: Internal\ntext_policy: official_text\n`;

/** A catalog with a group, three requirements and mappings to a control rules test and one people assess. */
const catalog = (tested: string, manual: string, title?: string) => `${header('acme-sec', title)}groups:
  - { id: G1, title: Storage }
requirements:
  - { id: A1, title: Buckets are private, parent: G1 }
  - { id: A2, title: Storage policy is approved, parent: G1 }
  - { id: A3, title: Nothing maps here yet }
mappings:
  - { control: ${tested}, requirement: A1, relationship: superset_of, rationale: the control tests it }
  - { control: ${manual}, requirement: A2, relationship: equal, rationale: a reviewed document }
`;

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe.each(databaseBackends())('tenant framework uploads on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  const tokens: Record<string, string> = {};
  let tested: string;
  let manual: string;

  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown, who = 'admin') => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(tokens[who]!),
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    return { status: response.statusCode, body: response.json() as Json };
  };

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'uploads' });
    tokens.admin = (await login(t.app, admin.email, admin.password)).access_token;
    const user = await seedTenant(t.database.knex, { slug: 'uploads-user', role: 'user' });
    tokens.user = (await login(t.app, user.email, user.password)).access_token;
    const other = await seedTenant(t.database.knex, { slug: 'uploads-other' });
    tokens.other = (await login(t.app, other.email, other.password)).access_token;
    const frameworks = await t.app.engine.frameworks();
    // A control an S3 rule tests, and one no rule tests.
    tested = frameworks.rule_controls['CW-AWS-S3-001']![0]!;
    manual = frameworks.controls.find((c) => !c.automated)!.id;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('refuses bad catalogs with each problem at its line, storing nothing', async () => {
    const good = catalog(tested, manual);
    const cases: [code: string, content: string, needle: string][] = [
      [
        'YAML_SYNTAX',
        good.replace('{ id: A3, title: Nothing maps here yet }', '{ id: A3, title: Nothing, title: again }'),
        'again',
      ],
      ['DUPLICATE_ID', good.replace('id: A3,', 'id: A1,'), 'id: A1, title: Nothing'],
      [
        'PARENT_CYCLE',
        good.replace('{ id: G1, title: Storage }', '{ id: G1, title: Storage, parent: A1 }'),
        'Storage, parent: A1',
      ],
      ['UNKNOWN_REFERENCE', good.replace(`control: ${manual}`, 'control: UCF-ZZ-99'), 'UCF-ZZ-99'],
      [
        'UNKNOWN_REFERENCE',
        good.replace(
          '{ id: A3, title: Nothing maps here yet }',
          "{ id: A3, title: Linked, links: [{ framework: soc2, framework_version: '2017', requirement: NOPE, relationship: equal }] }",
        ),
        'NOPE',
      ],
      ['SCHEMA_INVALID', good.replace('relationship: equal', 'relationship: kinda'), 'kinda'],
      ['DUPLICATE_ID', header('soc2') + 'requirements:\n  - { id: X1, title: X }\n', 'id: soc2'],
      ['SCHEMA_INVALID', good.replace('owner: Acme\n', ''), 'id: acme-sec'],
    ];
    for (const [code, content, needle] of cases) {
      const response = await call('POST', '/api/frameworks', { format: 'yaml', content });
      expect(response.status, `${code} ${JSON.stringify(response.body)}`).toBe(400);
      const problems = response.body.error.details.problems as Json[];
      expect(
        problems.map((p) => p.code),
        content,
      ).toContain(code);
      const line = lineOf(content, needle);
      expect(problems.find((p) => p.code === code)!.line, `${code}: ${JSON.stringify(problems)}`).toBe(line);
    }
    // Not OSCAL, OSCAL-looking but malformed, and OSCAL whose controls do not make a valid catalog.
    for (const content of [
      '{ "profile": {} }',
      '{ "catalog": { "groups": 5 } }',
      '{ "catalog": { "controls": [{ "id": 5 }] } }',
    ]) {
      const refused = await call('POST', '/api/frameworks', {
        format: 'oscal',
        content,
        framework_id: 'acme-x',
        framework_version: '1',
      });
      expect(refused.status, content).toBe(400);
      expect(refused.body.error.details.problems[0].code).toBe('IMPORT_INVALID');
    }
    expect((await call('GET', '/api/frameworks/uploads')).body.items).toEqual([]);
    expect((await call('POST', '/api/frameworks', { format: 'yaml', content: good }, 'user')).status).toBe(
      403,
    );
  });

  it('stores revisions, lists, covers and scores the catalog for its tenant only', async () => {
    const first = await call('POST', '/api/frameworks', { format: 'yaml', content: catalog(tested, manual) });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      framework_id: 'acme-sec',
      framework_version: '1',
      revision: 1,
      requirements: 3,
      mappings: 2,
    });
    expect(first.body.warnings.map((w: Json) => w.code)).toEqual(['UNMAPPED_REQUIREMENT']);
    const second = await call('POST', '/api/frameworks', {
      format: 'json',
      content: JSON.stringify(
        (await import('yaml')).parse(catalog(tested, manual, 'Acme security baseline, second edition')),
      ),
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body.revision).toBe(2);

    const uploads = (await call('GET', '/api/frameworks/uploads')).body.items as Json[];
    expect(uploads.map((u) => [u.revision, u.title])).toEqual([
      [1, 'Acme security baseline'],
      [2, 'Acme security baseline, second edition'],
    ]);
    const old = await call('GET', `/api/frameworks/uploads/${first.body.id}`);
    expect(old.body.catalog.title).toBe('Acme security baseline');
    expect(old.body.mappings_list).toHaveLength(2);
    const listed = (await call('GET', '/api/frameworks')).body.items as Json[];
    expect(listed.find((f) => f.id === 'acme-sec')).toMatchObject({
      uploaded: true,
      title: 'Acme security baseline, second edition',
    });
    expect(listed.find((f) => f.id === 'soc2')!.uploaded).toBe(false);
    const coverage = await call('GET', '/api/frameworks/coverage/acme-sec');
    expect(coverage.body.frameworks[0].counts).toMatchObject({ automated: 1, manual: 1, unmapped: 1 });

    // Scored at the next scan.
    const integration = await call('POST', '/api/integrations', {
      provider: 'aws',
      name: 'Sandbox',
      config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    });
    const scan = await call('POST', '/api/scans', { integration_id: integration.body.id });
    const deadline = Date.now() + 90_000;
    while ((await call('GET', `/api/scans/${scan.body.id}`)).body.status !== 'succeeded') {
      if (Date.now() > deadline) throw new Error('scan did not finish');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const scores = (await call('GET', '/api/scores')).body.items as Json[];
    const acme = scores.find((s) => s.framework_id === 'acme-sec')!;
    expect(acme.requirements.map((r: Json) => r.requirement_id)).toEqual(['A1', 'A2', 'A3']);
    expect(acme.requirements[0].control_ids).toEqual([tested]);
    expect(['pass', 'fail']).toContain(acme.requirements[0].status);

    // Another tenant sees none of it.
    const theirs = await call('GET', '/api/frameworks', undefined, 'other');
    expect((theirs.body.items as Json[]).some((f) => f.id === 'acme-sec')).toBe(false);
    expect((await call('GET', `/api/frameworks/uploads/${first.body.id}`, undefined, 'other')).status).toBe(
      404,
    );
    expect((await call('GET', '/api/frameworks/uploads', undefined, 'other')).body.items).toEqual([]);
    expect((await call('GET', '/api/frameworks/coverage/acme-sec', undefined, 'other')).status).toBe(404);
    expect(
      await call('GET', '/api/ledger?limit=50').then((r) => r.body.items.map((e: Json) => e.kind)),
    ).toContain('framework.uploaded');
  }, 120_000);

  it('imports an OSCAL catalog (XML) as a tenant framework, without its withdrawn control', async () => {
    const response = await call('POST', '/api/frameworks', {
      format: 'oscal',
      content: readFileSync(EXAMPLE_OSCAL_CATALOG.xml, 'utf8'),
      framework_id: 'acme-practices',
      framework_version: '1',
      mappings: [
        { control: manual, requirement: 'GV.OC-01', relationship: 'subset_of', rationale: 'context' },
      ],
    });
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(201);
    expect(response.body).toMatchObject({ requirements: 5, mappings: 1 });
  });

  itWithReference('imports a real OSCAL catalog as a tenant framework', async () => {
    const content = readFileSync(referencePath('oscal', 'NIST_CSF_v2.0_catalog.xml'), 'utf8');
    const response = await call('POST', '/api/frameworks', {
      format: 'oscal',
      content,
      framework_id: 'acme-csf',
      framework_version: '2.0',
      mappings: [
        { control: manual, requirement: 'GV.OC-01', relationship: 'subset_of', rationale: 'context' },
      ],
    });
    expect(response.status, JSON.stringify(response.body).slice(0, 500)).toBe(201);
    expect(response.body.requirements).toBeGreaterThan(100);
    expect(response.body.mappings).toBe(1);
  });
});
