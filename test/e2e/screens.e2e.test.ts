/**
 * Every page of the app, for every role, at a phone, a tablet and a desktop width, in a real headless Chromium
 * against the whole product: no page scrolls sideways, axe finds no serious or critical violation, each role
 * is offered only what it may do, and a cold load without a session logs no error. A screenshot of each
 * screen lands in .test-artifacts/screens/<role>-<page>-<width>.png for a person to look at.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import {
  addMember,
  demoAccessToken,
  getJson,
  invitationTokenFor,
  postJson,
  signIn,
  startDemoProduct,
  type DemoProduct,
} from './demo-product.ts';

const screensDir = resolve(import.meta.dirname, '..', '..', '.test-artifacts', 'screens');
const WIDTHS = [
  { width: 390, height: 844 },
  { width: 820, height: 1180 },
  { width: 1440, height: 900 },
] as const;
/** A scan of the sandbox takes seconds; this bounds a hung worker, it is not a pause. */
const SCAN_TIMEOUT_MS = 120_000;

type Role = 'admin' | 'auditor' | 'user';
interface Screen {
  name: string;
  path: string;
  /** What shows once the page has its data. */
  ready: string;
}

let running: DemoProduct;
let browser: TestBrowser;
let baseUrl: string;
let token: string;
const accounts = {} as Record<Role, { email: string; password: string }>;
let screens: Screen[];
/** The pages a signed-out visitor may open, each in the state a person first sees it. */
let publicScreens: Screen[];

beforeAll(async () => {
  mkdirSync(screensDir, { recursive: true });
  running = await startDemoProduct();
  baseUrl = running.baseUrl;
  token = await demoAccessToken(running);
  browser = await launchTestBrowser();
  accounts.admin = { email: running.demo.email, password: running.demo.password };
  for (const role of ['auditor', 'user'] as const) {
    // The password policy refuses one that holds the e-mail's name part (the role here).
    const password = role === 'auditor' ? 'amber-quartz-screens-1' : 'cobalt-fern-screens-2';
    accounts[role] = { email: `${role}@screens.example.test`, password };
    await addMember(running, token, { ...accounts[role], role });
  }

  // One succeeded scan, so the dashboard has scores and a control has findings to show.
  const started = await postJson<{ id: string }>(baseUrl, token, '/api/scans', {
    integration_id: running.demo.integrationId,
  });
  const deadline = Date.now() + SCAN_TIMEOUT_MS;
  for (;;) {
    const scan = await getJson<{ status: string }>(baseUrl, token, `/api/scans/${started.id}`);
    if (scan.status === 'succeeded') break;
    expect(['queued', 'running'], `scan ended ${scan.status}`).toContain(scan.status);
    if (Date.now() > deadline) throw new Error('the scan did not finish in time');
    await new Promise((r) => setTimeout(r, 250));
  }
  const controls = await getJson<{ items: { control_id: string; status: string }[] }>(
    baseUrl,
    token,
    `/api/scans/${started.id}/controls`,
  );
  const control = controls.items.find((c) => c.status === 'fail') ?? controls.items[0]!;
  const scores = await getJson<{ items: { framework_id: string; framework_version: string }[] }>(
    baseUrl,
    token,
    '/api/scores',
  );
  const framework = scores.items[0]!;
  screens = [
    { name: 'home', path: '/', ready: '[data-testid="score-cards"]' },
    { name: 'frameworks', path: '/frameworks', ready: '[data-testid="frameworks"]' },
    {
      name: 'framework',
      path: `/frameworks/${encodeURIComponent(`${framework.framework_id}@${framework.framework_version}`)}`,
      ready: '[data-testid="framework-title"]',
    },
    {
      name: 'control',
      path: `/scans/${started.id}/controls/${encodeURIComponent(control.control_id)}`,
      ready: '[data-testid="findings"]',
    },
    { name: 'overrides', path: '/overrides', ready: 'main h1' },
    { name: 'members', path: '/members', ready: '[data-testid="members"]' },
  ];

  // A pending invitation, so the members page lists one and the accept page has a live link to show.
  const invited = 'pending@screens.example.test';
  await postJson(baseUrl, token, '/api/invitations', { email: invited, role: 'user' });
  publicScreens = [
    { name: 'login', path: '/login', ready: '[data-testid="login-email"]' },
    {
      name: 'accept-invitation',
      path: `/accept-invitation#token=${invitationTokenFor(running, invited)}`,
      ready: '[data-testid="choose-password-form"]',
    },
    { name: 'accept-invitation-no-token', path: '/accept-invitation', ready: '[data-testid="link-problem"]' },
    { name: 'reset-password', path: '/reset-password', ready: '[data-testid="reset-request-form"]' },
    {
      // A token of the right shape: the form shows before anything is sent.
      name: 'reset-password-token',
      path: `/reset-password#token=${'A'.repeat(43)}`,
      ready: '[data-testid="reset-confirm-form"]',
    },
    { name: 'signup', path: '/signup', ready: '[data-testid="signup-form"], [data-testid="signup-closed"]' },
    { name: 'demo-outbox', path: '/demo/outbox', ready: '[data-testid="outbox"]' },
  ];
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

/** Console errors and uncaught exceptions of the page, collected from now on. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/** At each width: no sideways page scroll, no serious or critical axe violation, and a screenshot. */
async function checkScreen(page: Page, role: string, screen: Screen): Promise<void> {
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    await page.goto(`${baseUrl}${screen.path}`);
    await page.locator(screen.ready).first().waitFor();
    const where = `${role} ${screen.name} at ${size.width}px`;
    // Expressions as strings: this file is type-checked without the DOM library.
    const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
      '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
    );
    expect(scrollWidth, `${where} scrolls sideways`).toBeLessThanOrEqual(innerWidth);
    const results = await new AxeBuilder({ page }).analyze();
    const blocking = results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
      );
    expect(blocking, `${where}: axe violations`).toEqual([]);
    await page.screenshot({
      path: join(screensDir, `${role}-${screen.name}-${size.width}.png`),
      fullPage: true,
    });
  }
}

/** Signs in as `role` from a clean state, whatever an earlier (maybe failed) test left behind. */
async function signInAs(page: Page, role: Role): Promise<void> {
  await browser.context.clearCookies();
  await signIn(page, baseUrl, accounts[role].email, accounts[role].password);
  await page.getByTestId('signed-in-role').waitFor();
  expect(await page.getByTestId('signed-in-role').getAttribute('data-role')).toBe(role);
  expect(await page.getByTestId('signed-in-as').textContent()).toBe(accounts[role].email);
}

async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('login-email').waitFor();
}

describe('every screen in Chromium', () => {
  it('loads cold without a session and no console error, then shows the login page', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('login-email').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    // The demo offers password reset, its mailbox, and sign-up when the server has it open.
    await page.getByTestId('login-demo-outbox').waitFor();
    expect(await page.getByTestId('login-forgot').count()).toBe(1);
    await checkScreen(page, 'anonymous', publicScreens[0]!);
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('every public page opens signed out, fits and passes axe', async () => {
    const page = await browser.context.newPage();
    // Console lines are not checked here: the accept page asks the API about its token, and the expected
    // 4xx answers (a password is needed, the link is dead) are logged by Chromium as failed loads.
    const uncaught: string[] = [];
    page.on('pageerror', (error) => uncaught.push(error.message));
    for (const screen of publicScreens.slice(1)) {
      await checkScreen(page, 'anonymous', screen);
      // Public: a signed-out visitor stays on the page instead of being sent to /login.
      expect(new URL(page.url()).pathname, screen.name).toBe(screen.path.split('#')[0]);
    }
    expect(uncaught).toEqual([]);
    await page.close();
  }, 300_000);

  it('keyboard: the skip link comes first, with a visible focus ring, and leads to the content', async () => {
    const page = await browser.context.newPage();
    await signInAs(page, 'admin');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('score-cards').waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate<{ text: string; outline: string }>(
      `(() => {
        const style = getComputedStyle(document.activeElement);
        return { text: document.activeElement.textContent, outline: style.outlineStyle + ' ' + style.outlineWidth };
      })()`,
    );
    expect(focused).toEqual({ text: 'Skip to content', outline: 'solid 3px' });
    await page.keyboard.press('Enter');
    expect(new URL(page.url()).hash).toBe('#main');
    // A score card leads to its framework page from the keyboard too.
    await page.getByTestId('score-framework-link').first().focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('framework-title').waitFor();
    await signOut(page);
    await page.close();
  }, 180_000);

  for (const role of ['admin', 'auditor', 'user'] as const) {
    it(`${role}: every page fits, passes axe and offers only what the role may do`, async () => {
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      await signInAs(page, role);
      await page.getByTestId('score-cards').waitFor();
      const integrations = await page.getByTestId('integration').count();
      expect(integrations).toBeGreaterThan(0);
      const offered = role === 'auditor' ? 0 : integrations;
      expect(await page.getByTestId('start-scan').count(), 'Start scan offered').toBe(offered);
      expect(await page.getByTestId('scan-not-offered').count()).toBe(integrations - offered);
      expect(await page.getByTestId('nav-overrides').count(), 'overrides link').toBe(role === 'user' ? 0 : 1);
      expect(await page.getByTestId('nav-members').count(), 'members link').toBe(role === 'admin' ? 1 : 0);

      for (const screen of screens) {
        if ((screen.name === 'overrides' || screen.name === 'members') && role === 'user') {
          await checkScreen(page, role, { ...screen, ready: '[data-testid="error-page"]' });
          expect(await page.getByTestId('error-page').getAttribute('data-status')).toBe('403');
          expect(await page.getByRole('alert').textContent()).toContain('not available for your role');
          continue;
        }
        await checkScreen(page, role, screen);
        if (screen.name === 'overrides') {
          expect(await page.getByTestId('override-form').count(), 'override form').toBe(
            role === 'admin' ? 1 : 0,
          );
        }
        if (screen.name === 'members') {
          expect(await page.getByTestId('invite-form').count(), 'invite form').toBe(role === 'admin' ? 1 : 0);
          expect(await page.getByTestId('revoke-invitation').count(), 'withdraw').toBe(
            role === 'admin' ? 1 : 0,
          );
        }
      }
      await signOut(page);
      expect(errors).toEqual([]);
      await page.close();
    }, 600_000);
  }
});
