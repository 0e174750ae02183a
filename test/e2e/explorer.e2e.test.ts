/**
 * The findings explorer and the scans page in a real Chromium against the whole product (demo tenant, one
 * succeeded scan): filter the explorer through its form, reload (the filters live in the URL), export the
 * CSV and compare it with the API's rows for the same query; page through; follow a scan on the scans page
 * from queued or running to succeeded and open its results. An auditor sees both pages without the scan
 * button. Every expected value is read from the API.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { addMember, getJson } from './demo-product.ts';
import { checkScreen, collectErrors, signInAs, startScannedDemo, type ScannedDemo } from './screens.ts';

interface ApiFinding {
  id: string;
  rule_id: string;
  status: string;
  severity: string;
}
interface ApiPage {
  items: ApiFinding[];
  next_cursor: string | null;
}

let demo: ScannedDemo;
let browser: TestBrowser;
let baseUrl: string;

/** Every finding the explorer API lists for `query`, in its order. */
async function allFindings(query: string): Promise<ApiFinding[]> {
  const items: ApiFinding[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiPage = await getJson<ApiPage>(
      baseUrl,
      demo.token,
      `/api/findings?${query}&limit=37${cursor ? `&cursor=${cursor}` : ''}`,
    );
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

const rowIds = (page: Page) =>
  page
    .getByTestId('explorer-row')
    .evaluateAll((rows) =>
      rows.map((row) => (row as unknown as { dataset: { findingId: string } }).dataset.findingId),
    );

/**
 * Signs in from a browser an earlier test left signed in: its "signed in here" hint is cleared first, or the
 * login page's cold load asks for a refresh the cleared cookie cannot give and logs that 401.
 */
async function signInFresh(
  page: Page,
  role: 'admin' | 'auditor',
  account: { email: string; password: string },
) {
  await page.goto(`${baseUrl}/login`);
  await page.evaluate('localStorage.clear()');
  await signInAs(browser, page, baseUrl, role, account);
}

beforeAll(async () => {
  demo = await startScannedDemo();
  baseUrl = demo.running.baseUrl;
  browser = await launchTestBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await demo?.running.close();
});

describe('findings explorer and scans in Chromium', () => {
  it(
    'filters survive a reload and the CSV export is exactly the filtered set',
    { timeout: 300_000 },
    async () => {
      const page = await browser.context.newPage();
      const admin = { email: demo.running.demo.email, password: demo.running.demo.password };
      await signInFresh(page, 'admin', admin);
      const errors = collectErrors(page);
      await page.getByTestId('nav-findings').click();
      await page.getByTestId('explorer').waitFor();

      // The unfiltered first page is the API's first page, in order.
      const first = await getJson<ApiPage>(baseUrl, demo.token, '/api/findings?limit=50');
      expect(await rowIds(page)).toEqual(first.items.map((f) => f.id));

      // Filter through the form: failing findings, by resource.
      await page.locator('#f-status').selectOption('fail');
      await page.locator('#f-sort').selectOption('resource_id');
      await page.getByTestId('apply-filters').click();
      await page.waitForURL(/status=fail/);
      expect(new URL(page.url()).search).toBe('?status=fail&sort=resource_id');
      const failing = await allFindings('status=fail&sort=resource_id');
      expect(failing.length).toBeGreaterThan(0);
      expect(failing.length).toBeLessThan((await allFindings('')).length);
      await page.waitForFunction(
        `document.querySelectorAll('[data-testid="explorer-row"]').length === ${Math.min(50, failing.length)}`,
      );
      expect(await rowIds(page)).toEqual(failing.slice(0, 50).map((f) => f.id));

      // A reload keeps the filters: the same rows, the form showing them.
      await page.reload();
      await page.getByTestId('explorer').waitFor();
      expect(await page.locator('#f-status').inputValue()).toBe('fail');
      expect(await page.locator('#f-sort').inputValue()).toBe('resource_id');
      expect(await rowIds(page)).toEqual(failing.slice(0, 50).map((f) => f.id));

      // Each row links to its finding and its rule.
      const row = page.getByTestId('explorer-row').first();
      expect(await row.getByTestId('finding-link').getAttribute('href')).toBe(`/findings/${failing[0]!.id}`);
      expect(await row.getByTestId('rule-link').getAttribute('href')).toBe(`/rules/${failing[0]!.rule_id}`);

      // The export: its address carries the same filters, and the file holds exactly the API's rows.
      const link = page.getByTestId('export-csv');
      expect(await link.getAttribute('href')).toBe('/api/reports/findings.csv?status=fail&sort=resource_id');
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const csv = readFileSync((await download.path())!, 'utf8');
      const rows = parse(csv, { columns: true, record_delimiter: '\r\n' }) as Record<string, string>[];
      expect(rows.map((r) => r.id)).toEqual(failing.map((f) => f.id));
      expect(rows.every((r) => r.status === 'fail')).toBe(true);

      // "New since the last scan" joins the URL and the export; pages follow the API's cursor.
      await page.getByTestId('filter-new').check();
      await page.getByTestId('apply-filters').click();
      await page.waitForURL(/new_since_last_scan=true/);
      const fresh = await allFindings('status=fail&new_since_last_scan=true&sort=resource_id');
      await page.waitForFunction(
        `document.querySelectorAll('[data-testid="explorer-row"], [data-testid="no-findings"]').length > 0`,
      );
      expect(await rowIds(page)).toEqual(fresh.slice(0, 50).map((f) => f.id));
      await page.getByTestId('clear-filters').click();
      await page.waitForURL((url) => url.search === '');
      if (first.next_cursor) {
        await page.getByTestId('next-page').click();
        await page.waitForURL(/cursor=/);
        const second = await getJson<ApiPage>(
          baseUrl,
          demo.token,
          `/api/findings?limit=50&cursor=${first.next_cursor}`,
        );
        await page.getByTestId('first-page').waitFor();
        expect(await rowIds(page)).toEqual(second.items.map((f) => f.id));
      }
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it(
    'the scans page follows a scan from running to done and links to its results',
    { timeout: 300_000 },
    async () => {
      const page = await browser.context.newPage();
      const admin = { email: demo.running.demo.email, password: demo.running.demo.password };
      await signInFresh(page, 'admin', admin);
      const errors = collectErrors(page);
      await page.getByTestId('nav-scans').click();
      await page.getByTestId('scans').waitFor();
      const before = await page.getByTestId('scan-row').count();
      const listed = await getJson<{ items: { id: string }[] }>(baseUrl, demo.token, '/api/scans?limit=25');
      expect(before).toBe(listed.items.length);

      await page.getByTestId('scan-now').first().click();
      const running = page.locator(
        '[data-testid="scan-row"][data-status="queued"], [data-testid="scan-row"][data-status="running"]',
      );
      await running.first().waitFor();
      const scanId = (await running.first().getAttribute('data-scan-id'))!;
      expect(await page.getByTestId('scan-row-progress').count()).toBeGreaterThan(0);
      const done = page.locator(
        `[data-testid="scan-row"][data-scan-id="${scanId}"][data-status="succeeded"]`,
      );
      await done.waitFor({ timeout: 180_000 });
      const scan = await getJson<{ progress: { calls_made: number }; errors: unknown[] }>(
        baseUrl,
        demo.token,
        `/api/scans/${scanId}`,
      );
      expect(await done.getByTestId('scan-row-calls').textContent()).toBe(String(scan.progress.calls_made));
      expect(await done.getByTestId('scan-row-duration').textContent()).toMatch(/\d/);

      // Its results: the explorer over exactly that scan.
      await done.getByTestId('scan-results').click();
      await page.waitForURL(new RegExp(`/findings\\?scan_id=${scanId}`));
      await page.getByTestId('explorer').waitFor();
      expect(await page.getByTestId('explorer-scan').textContent()).toBe(scanId);
      const ofScan = await getJson<ApiPage>(baseUrl, demo.token, `/api/findings?scan_id=${scanId}&limit=50`);
      expect(await rowIds(page)).toEqual(ofScan.items.map((f) => f.id));
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it('an auditor reads both pages and is offered no scan', { timeout: 300_000 }, async () => {
    const auditor = { email: 'auditor@explorer.example.test', password: 'amber-quartz-explorer-1' };
    await addMember(demo.running, demo.token, { ...auditor, role: 'auditor' });
    const page = await browser.context.newPage();
    await signInFresh(page, 'auditor', auditor);
    const errors = collectErrors(page);
    await checkScreen(page, baseUrl, 'auditor-journey', {
      name: 'scans',
      path: '/scans',
      ready: '[data-testid="scans"]',
    });
    expect(await page.getByTestId('scan-source').count()).toBeGreaterThan(0);
    expect(await page.getByTestId('scan-now').count()).toBe(0);
    await checkScreen(page, baseUrl, 'auditor-journey', {
      name: 'findings-new',
      path: '/findings?new_since_last_scan=true&sort=rule_id',
      ready: 'main h1',
    });
    expect(await page.getByTestId('export-csv').count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });
});
