/**
 * The audit package's reports against the API's answers for the same audit, on every backend. A tenant runs
 * a real scan of the S3 sandbox, an exception sets aside one failing finding, manual evidence is attached to
 * a requirement, and a rescan falls in the audit's period; an auditor of the audit downloads the package.
 *
 * The readiness PDF is read with poppler, not with the library that wrote it. Every page is rendered to PNG
 * (`pdftoppm -png -r 100`, kept in .test-artifacts/audit-reports/<backend>/ for people to look at) and to
 * grey (`pdftoppm -gray`: PGM, trivial to parse) to check that each page carries ink and none leaves the
 * page margins (no text running off the page or clipped at its edge). The numbers are read with
 * `pdftotext -layout` from the same file: OCR of the PNGs would read the same glyphs less reliably, and no
 * OCR engine is installed here. Every figure (period, score, counts per status, each requirement's and
 * control's status, finding counts, snapshots cited, exceptions and the findings they set aside) must be
 * what the audit, score, control and findings routes answer.
 *
 * The package's CSVs are parsed back (csv-parse) and must equal, row for row, the JSON answers they are
 * made from: the findings CSV the explorer's rows of the audit's scan (exception columns filled on the
 * excepted ones), the control matrix the scan's score and control results.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
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

const artifactsRoot = resolve(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  '.test-artifacts',
  'audit-reports',
);

const STATUS_LABEL: Record<string, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  error: 'ERROR',
  not_applicable: 'NOT APPLICABLE',
};

/** A CSV answer parsed to records by its header row (RFC 4180: CRLF record ends, quoted fields). */
function parseCsv(body: string): Record<string, string>[] {
  return parse(body, { columns: true, record_delimiter: '\r\n', bom: false }) as Record<string, string>[];
}

/** A binary PGM (P5, 8-bit) as width, height and its grey pixels, row by row. */
function readPgm(bytes: Buffer): { width: number; height: number; pixels: Buffer } {
  // Header: magic, width, height, maxval, each after whitespace (no comments from pdftoppm), one whitespace byte.
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(bytes.subarray(0, 64).toString('latin1'));
  if (!header) throw new Error('not a binary PGM');
  const [, width, height, max] = header.map(Number) as [number, number, number, number];
  if (max !== 255) throw new Error(`PGM maxval ${max}, expected 255`);
  return { width, height, pixels: bytes.subarray(header[0].length, header[0].length + width * height) };
}

/** Dark pixels (grey < 160) in the box [x0, x1) x [y0, y1) of a page. */
function inkIn(page: ReturnType<typeof readPgm>, x0: number, x1: number, y0: number, y1: number): number {
  let ink = 0;
  for (let y = y0; y < y1; y += 1)
    for (let x = x0; x < x1; x += 1) if (page.pixels[y * page.width + x]! < 160) ink += 1;
  return ink;
}

/** Text with every run of white space (line breaks and page breaks included) made one space. */
const flat = (s: string) => s.replace(/\s+/g, ' ').trim();

describe.each(databaseBackends())('audit package reports on $name', (backend) => {
  let t: TestApp;
  let sandbox: S3FixtureServer;
  let tenant: ScannedTenant;
  let auditorToken: string;
  let auditId: string;
  let exceptionId: string;
  let rescanId: string;
  let requirementWithEvidence: string;
  let files: Record<string, Uint8Array>;
  const artifacts = join(artifactsRoot, backend.name);

  const get = (url: string, token = tenant.token) => t.app.inject({ url, headers: bearer(token) });
  const post = (url: string, payload: Json, token = tenant.token) =>
    t.app.inject({ method: 'POST', url, headers: bearer(token), payload });
  const json = async (url: string, token = auditorToken) => {
    const answer = await get(url, token);
    expect(answer.statusCode, `${url}: ${answer.body}`).toBe(200);
    return answer.json() as Json;
  };

  async function waitForScan(id: string): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const scan = (await get(`/api/scans/${id}`)).json() as Json;
      if (scan.status === 'succeeded') return;
      if (scan.status === 'failed' || Date.now() > deadline) throw new Error(JSON.stringify(scan));
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    rmSync(artifacts, { recursive: true, force: true });
    mkdirSync(artifacts, { recursive: true });
    sandbox = await startMarkedSandbox('pdfco');
    t = await startTestApp(backend);
    tenant = await scannedTenant(t, 'audit-reports', sandbox.url);
    auditorToken = await addMember(t, tenant.tenantId, 'auditor');
    const members = (await get('/api/members')).json().items as Json[];
    const auditorEmail = members.find((m) => m.role === 'auditor')!.email as string;

    const opened = await post('/api/audits', {
      name: 'SOC 2 type II, FY 2026 (reports)',
      frameworks: [{ framework_id: 'soc2' }],
      period_start: new Date(Date.now() - 3_600_000).toISOString(),
      period_end: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(opened.statusCode, opened.body).toBe(201);
    auditId = opened.json().id as string;
    const added = await post(`/api/audits/${auditId}/auditors`, { email: auditorEmail });
    expect(added.statusCode, added.body).toBe(201);

    // An exception over one failing finding, manual evidence on a requirement, then the rescan the package
    // reports on.
    const failing = (
      (await get(`/api/scans/${tenant.scanId}/findings?status=fail&limit=1`)).json().items as Json[]
    )[0]!;
    const exception = await post('/api/overrides', {
      kind: 'exception',
      rule_id: failing.rule_id,
      selector: { resource_id: failing.resource_id },
      reason: 'compensating control: the bucket is reachable only through a private endpoint',
      approver: 'ciso@audit-reports.example',
      expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    expect(exception.statusCode, exception.body).toBe(201);
    exceptionId = exception.json().id as string;
    const soc2 = ((await get(`/api/scans/${tenant.scanId}/scores`)).json().items as Json[]).find(
      (s) =>
        s.framework_id === 'soc2' && s.framework_version === opened.json().frameworks[0].framework_version,
    )!;
    requirementWithEvidence = (soc2.requirements as Json[])[0]!.requirement_id as string;
    const manual = await post('/api/evidence/manual', {
      framework_id: 'soc2',
      framework_version: soc2.framework_version,
      requirement_id: requirementWithEvidence,
      verdict: 'pass',
      description: 'Board oversight minutes, Q1',
      note: { minutes: 'reviewed' },
    });
    expect(manual.statusCode, manual.body).toBe(201);
    const integrationId = (await get(`/api/scans/${tenant.scanId}`)).json().integration_id as string;
    const rescan = await post('/api/scans', { integration_id: integrationId });
    expect(rescan.statusCode, rescan.body).toBe(202);
    rescanId = rescan.json().id as string;
    await waitForScan(rescanId);

    const answer = await get(`/api/audits/${auditId}/package`, auditorToken);
    expect(answer.statusCode, answer.body.slice(0, 300)).toBe(200);
    files = unzipSync(new Uint8Array(answer.rawPayload));
  }, 240_000);
  afterAll(async () => {
    await t?.close();
    await sandbox?.close();
  });

  it('renders every page of the readiness PDF with ink and nothing outside the margins', async () => {
    const audit = await json(`/api/audits/${auditId}`);
    const tag = `soc2-${audit.frameworks[0].framework_version}`;
    const pdf = join(artifacts, `readiness-${tag}.pdf`);
    writeFileSync(pdf, files[`reports/readiness-${tag}.pdf`]!);
    const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
    const pages = Number(/^Pages:\s+(\d+)$/m.exec(info)?.[1]);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(info).toMatch(/^Page size:\s+595\.28 x 841\.89 pts \(A4\)/m);

    execFileSync('pdftoppm', ['-png', '-r', '100', pdf, join(artifacts, 'page')]);
    execFileSync('pdftoppm', ['-gray', '-r', '100', pdf, join(artifacts, 'grey')]);
    const pngs = readdirSync(artifacts).filter((f) => /^page-\d+\.png$/.test(f));
    const greys = readdirSync(artifacts)
      .filter((f) => /^grey-\d+\.pgm$/.test(f))
      .sort();
    expect(pngs).toHaveLength(pages);
    expect(greys).toHaveLength(pages);
    // The page margin is 50 pt; at 100 dpi that is 69 px. Text stays inside it, with a few pixels of slack
    // for glyphs that overhang their advance.
    const margin = Math.floor((50 / 72) * 100) - 4;
    for (const name of greys) {
      const page = readPgm(readFileSync(join(artifacts, name)));
      expect([page.width, page.height], name).toEqual([827, 1170]);
      const body = inkIn(page, margin, page.width - margin, margin, page.height - margin);
      expect(body, `${name} is blank`).toBeGreaterThan(500);
      const outside =
        inkIn(page, 0, page.width, 0, margin) +
        inkIn(page, 0, page.width, page.height - margin, page.height) +
        inkIn(page, 0, margin, 0, page.height) +
        inkIn(page, page.width - margin, page.width, 0, page.height);
      expect(outside, `${name} has ink in its margins`).toBe(0);
    }
  });

  /** Every page of the explorer's list (GET /api/findings) of one scan. */
  async function explorerRows(scanId: string, filter = ''): Promise<Json[]> {
    const items: Json[] = [];
    let cursor = '';
    for (;;) {
      const page = await json(
        `/api/findings?scan_id=${scanId}&limit=50${filter}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      items.push(...(page.items as Json[]));
      if (!page.next_cursor) return items;
      cursor = page.next_cursor as string;
    }
  }

  it("shows the audit's numbers: period, scan, score, counts, every requirement and control, exceptions", async () => {
    const audit = await json(`/api/audits/${auditId}`);
    const { framework_version: version } = audit.frameworks[0] as Json;
    const text = execFileSync(
      'pdftotext',
      ['-layout', join(artifacts, `readiness-soc2-${version}.pdf`), '-'],
      {
        encoding: 'utf8',
      },
    );
    const value = (label: string) => new RegExp(`^\\s*${label}:\\s+(.+?)\\s*$`, 'm').exec(text)?.[1];
    const iso = (at: string) => new Date(at).toISOString();

    // The audit and the scan the package reports on: the newest of the period's results.
    expect(value('Audit')).toBe(`${audit.name} (${auditId})`);
    expect(value('Period')).toBe(`${iso(audit.period_start)} to ${iso(audit.period_end)}`);
    const results = (await json(`/api/audits/${auditId}/results`)).items as Json[];
    const newest = [...results].sort((a, b) => Date.parse(b.finished_at) - Date.parse(a.finished_at))[0]!;
    expect(newest.id).toBe(rescanId);
    expect(value('Scan')).toBe(`${rescanId}, finished ${iso(newest.finished_at)}`);
    expect(value('Bundle revision')).toBe(newest.bundle_revision);

    // The summary: the audit results' figures for the framework, and the score's requirements by status.
    const figures = (newest.scores as Json[]).find((s) => s.framework_id === 'soc2')!;
    expect(figures.framework_version).toBe(version);
    const score = ((await json(`/api/scans/${rescanId}/scores`)).items as Json[]).find(
      (s) => s.framework_id === 'soc2' && s.framework_version === version,
    )!;
    expect(value('Score')).toBe(
      figures.score === null ? 'no score (nothing passed or failed)' : `${(figures.score * 100).toFixed(1)}%`,
    );
    expect(value('Passed requirements')).toBe(String(figures.passed));
    expect(value('Failed requirements')).toBe(String(figures.failed));
    expect(value('Not applicable requirements')).toBe(String(figures.not_applicable));
    expect(value('Requirements needing evidence')).toBe(String(figures.needs_evidence));
    const requirements = score.requirements as Json[];
    expect(value('Requirements')).toBe(String(requirements.length));
    for (const status of ['pass', 'fail', 'error', 'not_applicable'])
      expect(value(STATUS_LABEL[status]!), status).toBe(
        String(requirements.filter((r) => r.status === status).length),
      );
    expect(figures.failed).toBeGreaterThan(0);

    // The score history: the posture's points of this framework version within the period, as the history
    // route answers them, summarised in words beside the chart.
    const points = ((await json(`/api/scores/history?framework=soc2@${version}&limit=100`)).items as Json[])
      .filter((p) => Date.parse(p.finished_at) >= Date.parse(audit.period_start))
      .filter((p) => Date.parse(p.finished_at) <= Date.parse(audit.period_end))
      .reverse();
    expect(points.length).toBeGreaterThan(1);
    const percent = (score: number) => `${(score * 100).toFixed(1)}%`;
    const scored = points.map((p) => p.score as number | null).filter((v): v is number => v !== null);
    expect(value('History points')).toBe(
      `${points.length} from ${iso(points[0]!.finished_at)} to ${iso(points.at(-1)!.finished_at)}`,
    );
    expect(value('Lowest')).toBe(percent(Math.min(...scored)));
    expect(value('Highest')).toBe(percent(Math.max(...scored)));
    expect(value('Latest')).toBe(percent(points.at(-1)!.score as number));

    // Every requirement, in the score's order, with exactly the lines the API's answers make: its title,
    // each mapped control with status, rules, snapshots cited and finding counts, what still needs
    // evidence, and the manual evidence attached to it.
    const controls = new Map(
      ((await json(`/api/scans/${rescanId}/controls`)).items as Json[]).map((c) => [c.control_id, c]),
    );
    const findings = await explorerRows(rescanId);
    const snapshots = new Map<string, Set<string>>();
    for (const f of findings)
      if (f.evidence_sha256)
        snapshots.set(f.rule_id, (snapshots.get(f.rule_id) ?? new Set()).add(f.evidence_sha256 as string));
    const manual = ((await json('/api/evidence/manual?limit=100')).items as Json[]).filter(
      (m) => m.framework_id === 'soc2' && m.requirement_id,
    );
    expect(manual.map((m) => m.requirement_id)).toEqual([requirementWithEvidence]);
    const lines = text.split('\n');
    const escape = (id: string) => id.replaceAll('.', '\\.');
    const headers = requirements.map((r) =>
      lines.findIndex((l) =>
        new RegExp(
          `^\\s*${escape(r.requirement_id)}\\s+${r.status === 'not_applicable' && r.needs_evidence ? 'NEEDS EVIDENCE' : STATUS_LABEL[r.status]}\\s*$`,
        ).test(l),
      ),
    );
    expect(headers.every((at) => at >= 0)).toBe(true);
    expect(headers).toEqual([...headers].sort((a, b) => a - b));
    const exceptionsHeading = lines.findIndex((l) => l.trim() === 'Exceptions in force');
    let cited = 0;
    requirements.forEach((r, index) => {
      const section = flat(
        lines.slice(headers[index]! + 1, headers[index + 1] ?? exceptionsHeading).join(' '),
      );
      const expected = [r.title as string];
      for (const id of r.control_ids as string[]) {
        const c = controls.get(id)!;
        const rules = c.rule_ids as string[];
        const count = rules.reduce((sum, rule) => sum + (snapshots.get(rule)?.size ?? 0), 0);
        cited += count;
        expected.push(
          `- ${id} ${c.title}: ${STATUS_LABEL[c.status]}; ` +
            (rules.length > 0
              ? `rules ${rules.join(', ')}; ${count} resource snapshot${count === 1 ? '' : 's'} cited; findings ${c.counts.pass} pass, ${c.counts.fail} fail, ${c.counts.not_applicable} not applicable, ${c.counts.error} error`
              : 'assessed by people'),
        );
      }
      if (r.needs_evidence) expected.push(`Needs evidence on: ${(r.evidence_needed as string[]).join(', ')}`);
      for (const m of manual.filter((x) => x.requirement_id === r.requirement_id))
        expected.push(`Manual evidence ${m.sha256} (${m.verdict}, collected ${iso(m.collected_at)})`);
      expect(section, r.requirement_id).toBe(flat(expected.join(' ')));
    });
    expect(cited).toBeGreaterThan(0);

    // The exceptions that set aside findings of the scan: as the explorer and the audit's register say.
    const excepted = await explorerRows(rescanId, '&excepted=true');
    expect(excepted.length).toBeGreaterThan(0);
    const byException = new Map<string, Json[]>();
    for (const f of excepted)
      byException.set(f.exception_id, [...(byException.get(f.exception_id) ?? []), f]);
    expect([...byException.keys()]).toEqual([exceptionId]);
    expect(value('Exceptions in force')).toBe(String(byException.size));
    const register = (await json(`/api/audits/${auditId}/exceptions`)).items as Json[];
    const methodology = lines.findIndex((l) => l.trim() === 'Methodology');
    const exceptionsPage = flat(lines.slice(exceptionsHeading + 1, methodology).join(' '));
    const expected = [...byException]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, set]) => {
        const entry = register.find((e) => e.id === id)!;
        expect(entry.findings.count).toBe(set.length);
        return [
          `${id} on ${entry.rule_id}`,
          `Reason: ${entry.reason}`,
          `Approved by: ${entry.approver}`,
          `Expires: ${iso(entry.expires_at)}`,
          `Findings set aside: ${set.length}`,
        ].join(' ');
      });
    expect(exceptionsPage).toBe(flat(expected.join(' ')));
  });

  it("the package's CSVs parse back to exactly the API's rows for the audit's scan", async () => {
    const audit = await json(`/api/audits/${auditId}`);
    const { framework_version: version } = audit.frameworks[0] as Json;
    const csv = (name: string) => Buffer.from(files[name]!).toString('utf8');

    // Findings: the explorer's rows of the scan, in its order, the excepted ones with their exception.
    const listed = await explorerRows(rescanId);
    const findingRows = parseCsv(csv('reports/findings.csv'));
    expect(findingRows).toEqual(listed.map(expectedCsvRow));
    const exceptedRows = findingRows.filter((r) => r.exception_id !== '');
    expect(exceptedRows.length).toBeGreaterThan(0);
    expect(exceptedRows.every((r) => r.exception_id === exceptionId)).toBe(true);
    expect(exceptedRows[0]).toMatchObject({
      exception_reason: 'compensating control: the bucket is reachable only through a private endpoint',
      exception_approver: 'ciso@audit-reports.example',
    });

    // Control matrix: one row per requirement and mapped control, from the score and the control results.
    const score = ((await json(`/api/scans/${rescanId}/scores`)).items as Json[]).find(
      (s) => s.framework_id === 'soc2' && s.framework_version === version,
    )!;
    const controls = new Map(
      ((await json(`/api/scans/${rescanId}/controls`)).items as Json[]).map((c) => [c.control_id, c]),
    );
    const expected = (score.requirements as Json[]).flatMap((r) => {
      const base = {
        framework_id: 'soc2',
        framework_version: version,
        requirement_id: r.requirement_id,
        requirement_title: r.title,
        requirement_status: r.status,
        needs_evidence: String(r.needs_evidence === true),
      };
      const none = { control_id: '', control_title: '', control_status: '', rule_ids: '' };
      if (r.control_ids.length === 0)
        return [{ ...base, ...none, pass: '', fail: '', not_applicable: '', error: '' }];
      return (r.control_ids as string[]).map((id) => {
        const c = controls.get(id)!;
        return {
          ...base,
          control_id: id,
          control_title: c.title,
          control_status: c.status,
          rule_ids: (c.rule_ids as string[]).join(' '),
          pass: String(c.counts.pass),
          fail: String(c.counts.fail),
          not_applicable: String(c.counts.not_applicable),
          error: String(c.counts.error),
        };
      });
    });
    const matrix = parseCsv(csv(`reports/control-matrix-soc2-${version}.csv`));
    expect(matrix).toEqual(expected);
    expect(matrix.some((row) => Number(row.fail) > 0)).toBe(true);
  });
});
