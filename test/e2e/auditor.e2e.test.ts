/**
 * The auditor's journey, in a real headless Chromium against the whole product started in-process: the admin
 * (through the API) sets a failing finding aside with an exception, deploys a second version of its rule,
 * opens an audit around now and lists an auditor. The auditor then opens the audit and draws a seeded sample,
 * finds which version of the rule was in force at a moment and its diff to the next, opens the excepted
 * finding and reads its reason, approver and expiry, reads the period ledger (its count and rows the API's,
 * filtered by kind through the URL), opens the readiness PDF the ledger recorded (its media type, size,
 * what recorded it, a download hashed on disk and a hash check in the browser), pages one requirement's
 * evidence of the period through the URL, and downloads the audit package, whose evidence bundle
 * `complywise evidence verify` accepts whole and rejects, naming the cut, once one entry is removed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerRuleVersions } from '../../api/src/rule-versions/service.ts';
import { ruleHash } from '../../engine/compile/rule-sources.ts';
import { deployedRuleVersions, type RuleVersionRecord } from '../../engine/rule-versions.ts';
import { fullPageScreenshot, launchTestBrowser, type TestBrowser } from './browser.ts';
import { addMember, getJson, postJson } from './demo-product.ts';
import {
  collectErrors,
  readinessReport,
  scanToCompletion,
  screensDir,
  signInAs,
  startScannedDemo,
  type ScannedDemo,
} from './screens.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const AUDITOR = { email: 'auditor@journey.example.test', password: 'amber-ledger-journey-7' };
const REASON = 'compensating control: bucket reachable only through a private endpoint';
const APPROVER = 'ciso@journey.example.test';

let demo: ScannedDemo;
let browser: TestBrowser;
let dir: string;
let auditId: string;
let ruleId: string;
let first: RuleVersionRecord;
let next: RuleVersionRecord;
let excepted: Json;
let expiresAt: string;
/** The sha256 of a readiness PDF the admin asked for inside the period. */
let reportSha: string;

/** Runs the real CLI's `evidence verify` on a bundle written to a file. */
function verify(bundle: unknown): { status: number | null; stdout: string; stderr: string } {
  const file = join(dir, `bundle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(bundle));
  const child = spawnSync(process.execPath, ['bin/complywise.ts', 'evidence', 'verify', file], {
    encoding: 'utf8',
  });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

/** A screenshot of the page as it is, at a phone and a desktop width. */
async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  for (const size of [
    { width: 390, height: 844 },
    { width: 1440, height: 900 },
  ]) {
    await page.setViewportSize(size);
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    );
    expect(scrollWidth, `${name} at ${size.width}px scrolls sideways`).toBeLessThanOrEqual(innerWidth);
    await fullPageScreenshot(page, join(screensDir, `journey-auditor-${name}-${size.width}.png`));
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'auditor-journey-'));
  demo = await startScannedDemo();
  browser = await launchTestBrowser();
  const { baseUrl } = demo.running;
  const { token } = demo;

  // An exception over one failing finding, then a rescan so the period holds the finding it set aside.
  const failing = (
    await getJson<{ items: Json[] }>(baseUrl, token, `/api/scans/${demo.scanId}/findings?status=fail&limit=1`)
  ).items[0]!;
  ruleId = failing.rule_id as string;
  expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
  await postJson(baseUrl, token, '/api/overrides', {
    kind: 'exception',
    rule_id: ruleId,
    selector: { resource_id: failing.resource_id },
    reason: REASON,
    approver: APPROVER,
    expires_at: expiresAt,
  });
  const rescanId = await scanToCompletion(baseUrl, token, demo.running.demo.integrationId);
  const rescanned = (
    await getJson<{ items: Json[] }>(
      baseUrl,
      token,
      `/api/scans/${rescanId}/findings?limit=1000&rule_id=${encodeURIComponent(ruleId)}`,
    )
  ).items;
  excepted = rescanned.find((f) => f.resource_id === failing.resource_id && f.rule_id === ruleId)!;
  expect(excepted.exception_id, 'the rescan set the finding aside').toBeTruthy();

  // A second version of the rule, deployed an hour from now, as a new bundle would register it.
  const deployed = await deployedRuleVersions();
  first = deployed.find((r) => r.rule_id === ruleId)!;
  const files = first.files.map((f, i) =>
    i === 0 ? { ...f, text: `${f.text}# tightened for the audit\n` } : f,
  );
  next = {
    ...first,
    version: `${first.version}-next`,
    files,
    hash: ruleHash(files),
    bundle_revision: 'journey-bundle',
    git_commit: 'abc1234',
  };
  const redeploy = new Date(Date.now() + 3_600_000);
  await registerRuleVersions(
    demo.running.product.app.db.knex,
    deployed.map((r) => (r.rule_id === ruleId ? next : r)),
    redeploy,
  );

  // The audit: a day either side of now, with the auditor listed.
  const audit = await postJson<{ id: string }>(baseUrl, token, '/api/audits', {
    name: 'Journey SOC 2 audit',
    frameworks: [{ framework_id: 'soc2' }],
    period_start: new Date(Date.now() - 86_400_000).toISOString(),
    period_end: new Date(Date.now() + 86_400_000).toISOString(),
  });
  auditId = audit.id;
  await addMember(demo.running, token, { ...AUDITOR, role: 'auditor' });
  await postJson(baseUrl, token, `/api/audits/${auditId}/auditors`, { email: AUDITOR.email });
  reportSha = await readinessReport(baseUrl, token);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await demo?.running.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the auditor in Chromium', () => {
  it('opens the audit, reads a rule version and its diff, an excepted finding, and verifies the package', async () => {
    const { baseUrl } = demo.running;
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await signInAs(browser, page, baseUrl, 'auditor', AUDITOR);

    // The audits the auditor is listed on: only this one (the catalog's own audit does not list them).
    await page.getByTestId('nav-audits').click();
    await page.getByTestId('audits').waitFor();
    expect(await page.getByTestId('audit-row').count()).toBe(1);
    expect(await page.getByTestId('audit-form').count(), 'no open-an-audit form for an auditor').toBe(0);
    await page.getByTestId('audit-link').click();
    await page.getByTestId('audit').waitFor();
    expect(await page.getByTestId('audit-status').textContent()).toContain('open');
    expect(await page.getByTestId('audit-close').count(), 'an auditor cannot close').toBe(0);
    expect(await page.getByTestId('auditor-form').count(), 'an auditor cannot invite').toBe(0);
    // A seeded sample of the buckets, drawn through the form and listed with its seed.
    await page.getByTestId('sample-type').fill('aws.s3.bucket');
    await page.getByTestId('sample-size').fill('2');
    await page.getByTestId('sample-seed').fill('journey-seed');
    await page.getByTestId('sample-submit').click();
    const drawn = page.getByTestId('audit-sample');
    await drawn.first().waitFor();
    const samples = await getJson<{ items: Json[] }>(baseUrl, demo.token, `/api/audits/${auditId}/samples`);
    expect(samples.items).toHaveLength(1);
    expect(samples.items[0]).toMatchObject({ seed: 'journey-seed', size: 2, drawn_by: expect.any(String) });
    expect(await drawn.first().getAttribute('data-sample-id')).toBe(samples.items[0]!.id);
    await drawn.first().locator('summary').click();
    expect(await drawn.first().locator('li').allTextContents()).toEqual(samples.items[0]!.items);
    await shoot(page, 'audit');

    // Which version was in force half an hour from now, and its diff to the next.
    await page.getByTestId('audit-rules-link').click();
    await page.getByTestId('audit-rule-versions').waitFor();
    const moment = new Date(Date.now() + 1_800_000).toISOString().slice(0, 19);
    await page.getByTestId('in-force-on').fill(moment);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\?on=/);
    const rows = page.locator(`[data-testid="audit-rule-version"][data-rule-id="${ruleId}"]`);
    await page.getByTestId('in-force-mark').first().waitFor();
    expect(await rows.count()).toBe(2);
    const inForce = page.locator(
      `[data-testid="audit-rule-version"][data-rule-id="${ruleId}"][data-in-force="true"]`,
    );
    expect(await inForce.count()).toBe(1);
    expect(await inForce.getAttribute('data-hash')).toBe(first.hash);
    await shoot(page, 'rules');
    await inForce.getByRole('link', { name: first.version, exact: true }).click();
    await page.getByTestId('rule-diff').waitFor();
    const summary = page.getByTestId('diff-summary');
    expect(await summary.getAttribute('data-from')).toBe(first.hash);
    expect(await summary.getAttribute('data-to')).toBe(next.hash);
    expect(await page.getByTestId('diff-file').first().textContent()).toContain('+# tightened for the audit');
    // Each version's findings in the period: the first produced the scans' findings, the next none yet.
    const versions = page.getByTestId('audit-rule-version-detail');
    expect(await versions.count()).toBe(2);
    const counts = await page.getByTestId('version-findings-count').allTextContents();
    expect(Number.parseInt(counts[0]!, 10)).toBeGreaterThan(0);
    expect(counts[1]).toBe('0');
    await shoot(page, 'rule');

    // The exceptions register, and the excepted finding's own page.
    await page.goto(`${baseUrl}/audits/${auditId}`);
    await page.getByTestId('audit-exceptions-link').click();
    const entry = page.locator(
      `[data-testid="register-exception"][data-override-id="${excepted.exception_id}"]`,
    );
    await entry.waitFor();
    expect(await entry.getByTestId('register-reason').textContent()).toBe(REASON);
    expect(await entry.getByTestId('register-approver').textContent()).toBe(APPROVER);
    expect(await entry.getAttribute('data-expired')).toBe('false');
    await shoot(page, 'exceptions');
    await entry.locator(`a[href$="/findings/${excepted.id}"]`).click();
    await page.getByTestId('finding-exception').waitFor();
    const exception = (await page.getByTestId('finding-exception').textContent()) ?? '';
    expect(exception).toContain(REASON);
    expect(exception).toContain(APPROVER);
    expect(exception).toContain(expiresAt.slice(0, 10));
    await shoot(page, 'excepted-finding');

    // The period ledger: the count on the audit page and the rows listed are the API's; a kind filter
    // stays in the URL and lists that kind's entries; every listed entry's hash checks out in the browser.
    await page.goto(`${baseUrl}/audits/${auditId}`);
    const ledgerApi = `/api/audits/${auditId}/ledger?limit=50`;
    const period = await getJson<{ items: Json[]; total: number }>(baseUrl, demo.token, ledgerApi);
    expect(period.total).toBeGreaterThan(3);
    expect(await page.getByTestId('audit-ledger-count').textContent()).toBe(String(period.total));
    await page.getByTestId('audit-ledger-link').click();
    await page.getByTestId('ledger-entries').waitFor();
    expect(await page.getByTestId('ledger-total').textContent()).toBe(String(period.total));
    const seqs = () =>
      page
        .getByTestId('ledger-entry')
        .evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq'))));
    expect(await seqs()).toEqual(period.items.map((e) => e.seq));
    await page.getByTestId('ledger-chain').waitFor();
    expect(await page.getByTestId('ledger-chain').getAttribute('data-broken')).toBe('0');
    await shoot(page, 'ledger');
    await page.getByTestId('ledger-kind').selectOption('audit.opened');
    await page.getByTestId('ledger-apply').click();
    await page.waitForURL(/[?&]kind=audit.opened/);
    await page.locator('[data-testid="ledger-entry"][data-kind="audit.opened"]').first().waitFor();
    const opened = await getJson<{ items: Json[] }>(baseUrl, demo.token, `${ledgerApi}&kind=audit.opened`);
    expect(await seqs()).toEqual(opened.items.map((e) => e.seq));

    // The readiness PDF the period's ledger recorded: its evidence page shows what it is and what recorded
    // it, downloads its bytes (hashed here, on disk) and checks their hash in the browser.
    const recordedApi = `${ledgerApi}&kind=evidence.recorded`;
    const recorded = await getJson<{ items: Json[] }>(baseUrl, demo.token, recordedApi);
    const pdfEntry = recorded.items.find((e) => e.artifact_sha256 === reportSha)!;
    expect(pdfEntry, 'the PDF among the newest recorded artifacts').toBeDefined();
    await page.getByTestId('ledger-kind').selectOption('evidence.recorded');
    await page.getByTestId('ledger-apply').click();
    await page.waitForURL(/[?&]kind=evidence.recorded/);
    await page
      .locator(`[data-testid="ledger-entry"][data-seq="${pdfEntry.seq}"] a[href$="/evidence/${reportSha}"]`)
      .click();
    const evidencePage = page.getByTestId('evidence');
    await evidencePage.waitFor();
    const pdf = await getJson<Json>(baseUrl, demo.token, `/api/evidence/${reportSha}`);
    expect(await evidencePage.getAttribute('data-content-type')).toBe('application/pdf');
    expect(await evidencePage.getAttribute('data-stored')).toBe('verified');
    expect(await page.getByTestId('evidence-type').textContent()).toContain('PDF document');
    expect(await page.getByTestId('evidence-size').getAttribute('data-bytes')).toBe(String(pdf.size));
    expect(await page.getByTestId('evidence-recorded-by').getAttribute('data-by')).toBe('report');
    expect(await page.getByTestId('evidence-ledger-seq').textContent()).toBe(String(pdfEntry.seq));
    expect(await page.getByTestId('evidence-citation').getAttribute('data-kind')).toBe('report');
    expect(await page.getByTestId('evidence-content').count(), 'no JSON viewer for a PDF').toBe(0);
    const [pdfDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('evidence-download').click(),
    ]);
    expect(pdfDownload.suggestedFilename()).toBe(`evidence-${reportSha}.pdf`);
    const pdfFile = join(dir, pdfDownload.suggestedFilename());
    await pdfDownload.saveAs(pdfFile);
    const pdfBytes = readFileSync(pdfFile);
    expect(pdfBytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(pdfBytes).digest('hex')).toBe(reportSha);
    await page.getByTestId('evidence-recheck').click();
    await page.getByTestId('evidence-browser-check').waitFor();
    expect(await page.getByTestId('evidence-browser-check').getAttribute('data-result')).toBe('match');
    await shoot(page, 'evidence-pdf');

    // A requirement's evidence of the period (the first requirement whose scans cited snapshots): what the
    // page lists is what the API answers for it.
    await page.goto(`${baseUrl}/audits/${auditId}/evidence`);
    await page.getByTestId('audit-requirements').waitFor();
    type RequirementEvidence = {
      automated: { total: number; items: Json[]; next_cursor: string | null };
      manual: Json[];
    };
    const hrefs = await page
      .getByTestId('audit-requirement-link')
      .evaluateAll((links) => links.map((link) => link.getAttribute('href')!));
    let chosen: { href: string; api: string; evidence: RequirementEvidence } | undefined;
    for (const href of hrefs) {
      const [, ref, requirement] = /frameworks\/([^/]+)\/requirements\/([^/?#]+)/.exec(href)!;
      const url = `/api/audits/${auditId}/frameworks/${ref}/requirements/${requirement}/evidence`;
      const evidence = await getJson<RequirementEvidence>(baseUrl, demo.token, url);
      // More than one snapshot, so the list has pages to walk.
      if (evidence.automated.total > 1) {
        chosen = { href, api: url, evidence };
        break;
      }
    }
    expect(chosen, 'a requirement with snapshots in the period').toBeDefined();
    await page.locator(`[data-testid="audit-requirement-link"][href="${chosen!.href}"]`).click();
    await page.getByTestId('audit-requirement-evidence').waitFor();
    const { automated, manual } = chosen!.evidence;
    expect(await page.getByTestId('automated-total').textContent()).toBe(String(automated.total));
    expect(await page.getByTestId('automated-evidence-row').count()).toBe(automated.items.length);
    expect(await page.locator('[data-testid="automated-evidence-row"][data-verified="true"]').count()).toBe(
      automated.items.length,
    );
    expect(await page.getByTestId('manual-evidence-row').count()).toBe(manual.length);
    await shoot(page, 'requirement-evidence');
    // Every snapshot, a few pages through the URL's limit and cursor: the API's list, in its order.
    const every: string[] = [];
    let apiCursor: string | null = null;
    do {
      const query: string = `?limit=200${apiCursor ? `&cursor=${apiCursor}` : ''}`;
      const answer: RequirementEvidence = await getJson(baseUrl, demo.token, `${chosen!.api}${query}`);
      every.push(...answer.automated.items.map((e) => e.sha256 as string));
      apiCursor = answer.automated.next_cursor;
    } while (apiCursor);
    expect(every).toHaveLength(automated.total);
    const limit = Math.max(1, Math.ceil(automated.total / 3));
    await page.goto(`${baseUrl}${chosen!.href}?limit=${limit}`);
    const walked: string[] = [];
    for (let pages = 1; ; pages += 1) {
      // The table of the page the URL names (the URL can change a moment before the rows do).
      const cursor = new URL(page.url()).searchParams.get('cursor') ?? '';
      await page.locator(`[data-testid="automated-evidence"][data-cursor="${cursor}"]`).waitFor();
      walked.push(
        ...(await page
          .getByTestId('automated-evidence-row')
          .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-sha256')!))),
      );
      const next = page.getByTestId('automated-next');
      if ((await next.count()) === 0) break;
      expect(pages, 'walking the snapshot pages ends').toBeLessThan(10);
      const before = page.url();
      await next.click();
      await page.waitForURL((url) => url.href !== before && url.searchParams.has('cursor'));
      if (pages === 1) await shoot(page, 'requirement-evidence-paged');
    }
    expect(walked).toEqual(every);

    // The package: downloaded through the button, its bundle checked by the CLI, whole and cut.
    await page.goto(`${baseUrl}/audits/${auditId}`);
    await page.getByTestId('audit').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('audit-package-download').click(),
    ]);
    const saved = join(dir, download.suggestedFilename());
    await download.saveAs(saved);
    expect(saved.endsWith('.zip')).toBe(true);
    const files = unzipSync(new Uint8Array(readFileSync(saved)));
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining(['README.txt', 'SHA256SUMS', 'evidence-bundle.json']),
    );
    const bundle = JSON.parse(new TextDecoder().decode(files['evidence-bundle.json'])) as Json;
    expect(bundle.entries.length).toBeGreaterThan(3);
    const whole = verify(bundle);
    expect(whole.stdout, whole.stderr).toMatch(/: OK \(/);
    expect(whole.status).toBe(0);
    const cutSeq = bundle.entries[2].seq as number;
    const cut = verify({ ...bundle, entries: bundle.entries.filter((e: Json) => e.seq !== cutSeq) });
    expect(cut.status).toBe(1);
    expect(cut.stdout).toMatch(/FAILED/);
    expect(cut.stderr).toMatch(new RegExp(`deleted_entry: .*\\b${cutSeq}\\b`));

    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
