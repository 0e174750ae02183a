/**
 * OSCAL assessment results of a real scan of the S3 sandbox, on every backend: by scan id and for the latest
 * scan, one observation per finding, stable across reads; 404 before any scan and for an unknown scan. The
 * reference tier validates the document against the official NIST OSCAL 1.1.3 schema (../shared/reference).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  startS3FixtureServer,
  type S3FixtureServer,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { itWithReference, referencePath } from '../../../../test/reference.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** The official schema's validator, compiled only when the reference tier runs. */
function officialResultsValidator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(
    JSON.parse(
      readFileSync(
        join(referencePath('oscal'), 'schemas/v1.1.3', 'oscal_assessment-results_schema.json'),
        'utf8',
      ),
    ) as object,
  );
}

describe.each(databaseBackends())('OSCAL assessment results of a scan on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let token: string;
  /** The document the export test got, for the schema check of the reference tier. */
  let exported: Json | undefined;

  const get = (url: string) => t.app.inject({ url, headers: bearer(token) });

  beforeAll(async () => {
    sandbox = await startS3FixtureServer({ port: 0, host: '127.0.0.1' });
    t = await startTestApp(backend);
    t.app.egress.allowEndpoint(sandbox.url);
    const admin = await seedTenant(t.database.knex, { slug: 'oscal-ar', name: 'OSCAL Test Co' });
    token = (await login(t.app, admin.email, admin.password)).access_token;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('answers 404 before any scan and for an unknown scan', async () => {
    const latest = await get('/api/scans/latest/oscal/assessment-results');
    expect(latest.statusCode).toBe(404);
    expect(latest.json().error.code).toBe('SCAN_NOT_FOUND');
    expect((await get(`/api/scans/${randomUUID()}/oscal/assessment-results`)).statusCode).toBe(404);
  });

  it('exports a finished scan as OSCAL assessment results', async () => {
    const integration = await t.app.inject({
      method: 'POST',
      url: '/api/integrations',
      headers: bearer(token),
      payload: {
        provider: 'aws',
        name: 'Sandbox',
        config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1', endpoint: sandbox.url },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      },
    });
    expect(integration.statusCode, integration.body).toBe(201);
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/scans',
      headers: bearer(token),
      payload: { integration_id: integration.json().id },
    });
    const scanId = queued.json().id as string;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = (await get(`/api/scans/${scanId}`)).json().status;
      if (status === 'succeeded') break;
      expect(status).not.toBe('failed');
      if (Date.now() > deadline) throw new Error(`scan ${scanId} still ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const response = await get(`/api/scans/${scanId}/oscal/assessment-results`);
    expect(response.statusCode, response.body).toBe(200);
    const doc = response.json() as Json;
    exported = doc;
    const ar = doc['assessment-results'];
    expect(ar).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      metadata: { title: expect.any(String), 'last-modified': expect.any(String), 'oscal-version': '1.1.3' },
      results: [expect.objectContaining({ uuid: expect.any(String), start: expect.any(String) })],
    });
    expect(ar.metadata.title).toContain('OSCAL Test Co');
    const findings = (await get(`/api/scans/${scanId}/findings?limit=1000`)).json().items as Json[];
    expect(findings.length).toBeGreaterThan(0);
    expect(ar.results[0].observations).toHaveLength(findings.length);
    const scores = (await get(`/api/scans/${scanId}/scores`)).json().items as Json[];
    expect(ar.results[0].props.filter((p: Json) => p.name === 'framework-score')).toHaveLength(scores.length);
    // The latest scan, and the same document at every read.
    const latest = await get('/api/scans/latest/oscal/assessment-results');
    expect(latest.statusCode).toBe(200);
    expect(latest.json()).toEqual(doc);
  }, 120_000);

  itWithReference('the exported document is valid against the official OSCAL 1.1.3 schema', () => {
    expect(exported, 'the export test ran first').toBeDefined();
    const validResults = officialResultsValidator();
    const valid = validResults(exported);
    expect(valid ? [] : validResults.errors!.slice(0, 5)).toEqual([]);
  });
});
