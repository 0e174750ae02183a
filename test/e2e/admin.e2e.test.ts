/**
 * The administration journey in a real headless Chromium against the whole product: the demo admin adds a
 * GitHub integration from the form generated from the provider's settings schema (pointing at the demo's
 * local GitHub sandbox), tests it, schedules it, scans it and sees the score change on the dashboard; scanning
 * a second integration leaves the first one's results in the score; archiving the scanned integration moves
 * it to the labelled archived list and takes its results out of the score; an API token is created, shown once, used, and revoked; retention and a legal hold
 * are set. An auditor gets the same pages read-only. Every expected value is read back from the API.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_GITHUB_TOKEN } from '../../scanners/github/fixtures/github-fixture-org.ts';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { addMember, getJson } from './demo-product.ts';
import { collectErrors, signInAs, signOut, startScannedDemo, type ScannedDemo } from './screens.ts';

interface Scores {
  items: { framework_id: string; score: number | null }[];
  posture: { integrations: { integration_id: string; scan_id: string }[] } | null;
}

const SCAN_TIMEOUT_MS = 120_000;

let demo: ScannedDemo;
let browser: TestBrowser;
let baseUrl: string;

async function call(path: string, token: string, method = 'GET'): Promise<number> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
  });
  return response.status;
}

/** The percentages the dashboard's score cards show, by framework link. */
async function homeScores(page: Page): Promise<string[]> {
  await page.getByTestId('score-cards').waitFor();
  return page.getByTestId('score-percent').allTextContents();
}

/** Starts the integration's scan from its dashboard card and waits until it succeeded; answers the scan id. */
async function scanFromHome(page: Page, integrationId: string): Promise<string> {
  await page.goto(`${baseUrl}/`);
  const card = page.locator(`[data-testid="integration"][data-integration-id="${integrationId}"]`);
  await card.getByTestId('start-scan').click();
  const state = card.locator('[data-testid="scan-state"][data-status="succeeded"]');
  await state.waitFor({ timeout: SCAN_TIMEOUT_MS });
  return (await state.getAttribute('data-scan-id'))!;
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

describe('administration in Chromium', () => {
  it(
    'adds, tests, schedules and scans an integration; the posture keeps every integration until one is archived',
    { timeout: 400_000 },
    async () => {
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      await signInAs(browser, page, baseUrl, 'admin', {
        email: demo.running.demo.email,
        password: demo.running.demo.password,
      });
      const before = await getJson<Scores>(baseUrl, demo.token, '/api/scores');
      const homeBefore = await homeScores(page);

      // Add a GitHub integration from the form the provider's schema makes.
      await page.getByTestId('nav-integrations').click();
      await page.getByTestId('add-integration').click();
      const form = page.locator('[data-testid="integration-form"][data-mode="add"]');
      await form.getByTestId('integration-provider').selectOption('github');
      const name = 'Acme GitHub (added in the form)';
      await form.getByTestId('integration-name').fill(name);
      await form.getByLabel('Organizations').fill('acme-corp');
      await form.getByLabel('API URL').fill(demo.running.demo.sandboxUrls.github);
      const secret = form.getByLabel('Token', { exact: true });
      expect(await secret.getAttribute('type')).toBe('password');
      await secret.fill(DEMO_GITHUB_TOKEN);
      await form.getByTestId('integration-submit').click();
      const card = page.locator(`[data-testid="admin-integration"][data-name="${name}"]`);
      await card.waitFor();
      const integrationId = (await card.getAttribute('data-integration-id'))!;
      const listed = await getJson<{ items: { id: string; provider: string; config: object }[] }>(
        baseUrl,
        demo.token,
        '/api/integrations',
      );
      expect(listed.items.find((i) => i.id === integrationId)).toMatchObject({
        provider: 'github',
        config: { organizations: ['acme-corp'], baseUrl: demo.running.demo.sandboxUrls.github },
      });
      expect(JSON.stringify(listed)).not.toContain(DEMO_GITHUB_TOKEN);
      expect(await page.content()).not.toContain(DEMO_GITHUB_TOKEN);

      // Test the connection: the sandbox answers for the organization.
      await card.getByTestId('test-integration').click();
      const result = card.getByTestId('test-result');
      await result.waitFor();
      expect(await result.getAttribute('data-ok')).toBe('true');
      expect(await result.textContent()).toContain('acme-corp');

      // Editing starts with the secret empty; saving a new name keeps the stored token (the test still passes).
      await card.getByTestId('edit-integration').click();
      const edit = card.locator('[data-testid="integration-form"][data-mode="edit"]');
      expect(await edit.getByLabel('Token', { exact: true }).inputValue()).toBe('');
      expect(await edit.getByLabel('Organizations').inputValue()).toBe('acme-corp');
      await edit.getByTestId('integration-name').fill(`${name} renamed`);
      await edit.getByTestId('integration-submit').click();
      const renamed = page.locator(
        `[data-testid="admin-integration"][data-integration-id="${integrationId}"]`,
      );
      await page.locator(`[data-testid="admin-integration"][data-name="${name} renamed"]`).waitFor();
      await renamed.getByTestId('test-integration').click();
      await renamed.locator('[data-testid="test-result"][data-ok="true"]').waitFor();

      // A schedule, read back from the API.
      await renamed.getByTestId('schedule-integration').click();
      await renamed.getByTestId('schedule-cron').fill('0 4 * * *');
      await renamed.getByTestId('schedule-save').click();
      await renamed.locator('[data-testid="schedule"][data-cron="0 4 * * *"]').waitFor();
      const schedule = await getJson<{ cron: string | null }>(
        baseUrl,
        demo.token,
        `/api/integrations/${integrationId}/schedule`,
      );
      expect(schedule.cron).toBe('0 4 * * *');

      // Scan it from the dashboard: the posture now holds it beside the AWS account, and the scores moved.
      const githubScan = await scanFromHome(page, integrationId);
      const afterGithub = await getJson<Scores>(baseUrl, demo.token, '/api/scores');
      const sources = (s: Scores) =>
        Object.fromEntries((s.posture?.integrations ?? []).map((i) => [i.integration_id, i.scan_id]));
      expect(sources(afterGithub)).toEqual({ ...sources(before), [integrationId]: githubScan });
      const scoreOf = (s: Scores) => JSON.stringify(s.items.map((i) => [i.framework_id, i.score]));
      expect(scoreOf(afterGithub)).not.toBe(scoreOf(before));
      await expect.poll(() => homeScores(page), { timeout: 30_000 }).not.toEqual(homeBefore);

      // A second integration (the demo Okta org): the GitHub and AWS results stay in the score.
      const oktaId = demo.running.demo.integrationIds.okta;
      const oktaScan = await scanFromHome(page, oktaId);
      const afterOkta = await getJson<Scores>(baseUrl, demo.token, '/api/scores');
      expect(sources(afterOkta)).toEqual({ ...sources(afterGithub), [oktaId]: oktaScan });
      expect(sources(afterOkta)[integrationId]).toBe(githubScan);

      // Archiving the scanned GitHub integration: it moves to the archived list, labelled, and its results
      // leave the score at once while the others stay.
      await page.getByTestId('nav-integrations').click();
      const scanned = page.locator(
        `[data-testid="admin-integration"][data-integration-id="${integrationId}"]`,
      );
      await scanned.getByTestId('delete-integration').click();
      await page.getByTestId('delete-question').waitFor();
      expect(await page.getByTestId('delete-question').textContent()).toContain('kept for audit');
      await scanned.getByTestId('confirm-delete').click();
      const archivedCard = page.locator(
        `[data-testid="archived-integration"][data-integration-id="${integrationId}"]`,
      );
      await archivedCard.waitFor();
      expect(await archivedCard.getByTestId('archived-label').textContent()).toContain('Archived');
      expect(await scanned.count()).toBe(0);
      const afterArchive = await getJson<Scores>(baseUrl, demo.token, '/api/scores');
      const remaining = { ...sources(afterOkta) };
      delete remaining[integrationId];
      expect(sources(afterArchive)).toEqual(remaining);
      expect(
        (await getJson<{ items: { id: string }[] }>(baseUrl, demo.token, '/api/integrations')).items.map(
          (i) => i.id,
        ),
      ).not.toContain(integrationId);
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it('creates an API token, shows it once, sees its use, and revokes it', { timeout: 120_000 }, async () => {
    const page = await browser.context.newPage();
    await signInAs(browser, page, baseUrl, 'admin', {
      email: demo.running.demo.email,
      password: demo.running.demo.password,
    });
    await page.getByTestId('nav-tokens').click();
    await page.getByTestId('token-name').fill('CI pipeline');
    await page.getByTestId('token-role').selectOption('auditor');
    await page.getByTestId('token-expiry').selectOption('30');
    await page.getByTestId('token-submit').click();
    const value = await page.getByTestId('new-token-value').inputValue();
    expect(value).toMatch(/^cw_pat_/);
    const row = page.locator('[data-testid="token"][data-name="CI pipeline"]');
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('active');
    expect(await row.getByTestId('token-last-used').textContent()).toBe('Never');

    // It works with its role, and its use shows; after a reload the token is gone from the page.
    expect(await call('/api/me', value)).toBe(200);
    expect(await call('/api/tokens', value)).toBe(403);
    await page.reload();
    await row.waitFor();
    expect(await page.getByTestId('new-token').count()).toBe(0);
    expect(await page.content()).not.toContain(value);
    expect(await row.getByTestId('token-last-used').textContent()).not.toBe('Never');

    await row.getByTestId('revoke-token').click();
    await page.getByTestId('revoke-question').waitFor();
    await row.getByTestId('confirm-revoke').click();
    await page.locator('[data-testid="token"][data-name="CI pipeline"][data-state="revoked"]').waitFor();
    expect(await call('/api/me', value)).toBe(401);
    await page.close();
  });

  it('sets retention windows and a legal hold', { timeout: 120_000 }, async () => {
    const page = await browser.context.newPage();
    await signInAs(browser, page, baseUrl, 'admin', {
      email: demo.running.demo.email,
      password: demo.running.demo.password,
    });
    await page.getByTestId('nav-retention').click();
    await page.getByLabel('Findings (days)').fill('400');
    await page.getByLabel('Raw scan data (days)').fill('90');
    await page.getByTestId('retention-save').click();
    await page
      .locator('[data-testid="retention-window"][data-key="findings_days"][data-days="400"]')
      .waitFor();
    await page.getByTestId('legal-hold-reason').fill('Pending litigation with a supplier');
    await page.getByTestId('legal-hold-set').click();
    await page.getByTestId('legal-hold-on').waitFor();
    const settings = await getJson<Record<string, unknown>>(baseUrl, demo.token, '/api/settings/retention');
    expect(settings).toMatchObject({
      findings_days: 400,
      raw_scan_data_days: 90,
      evidence_days: null,
      legal_hold: { active: true, reason: 'Pending litigation with a supplier' },
    });
    // A window the API would refuse is held back by the form itself: nothing is sent.
    await page.getByLabel('Evidence (days)').fill('0');
    await page.getByTestId('retention-save').click();
    expect(await page.locator('#window-evidence_days:invalid').count()).toBe(1);
    const kept = await getJson<{ evidence_days: unknown }>(baseUrl, demo.token, '/api/settings/retention');
    expect(kept.evidence_days).toBeNull();
    await page.getByTestId('legal-hold-release').click();
    await page.getByTestId('legal-hold-off').waitFor();
    await page.close();
  });

  it(
    'offers the auditor the readable pages without any change, and no tokens',
    { timeout: 120_000 },
    async () => {
      const account = { email: 'auditor@admin.example.test', password: 'amber-quartz-admin-7' };
      await addMember(demo.running, demo.token, { ...account, role: 'auditor' });
      const page = await browser.context.newPage();
      await signInAs(browser, page, baseUrl, 'auditor', account);
      // Collected once signed in: the sign-in page's refresh of the admin's ended session may answer 401.
      const errors = collectErrors(page);
      for (const link of ['nav-integrations', 'nav-tokens', 'nav-scoring', 'nav-retention'])
        expect(await page.getByTestId(link).count(), link).toBe(0);
      await page.goto(`${baseUrl}/integrations`);
      await page.getByTestId('admin-integration').first().waitFor();
      for (const action of [
        'add-integration',
        'test-integration',
        'edit-integration',
        'delete-integration',
        'schedule-integration',
      ])
        expect(await page.getByTestId(action).count(), action).toBe(0);
      await page.goto(`${baseUrl}/settings/scoring`);
      await page.getByTestId('scoring-framework').first().waitFor();
      expect(await page.getByTestId('scoring-edit').count()).toBe(0);
      await page.goto(`${baseUrl}/settings/retention`);
      await page.getByTestId('retention-value').first().waitFor();
      expect(await page.getByTestId('retention-save').count()).toBe(0);
      expect(await page.getByTestId('legal-hold-set').count()).toBe(0);
      await page.goto(`${baseUrl}/settings/tokens`);
      await page.getByTestId('error-page').waitFor();
      expect(await page.getByTestId('error-page').getAttribute('data-status')).toBe('403');
      await signOut(page);
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});
