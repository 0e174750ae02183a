/**
 * End to end, in a real headless Chromium against the whole product started in-process: the demo user opens
 * Frameworks from the nav, sees each catalog's requirement count and coverage split as the API answers them,
 * opens one framework and sees its requirements and the score of the demo's first scan in its history.
 * Every expected value is read from the API, never hard-coded.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullPageScreenshot, launchTestBrowser, type TestBrowser } from './browser.ts';
import {
  addMember,
  demoAccessToken,
  getJson,
  postJson,
  signIn,
  startDemoProduct,
  type DemoProduct,
} from './demo-product.ts';

const artifactsDir = resolve(import.meta.dirname, '..', '..', '.test-artifacts');
/** The demo's first scan takes seconds; this bounds a hung worker, it is not a pause. */
const SCAN_TIMEOUT_MS = 120_000;
const LEVELS = ['automated', 'partial', 'manual', 'unmapped', 'out_of_scope'] as const;

interface ApiCoverage {
  framework_id: string;
  framework_version: string;
  total: number;
  counts: Record<(typeof LEVELS)[number], number>;
  requirements: { requirement_id: string; coverage: string }[];
}
interface ApiSnapshot {
  event_id: string;
  finished_at: string;
  scan_id: string;
  framework_version: string;
  score: number | null;
  passed: number;
  failed: number;
}

let running: DemoProduct;
let browser: TestBrowser;
let baseUrl: string;
let token: string;

const api = <T>(path: string) => getJson<T>(baseUrl, token, path);
const apiPost = <T>(path: string, body: unknown) => postJson<T>(baseUrl, token, path, body);

/** Waits until the demo's first scan has scored (the product starts it on its own). */
async function firstScanScored(): Promise<string> {
  const deadline = Date.now() + SCAN_TIMEOUT_MS;
  for (;;) {
    const scores = await api<{ scan_id: string | null }>('/api/scores');
    if (scores.scan_id) return scores.scan_id;
    const scans = await api<{ items: { status: string; failure?: unknown }[] }>('/api/scans');
    const failed = scans.items.find((s) => s.status === 'failed');
    expect(failed, `the demo scan failed: ${JSON.stringify(failed?.failure)}`).toBeUndefined();
    if (Date.now() > deadline) throw new Error('the demo scan did not finish in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Signs in from a clean slate: the login page sends a signed-in browser straight on, so the previous
 * test's refresh cookie is dropped first, and each test stands on its own.
 */
async function signInFresh(page: Page): Promise<void> {
  await browser.context.clearCookies();
  await signIn(page, baseUrl, running.demo.email, running.demo.password);
  await page.getByTestId('tenant-name').waitFor();
}

/** How the app prints a score; computed here on its own so a wrong formatter is caught. */
const expectedPercent = (score: number | null) => (score === null ? '—' : `${Math.round(score * 100)}%`);

beforeAll(async () => {
  mkdirSync(artifactsDir, { recursive: true });
  running = await startDemoProduct();
  baseUrl = running.baseUrl;
  token = await demoAccessToken(running);
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('frameworks page in Chromium', () => {
  it(
    'shows the API coverage of every framework and one framework with its score history',
    { timeout: 240_000 },
    async () => {
      const scanId = await firstScanScored();
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.text().includes('[svelte]')) problems.push(message.text());
      });
      await signInFresh(page);
      await page.getByTestId('nav-frameworks').click();
      await page.getByTestId('frameworks').waitFor();

      // One row per catalog, each with the API's requirement count and coverage counts.
      const listed = await api<{ items: { id: string; version: string; requirements: number }[] }>(
        '/api/frameworks',
      );
      const coverage = (await api<{ frameworks: ApiCoverage[] }>('/api/frameworks/coverage')).frameworks;
      expect(await page.getByTestId('framework').count()).toBe(listed.items.length);
      const scores = await api<{ items: { framework_id: string; framework_version: string }[] }>(
        '/api/scores',
      );
      // A framework the demo scan scored and rules cover in part: its numbers are not all zero.
      const chosen = coverage.find(
        (c) =>
          c.counts.automated > 0 &&
          scores.items.some(
            (s) => s.framework_id === c.framework_id && s.framework_version === c.framework_version,
          ),
      );
      expect(chosen, 'no scored framework has automated coverage').toBeDefined();
      const row = page.locator(
        `[data-testid="framework"][data-framework-id="${chosen!.framework_id}"][data-framework-version="${chosen!.framework_version}"]`,
      );
      const info = listed.items.find(
        (f) => f.id === chosen!.framework_id && f.version === chosen!.framework_version,
      )!;
      expect(await row.getByTestId('framework-requirements').textContent()).toBe(String(info.requirements));
      for (const level of LEVELS) {
        const shown = row.locator(`[data-testid="coverage-count"][data-level="${level}"]`);
        expect(await shown.getByTestId('coverage-value').textContent(), level).toBe(
          String(chosen!.counts[level]),
        );
      }

      await fullPageScreenshot(page, join(artifactsDir, 'e2e-frameworks-list.png'));

      // Open it: its requirements with their coverage, and the first scan's score in the history.
      await row.getByTestId('framework-link').click();
      await page.getByTestId('history-point').first().waitFor();
      const ref = `${chosen!.framework_id}@${chosen!.framework_version}`;
      const history = await api<{ items: ApiSnapshot[] }>(
        `/api/scores/history?framework=${encodeURIComponent(ref)}&limit=20`,
      );
      expect(history.items.length).toBeGreaterThanOrEqual(1);
      expect(history.items[0]!.scan_id).toBe(scanId);
      const points = page.getByTestId('history-point');
      expect(await points.count()).toBe(history.items.length);
      for (const [i, snapshot] of history.items.entries()) {
        const point = points.nth(i);
        expect(await point.getAttribute('data-scan-id')).toBe(snapshot.scan_id);
        expect(await point.getByTestId('history-score').textContent()).toContain(
          expectedPercent(snapshot.score),
        );
        expect(await point.getByTestId('history-passed').textContent()).toBe(String(snapshot.passed));
        expect(await point.getByTestId('history-failed').textContent()).toBe(String(snapshot.failed));
      }
      const requirements = page.getByTestId('requirement');
      expect(await requirements.count()).toBe(chosen!.requirements.length);
      for (const requirement of chosen!.requirements.slice(0, 5)) {
        const shown = page.locator(
          `[data-testid="requirement"][data-requirement-id="${requirement.requirement_id}"]`,
        );
        expect(await shown.getAttribute('data-coverage')).toBe(requirement.coverage);
      }
      await fullPageScreenshot(page, join(artifactsDir, 'e2e-framework.png'));

      // A reload keeps the deep link (SPA fallback, session from the refresh cookie).
      await page.reload();
      await page.getByTestId('history-point').first().waitFor();
      expect(problems).toEqual([]);
      await page.close();
    },
  );

  it('pages through the score history with load more', { timeout: 240_000 }, async () => {
    // A second scan of the demo account, so there are two snapshots to page through one at a time.
    const started = await apiPost<{ id: string }>('/api/scans', {
      integration_id: running.demo.integrationId,
    });
    const deadline = Date.now() + SCAN_TIMEOUT_MS;
    for (;;) {
      const scan = await api<{ status: string }>(`/api/scans/${started.id}`);
      if (scan.status === 'succeeded') break;
      expect(['queued', 'running'], `scan ended ${scan.status}`).toContain(scan.status);
      if (Date.now() > deadline) throw new Error('the second scan did not finish in time');
      await new Promise((r) => setTimeout(r, 250));
    }
    const scored = (
      await api<{ items: { framework_id: string; framework_version: string }[] }>('/api/scores')
    ).items[0]!;
    const ref = `${scored.framework_id}@${scored.framework_version}`;
    const all = await api<{ items: ApiSnapshot[] }>(
      `/api/scores/history?framework=${encodeURIComponent(ref)}&limit=100`,
    );
    expect(all.items.length).toBeGreaterThanOrEqual(2);
    expect(all.items[0]!.scan_id).toBe(started.id);

    const page = await browser.context.newPage();
    await signInFresh(page);
    await page.goto(`${baseUrl}/frameworks/${encodeURIComponent(ref)}?per_page=1`);
    const points = page.getByTestId('history-point');
    await points.first().waitFor();
    expect(await points.count()).toBe(1);
    for (let shown = 1; shown < all.items.length; shown++) {
      await page.getByTestId('history-more').click();
      await points.nth(shown).waitFor();
    }
    // Every snapshot once, newest first, in the API's order; no further page is offered.
    const ids = await points.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-scan-id')));
    expect(ids).toEqual(all.items.map((s) => s.scan_id));
    expect(await page.getByTestId('history-more').count()).toBe(0);
    // The chart draws one named, focusable point per scored snapshot, oldest first, with the API's values.
    const scoredOldestFirst = all.items.filter((s) => s.score !== null).reverse();
    const chart = page.getByTestId('score-chart');
    const dots = chart.getByTestId('chart-point');
    expect(await dots.count()).toBe(scoredOldestFirst.length);
    for (const [i, snapshot] of scoredOldestFirst.entries()) {
      const dot = dots.nth(i);
      expect(await dot.getAttribute('data-event-id')).toBe(snapshot.event_id);
      expect(Number(await dot.getAttribute('data-score'))).toBe(snapshot.score);
      expect(await dot.getAttribute('aria-label')).toContain(
        `${expectedPercent(snapshot.score)} on ${snapshot.finished_at.slice(0, 10)}`,
      );
    }
    // Oldest at the left; axes carry dates and percentages in text; the chart is named and described.
    const xs = await dots.evaluateAll((cs) => cs.map((c) => Number(c.getAttribute('cx'))));
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(await chart.getByTestId('chart-date').first().textContent()).toBe(
      scoredOldestFirst[0]!.finished_at.slice(0, 10),
    );
    expect(await chart.locator('text', { hasText: '100%' }).count()).toBe(1);
    expect(await chart.locator('title').first().textContent()).toContain('Score history of');
    expect(await chart.locator('desc').textContent()).toContain(`${scoredOldestFirst.length} scores of`);
    // Keyboard: tabbing onto a point shows its value as a drawn tooltip.
    await dots.last().focus();
    const tip = chart.getByTestId('chart-tooltip');
    expect(await tip.textContent()).toContain(expectedPercent(scoredOldestFirst.at(-1)!.score));
    await fullPageScreenshot(page, join(artifactsDir, 'e2e-framework-chart.png'));

    // Home: the card's trend has the same points, and its status split links each state to the filtered page.
    await page.goto(`${baseUrl}/`);
    const card = page.locator(
      `[data-testid="score-card"][data-framework-id="${scored.framework_id}"][data-framework-version="${scored.framework_version}"]`,
    );
    await card.getByTestId('score-chart').waitFor();
    expect(await card.getByTestId('chart-point').count()).toBe(scoredOldestFirst.length);
    const posture = (
      await api<{
        items: { framework_id: string; framework_version: string; status_counts: Record<string, number> }[];
      }>('/api/scores')
    ).items.find(
      (s) => s.framework_id === scored.framework_id && s.framework_version === scored.framework_version,
    )!;
    const segments = card.getByTestId('split-segment');
    const nonEmpty = Object.entries(posture.status_counts).filter(([, n]) => n > 0);
    expect(await segments.count()).toBe(nonEmpty.length);
    for (const [state, count] of Object.entries(posture.status_counts)) {
      const legend = card.locator(
        `[data-testid="status-split"] a[data-state="${state}"]:not([data-testid="split-segment"])`,
      );
      expect(await legend.textContent(), state).toBe(String(count));
      expect(decodeURIComponent((await legend.getAttribute('href'))!), state).toBe(
        `/frameworks/${ref}?status=${state}`,
      );
    }
    const [firstState] = nonEmpty[0]!;
    await segments.first().click();
    await page.waitForURL((url) => url.search === `?status=${firstState}`);
    expect(await page.getByTestId('posture-requirement').count()).toBe(posture.status_counts[firstState]);
    await page.close();
  });

  it(
    'shows an uploaded catalog nothing has scored yet with its empty history',
    { timeout: 120_000 },
    async () => {
      const content = [
        'id: e2e-empty',
        "version: '1'",
        'title: E2E empty catalog',
        'owner: Example',
        'source: https://example.test/catalog',
        'license: Internal',
        'text_policy: official_text',
        'requirements:',
        '  - { id: X1, title: Nothing maps here }',
        '',
      ].join('\n');
      await apiPost('/api/frameworks', { format: 'yaml', content });
      const coverage = (await api<{ frameworks: ApiCoverage[] }>('/api/frameworks/coverage/e2e-empty'))
        .frameworks[0]!;
      const page = await browser.context.newPage();
      await signInFresh(page);
      await page.getByTestId('nav-frameworks').click();
      const row = page.locator('[data-testid="framework"][data-framework-id="e2e-empty"]');
      await row.waitFor();
      for (const level of LEVELS) {
        const shown = row.locator(`[data-testid="coverage-count"][data-level="${level}"]`);
        expect(await shown.getByTestId('coverage-value').textContent(), level).toBe(
          String(coverage.counts[level]),
        );
      }
      await row.getByTestId('framework-link').click();
      await page.getByTestId('no-history').waitFor();
      expect(await page.getByTestId('history-point').count()).toBe(0);
      const requirement = page.locator('[data-testid="requirement"][data-requirement-id="X1"]');
      expect(await requirement.getAttribute('data-coverage')).toBe(coverage.requirements[0]!.coverage);
      await page.close();
    },
  );

  it('links Frameworks for a member with the plain user role too', { timeout: 120_000 }, async () => {
    const member = { email: 'viewer@example.test', password: 'plain-user-walkthrough-1', role: 'user' };
    await addMember(running, token, member);
    const listed = await api<{ items: unknown[] }>('/api/frameworks');
    const page = await browser.context.newPage();
    await browser.context.clearCookies();
    await signIn(page, baseUrl, member.email, member.password);
    await page.getByTestId('signed-in-as').filter({ hasText: member.email }).waitFor();
    // Overrides are for admins and auditors; Frameworks is for everyone signed in.
    expect(await page.getByTestId('nav-overrides').count()).toBe(0);
    await page.getByTestId('nav-frameworks').click();
    await page.getByTestId('frameworks').waitFor();
    expect(await page.getByTestId('framework').count()).toBe(listed.items.length);
    await page.close();
  });
});
