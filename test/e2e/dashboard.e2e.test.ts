/**
 * End to end, in a real headless Chromium against the whole product started in-process (API, scan worker,
 * embedded database, demo tenant, S3 sandbox): sign in, scan, read scores, follow a control to its findings
 * and one finding to its evidence. Every expected value is read from the API, never hard-coded.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProduct } from '../../api/src/main.ts';
import { fullPageScreenshot, launchTestBrowser, type TestBrowser } from './browser.ts';
import { getJson, postJson, signIn as signInAt, startDemoProduct, type DemoProduct } from './demo-product.ts';

const artifactsDir = resolve(import.meta.dirname, '..', '..', '.test-artifacts');
/** A scan of the sandbox takes seconds; this bounds a hung worker, it is not a pause. */
const SCAN_TIMEOUT_MS = 120_000;

interface ApiScore {
  framework_id: string;
  framework_version: string;
  score: number | null;
}
interface ApiFinding {
  id: string;
  rule_id: string;
  rule_version: string;
  rule_hash: string;
  bundle_revision: string;
  evidence_sha256: string | null;
}

let running: DemoProduct;
let product: RunningProduct;
let browser: TestBrowser;
let baseUrl: string;

/** Calls the API as the demo user (its own session, beside the browser's). */
const apiAs = <T>(path: string, token: string) => getJson<T>(baseUrl, token, path);
const apiPost = <T>(path: string, token: string, body: unknown) => postJson<T>(baseUrl, token, path, body);

async function apiLogin(email: string, password: string): Promise<Response> {
  return fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
}

/** How the app prints a score; computed here on its own so a wrong formatter is caught. */
function expectedPercent(score: number | null): string {
  return score === null ? '—' : `${Math.round(score * 100)}%`;
}

/**
 * Records uncaught page errors and Svelte runtime warnings (not the browser's own log lines, such as the
 * expected 401 of the session restore on /login) so a test can assert the app ran cleanly.
 */
function watchForAppProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.text().includes('[svelte]')) problems.push(`svelte ${message.type()}: ${message.text()}`);
  });
  return problems;
}

/** A hash shown short in a table cell: a real prefix of the full value, which the title gives in full. */
async function expectAbbreviated(cell: Locator, full: string): Promise<void> {
  const shown = (await cell.textContent()) ?? '';
  expect(shown.length).toBeGreaterThanOrEqual(8);
  expect(full.startsWith(shown), `${shown} is not a prefix of ${full}`).toBe(true);
  expect(await cell.getAttribute('title')).toBe(full);
}

async function signIn(page: Page, email: string, password: string): Promise<void> {
  await signInAt(page, baseUrl, email, password);
}

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  running = await startDemoProduct();
  product = running.product;
  baseUrl = running.baseUrl;
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('dashboard in Chromium', () => {
  it('shows the API error message for a wrong password', async () => {
    const page = await browser.context.newPage();
    const expected = (await (await apiLogin(product.demo!.email, 'not-the-password')).json()) as {
      error: { message: string };
    };
    await signIn(page, product.demo!.email, 'not-the-password');
    const error = page.getByTestId('login-error');
    await error.waitFor();
    expect(await error.textContent()).toBe(expected.error.message);
    expect(page.url()).toBe(`${baseUrl}/login`);
    await page.close();
  });

  it(
    'scans the demo account and traces a score to rule versions and evidence',
    { timeout: 240_000 },
    async () => {
      const { email, password } = product.demo!;
      const session = (await (await apiLogin(email, password)).json()) as {
        access_token: string;
        tenant: { name: string };
      };
      const token = session.access_token;
      const page = await browser.context.newPage();
      const problems = watchForAppProblems(page);

      // Sign in and land on the dashboard of the demo tenant.
      await signIn(page, email, password);
      await page.getByTestId('tenant-name').filter({ hasText: session.tenant.name }).waitFor();
      await page.getByTestId('tenant-demo').waitFor();

      // Start a scan of the main demo integration (the AWS account; the other sandboxes are demo too).
      const integration = page.locator(
        `[data-testid="integration"][data-integration-id="${product.demo!.integrationId}"]`,
        { has: page.getByTestId('demo-badge') },
      );
      // The demo seed may already have scanned: wait for the state of a scan that did not exist before the click.
      const before = await apiAs<{ items: { id: string }[] }>('/api/scans', token);
      await integration.getByTestId('start-scan').click();
      const notBefore = before.items.map((s) => `:not([data-scan-id="${s.id}"])`).join('');
      const finished = integration.locator(
        ['succeeded', 'failed']
          .map((s) => `[data-testid="scan-state"][data-status="${s}"]${notBefore}`)
          .join(', '),
      );
      await finished.waitFor({ timeout: SCAN_TIMEOUT_MS });
      const scanId = await finished.getAttribute('data-scan-id');
      const status = await finished.getAttribute('data-status');
      const failure = status === 'failed' ? await integration.getByTestId('scan-failure').textContent() : '';
      expect(status, `scan failed in the UI: ${failure}`).toBe('succeeded');

      // Scan errors from the API (e.g. AccessDenied) appear as warnings, one line each.
      const scan = await apiAs<{ errors: { operation: string; missing_permission?: string | null }[] }>(
        `/api/scans/${scanId}`,
        token,
      );
      expect(await integration.getByTestId('scan-error').count()).toBe(scan.errors.length);
      for (const permission of scan.errors.map((e) => e.missing_permission).filter(Boolean)) {
        expect(await integration.getByTestId('scan-errors').textContent()).toContain(permission);
      }

      // Once the scan succeeded the dashboard reloads the scores of that scan; each card shows the API's score.
      await page.getByTestId('scores-scan-id').filter({ hasText: scanId! }).waitFor();
      const scores = await apiAs<{ scan_id: string; items: ApiScore[] }>('/api/scores', token);
      expect(scores.scan_id).toBe(scanId);
      expect(scores.items.length).toBeGreaterThan(0);
      expect(await page.getByTestId('score-card').count()).toBe(scores.items.length);
      for (const score of scores.items) {
        const card = page.locator(
          `[data-testid="score-card"][data-framework-id="${score.framework_id}"][data-framework-version="${score.framework_version}"]`,
        );
        expect(await card.getByTestId('score-percent').textContent()).toBe(expectedPercent(score.score));
      }

      // The top failing controls are the scan's failing controls, most failing findings first, each count the
      // API's; open the first one.
      const controls = await apiAs<{
        items: { control_id: string; status: string; counts: Record<string, number> }[];
      }>(`/api/scans/${scanId}/controls`, token);
      const failing = controls.items
        .filter((c) => c.status === 'fail')
        .sort((a, b) => b.counts.fail! - a.counts.fail! || a.control_id.localeCompare(b.control_id))
        .slice(0, 10);
      expect(failing.length, 'the demo scan has failing controls').toBeGreaterThan(0);
      const topRows = page.getByTestId('top-failing-control');
      const topIds = await Promise.all(
        (await topRows.all()).map((row) => row.getAttribute('data-control-id')),
      );
      expect(topIds).toEqual(failing.map((c) => c.control_id));
      expect(await page.getByTestId('top-failing-count').allTextContents()).toEqual(
        failing.map((c) => String(c.counts.fail)),
      );
      const control = failing[0];
      const link = topRows.first().getByTestId('control-link');
      await fullPageScreenshot(page, join(artifactsDir, 'e2e-dashboard.png'));
      await link.click();
      await page.locator(`[data-testid="control"][data-control-id="${control!.control_id}"]`).waitFor();

      // Its findings table shows each finding with rule id and version, short rule hash and bundle revision.
      const detail = await apiAs<{ findings: ApiFinding[] }>(
        `/api/scans/${scanId}/controls/${encodeURIComponent(control!.control_id)}`,
        token,
      );
      const rows = page.getByTestId('finding');
      expect(await rows.count()).toBe(detail.findings.length);
      for (const finding of detail.findings) {
        const row = page.locator(`[data-testid="finding"][data-finding-id="${finding.id}"]`);
        expect(await row.getByTestId('finding-rule').textContent()).toBe(
          `${finding.rule_id}@${finding.rule_version}`,
        );
        await expectAbbreviated(row.getByTestId('finding-rule-hash'), finding.rule_hash);
        await expectAbbreviated(row.getByTestId('finding-bundle-revision'), finding.bundle_revision);
      }
      // The full bundle revision is spelled out once, in the control's header.
      for (const revision of new Set(detail.findings.map((f) => f.bundle_revision))) {
        expect(await page.getByTestId('control-bundle-revision').textContent()).toContain(revision);
      }

      // The evidence of one finding: the sha256 shown is the finding's, the JSON is the stored snapshot.
      const traced = detail.findings.find((f) => f.evidence_sha256);
      expect(traced, 'no finding carries evidence').toBeDefined();
      const row = page.locator(`[data-testid="finding"][data-finding-id="${traced!.id}"]`);
      await row.getByTestId('show-evidence').click();
      await page.locator('[data-testid="evidence"], [data-testid="evidence-error"]').waitFor();
      const evidenceError = page.getByTestId('evidence-error');
      const loadError = (await evidenceError.count()) ? await evidenceError.textContent() : null;
      expect(loadError, 'the evidence did not load').toBeNull();
      const evidence = page.getByTestId('evidence');
      expect(await evidence.getByTestId('evidence-sha256').textContent()).toBe(traced!.evidence_sha256);
      const stored = await apiAs<{ size: number; content: unknown }>(
        `/api/evidence/${traced!.evidence_sha256}`,
        token,
      );
      expect(await evidence.getByTestId('evidence-size').textContent()).toContain(`${stored.size} bytes`);
      const shown = (await evidence.getByTestId('evidence-content').textContent()) ?? '';
      const content = typeof stored.content === 'string' ? JSON.parse(stored.content) : stored.content;
      expect(JSON.parse(shown)).toEqual(content);
      // The browser recomputed the sha256 of the canonical JSON and found the name right.
      await evidence.locator('[data-testid="evidence-verification"]:not([data-result="pending"])').waitFor();
      expect(await evidence.getByTestId('evidence-verification').getAttribute('data-result')).toBe(
        'verified',
      );
      await fullPageScreenshot(page, join(artifactsDir, 'e2e-evidence.png'));

      // A reload keeps the session (refresh cookie) and the deep link (SPA fallback).
      await page.reload();
      await page.locator(`[data-testid="control"][data-control-id="${control!.control_id}"]`).waitFor();
      expect(problems).toEqual([]);
      await page.close();
    },
  );
  it(
    'cancels a scan from its panel: the scan ends cancelled and the button is usable again',
    { timeout: 240_000 },
    async () => {
      const { email, password } = product.demo!;
      const { access_token: token } = (await (await apiLogin(email, password)).json()) as {
        access_token: string;
      };
      await browser.context.clearCookies();
      const page = await browser.context.newPage();
      const problems = watchForAppProblems(page);
      await signIn(page, email, password);
      // The main demo account takes seconds to scan (every service, every region): time enough to cancel.
      const panel = page.locator(
        `[data-testid="integration"][data-integration-id="${product.demo!.integrationId}"]`,
      );
      const before = await apiAs<{ items: { id: string }[] }>('/api/scans', token);
      await panel.getByTestId('start-scan').click();
      await panel.getByTestId('cancel-scan').click();
      const notBefore = before.items.map((s) => `:not([data-scan-id="${s.id}"])`).join('');
      const cancelled = panel.locator(`[data-testid="scan-state"][data-status="cancelled"]${notBefore}`);
      await cancelled.waitFor({ timeout: SCAN_TIMEOUT_MS });
      const scan = await apiAs<{ status: string }>(
        `/api/scans/${await cancelled.getAttribute('data-scan-id')}`,
        token,
      );
      expect(scan.status).toBe('cancelled');
      await panel.getByTestId('scan-cancelled').waitFor();
      expect(await panel.getByTestId('start-scan').isEnabled()).toBe(true);
      expect(await panel.getByTestId('cancel-scan').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    },
  );

  it('shows why a scan failed when the integration has wrong credentials', { timeout: 240_000 }, async () => {
    const { email, password, sandboxUrl } = product.demo!;
    const { access_token: token } = (await (await apiLogin(email, password)).json()) as {
      access_token: string;
    };
    const integration = await apiPost<{ id: string }>('/api/integrations', token, {
      provider: 'aws',
      name: 'Sandbox with unknown keys',
      config: { accountId: '123456789012', region: 'us-east-1', endpoint: sandboxUrl },
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'not-a-real-secret' },
    });

    await browser.context.clearCookies(); // independent of the other tests' sessions
    const page = await browser.context.newPage();
    const problems = watchForAppProblems(page);
    await signIn(page, email, password);
    const panel = page.locator(`[data-testid="integration"][data-integration-id="${integration.id}"]`);
    await panel.getByTestId('start-scan').click();
    const failed = panel.locator('[data-testid="scan-state"][data-status="failed"]');
    await failed.waitFor({ timeout: SCAN_TIMEOUT_MS });

    const scan = await apiAs<{ failure: { code: string; message: string } }>(
      `/api/scans/${await failed.getAttribute('data-scan-id')}`,
      token,
    );
    const shown = (await panel.getByTestId('scan-failure').textContent()) ?? '';
    expect(shown).toContain(scan.failure.code);
    expect(shown).toContain(scan.failure.message);
    await panel.screenshot({ path: join(artifactsDir, 'e2e-scan-failure.png') });
    // The button is usable again for another try.
    expect(await panel.getByTestId('start-scan').isEnabled()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });
});
