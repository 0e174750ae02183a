/**
 * Reports of a real scan of the S3 sandbox, on every backend. The CSVs are parsed back (csv-parse) and must
 * equal the JSON routes' answers row for row; the readiness PDF is read with poppler (pdftotext, pdftoppm:
 * not our PDF library) and its figures must equal GET /api/scores; the stored file is the one the ledger
 * names by sha256.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3FixtureServer } from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { expectedCsvRow } from '../../../test/explorer-csv.ts';
import { bearer, startTestApp, type TestApp } from '../../../test/helpers.ts';
import {
  addMember,
  scannedTenant,
  startMarkedSandbox,
  type ScannedTenant,
} from '../../../test/scanned-tenant.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every item of the findings explorer's list of one scan, read through the JSON route. */
async function allFindings(t: TestApp, token: string, scanId: string, filter = ''): Promise<Json[]> {
  const items: Json[] = [];
  let cursor = '';
  for (;;) {
    const page = await t.app.inject({
      url: `/api/findings?scan_id=${scanId}&limit=7${filter}${cursor ? `&cursor=${cursor}` : ''}`,
      headers: bearer(token),
    });
    expect(page.statusCode, page.body).toBe(200);
    items.push(...(page.json().items as Json[]));
    if (!page.json().next_cursor) return items;
    cursor = page.json().next_cursor as string;
  }
}

/** A CSV answer parsed to records by its header row (RFC 4180: CRLF record ends, quoted fields). */
function parseCsv(body: string): Record<string, string>[] {
  return parse(body, { columns: true, record_delimiter: '\r\n', bom: false }) as Record<string, string>[];
}

describe.each(databaseBackends())('reports on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenant: ScannedTenant;

  beforeAll(async () => {
    sandbox = await startMarkedSandbox('reportco');
    t = await startTestApp(backend);
    tenant = await scannedTenant(t, 'reports', sandbox.url);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  const get = (url: string, token = tenant.token) => t.app.inject({ url, headers: bearer(token) });

  it('the control matrix CSV parses back to the scores and control results the API answers', async () => {
    const scores = (await get(`/api/scans/${tenant.scanId}/scores`)).json().items as Json[];
    const controls = (await get(`/api/scans/${tenant.scanId}/controls`)).json().items as Json[];
    const byId = new Map(controls.map((c) => [c.control_id as string, c]));
    const soc2 = scores
      .filter((s) => s.framework_id === 'soc2')
      .sort((a, b) => b.framework_version.localeCompare(a.framework_version, 'en', { numeric: true }))[0]!;
    const expected = (soc2.requirements as Json[]).flatMap((r) => {
      const base = {
        framework_id: soc2.framework_id,
        framework_version: soc2.framework_version,
        requirement_id: r.requirement_id,
        requirement_title: r.title,
        requirement_status: r.status,
        needs_evidence: String(r.needs_evidence === true),
      };
      if (r.control_ids.length === 0)
        return [
          {
            ...base,
            control_id: '',
            control_title: '',
            control_status: '',
            rule_ids: '',
            pass: '',
            fail: '',
            not_applicable: '',
            error: '',
          },
        ];
      return (r.control_ids as string[]).map((id) => {
        const c = byId.get(id)!;
        return {
          ...base,
          control_id: id,
          control_title: c.title,
          control_status: c.status,
          rule_ids: c.rule_ids.join(' '),
          pass: String(c.counts.pass),
          fail: String(c.counts.fail),
          not_applicable: String(c.counts.not_applicable),
          error: String(c.counts.error),
        };
      });
    });
    const answer = await get('/api/reports/frameworks/soc2/control-matrix.csv');
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['content-disposition']).toMatch(/^attachment; filename="control-matrix-/);
    expect(answer.body.split('\r\n')[0]).toBe(Object.keys(expected[0]!).join(','));
    expect(parseCsv(answer.body)).toEqual(expected);
    expect(expected.some((row) => row.rule_ids !== '')).toBe(true);
    // The same by explicit scan and version; an unknown framework or scan is a 404.
    const explicit = await get(
      `/api/reports/frameworks/soc2/control-matrix.csv?scan_id=${tenant.scanId}&version=${soc2.framework_version}`,
    );
    expect(explicit.body).toBe(answer.body);
    expect((await get('/api/reports/frameworks/no-such/control-matrix.csv')).json().error.code).toBe(
      'FRAMEWORK_NOT_FOUND',
    );
    const unknownScan = await get(
      '/api/reports/frameworks/soc2/control-matrix.csv?scan_id=00000000-0000-4000-8000-000000000000',
    );
    expect(unknownScan.statusCode).toBe(404);
  });

  it('the findings CSV parses back to exactly the findings the explorer pages through, filters included', async () => {
    for (const filter of ['', '&status=fail', '&sort=resource_id&severity=high', '&excepted=false']) {
      const listed = await allFindings(t, tenant.token, tenant.scanId, filter);
      const answer = await get(`/api/reports/findings.csv?scan_id=${tenant.scanId}${filter}`);
      expect(answer.statusCode, answer.body).toBe(200);
      expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows = parseCsv(answer.body);
      expect(rows).toEqual(listed.map(expectedCsvRow));
      if (filter === '') expect(rows.length).toBeGreaterThan(5);
    }
    // Without scan_id: the posture, here the one integration's latest scan.
    expect((await get('/api/reports/findings.csv')).body).toBe(
      (await get(`/api/reports/findings.csv?scan_id=${tenant.scanId}`)).body,
    );
    const bad = await get('/api/reports/findings.csv?status=maybe');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_ERROR');
    const missing = await get('/api/reports/findings.csv?scan_id=00000000-0000-4000-8000-000000000000');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('SCAN_NOT_FOUND');
  });

  it('an auditor asks for a readiness PDF: made in the background, stored by sha256, in the ledger, with the API numbers', async () => {
    const auditor = await addMember(t, tenant.tenantId, 'auditor');
    const queued = await t.app.inject({
      method: 'POST',
      url: '/api/reports',
      headers: bearer(auditor),
      payload: { kind: 'readiness', framework_id: 'soc2' },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ status: 'queued', progress: 0, sha256: null });
    const id = queued.json().id as string;
    let report: Json = {};
    const deadline = Date.now() + 60_000;
    for (;;) {
      report = (await get(`/api/reports/${id}`, auditor)).json();
      if (report.status === 'succeeded' || report.status === 'failed' || Date.now() > deadline) break;
      expect(report.progress).toBeGreaterThanOrEqual(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(report, JSON.stringify(report)).toMatchObject({
      status: 'succeeded',
      progress: 100,
      scan_id: tenant.scanId,
      content_type: 'application/pdf',
    });
    const listed = (await get('/api/reports', auditor)).json().items as Json[];
    expect(listed.map((r) => r.id)).toContain(id);

    const download = await get(`/api/reports/${id}/download`, auditor);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-type']).toBe('application/pdf');
    const bytes = download.rawPayload;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(sha256).toBe(report.sha256);
    expect(download.headers['x-content-sha256']).toBe(sha256);
    expect(bytes.length).toBe(report.size);
    const ledger = (await get('/api/ledger?limit=20')).json().items as Json[];
    expect(ledger.find((e) => e.kind === 'report.generated')).toMatchObject({
      artifact_sha256: sha256,
      payload: { report_id: id, scan_id: tenant.scanId, framework_id: 'soc2' },
    });
    // The evidence route describes the PDF without reading it as JSON, names the report that recorded it and
    // who asked for it, and hands out the same bytes.
    const recorded = ledger.find((e) => e.kind === 'evidence.recorded' && e.artifact_sha256 === sha256)!;
    const evidence = await get(`/api/evidence/${sha256}`, auditor);
    expect(evidence.statusCode, evidence.body).toBe(200);
    expect(evidence.json()).toMatchObject({
      sha256,
      content_type: 'application/pdf',
      size: bytes.length,
      verified: true,
      stored: 'verified',
      content: null,
      recorded: { by: 'report', subject_id: id, actor: recorded.actor, ledger_seq: recorded.seq },
      cited_by: { scans: 0, items: [{ kind: 'report', id, label: expect.stringContaining('soc2') }] },
    });
    const file = await get(`/api/evidence/${sha256}/download`, auditor);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toBe(`attachment; filename="evidence-${sha256}.pdf"`);
    expect(file.rawPayload.equals(bytes)).toBe(true);

    // Read with poppler, not with pdfkit.
    const pdf = join(t.dataDir, `${id}.pdf`);
    writeFileSync(pdf, bytes);
    const pages = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const scores = (await get('/api/scores')).json().items as Json[];
    const score = scores.find(
      (s) => s.framework_id === 'soc2' && s.framework_version === report.framework_version,
    )!;
    const line = (label: string) => new RegExp(`^\\s*${label}:\\s+(.+?)\\s*$`, 'm').exec(pages)?.[1];
    expect(line('Score')).toBe(
      score.score === null ? 'no score (nothing passed or failed)' : `${(score.score * 100).toFixed(1)}%`,
    );
    expect(line('Passed requirements')).toBe(String(score.passed));
    expect(line('Failed requirements')).toBe(String(score.failed));
    expect(line('Not applicable requirements')).toBe(String(score.not_applicable));
    expect(line('Requirements')).toBe(String(score.requirements.length));
    expect(line('Bundle revision')).toBe((await get(`/api/scans/${tenant.scanId}`)).json().bundle_revision);
    const label: Record<string, string> = {
      pass: 'PASS',
      fail: 'FAIL',
      error: 'ERROR',
      not_applicable: 'NOT APPLICABLE',
    };
    for (const status of ['pass', 'fail', 'error', 'not_applicable'])
      expect(line(label[status]!)).toBe(
        String((score.requirements as Json[]).filter((r) => r.status === status).length),
      );
    // Every requirement is listed with its status; one left out only for want of evidence says that.
    for (const requirement of score.requirements as Json[])
      expect(pages).toMatch(
        new RegExp(
          `^\\s*${requirement.requirement_id.replaceAll('.', '\\.')}\\s+${requirement.status === 'not_applicable' && requirement.needs_evidence ? 'NEEDS EVIDENCE' : label[requirement.status]}\\s*$`,
          'm',
        ),
      );
    expect(pages).toContain('Methodology');

    // Page 1 rendered to an image, for people to look at (kept beside the PDF).
    // -singlefile: page.png whatever the page count (pdftoppm pads page numbers to the count's digits).
    execFileSync('pdftoppm', [
      '-f',
      '1',
      '-l',
      '1',
      '-r',
      '60',
      '-png',
      '-singlefile',
      pdf,
      join(t.dataDir, 'page'),
    ]);
    const png = join(t.dataDir, 'page.png');
    expect(existsSync(png)).toBe(true);
    if (process.env.REPORT_PNG) execFileSync('cp', [png, process.env.REPORT_PNG]);
  }, 90_000);

  it('a report of an unknown framework is a 404; an unknown report too; a queued one cannot be downloaded', async () => {
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/reports',
      headers: bearer(tenant.token),
      payload: { kind: 'readiness', framework_id: 'no-such-framework' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('FRAMEWORK_NOT_FOUND');
    const missing = await get('/api/reports/00000000-0000-4000-8000-000000000000');
    expect(missing.json().error.code).toBe('REPORT_NOT_FOUND');
    const queued = await t.app.withTenant(tenant.tenantId, (trx) =>
      trx('reports')
        .insert({ tenant_id: tenant.tenantId, kind: 'readiness', framework_id: 'soc2' })
        .returning('id'),
    );
    const early = await get(`/api/reports/${(queued[0] as { id: string }).id}/download`);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe('REPORT_NOT_READY');
  });
});
