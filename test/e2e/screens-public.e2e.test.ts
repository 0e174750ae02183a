/**
 * The pages a signed-out visitor meets, and keyboard use, in a real headless Chromium against the whole
 * product: a cold load logs no error and lands on the login page; every public page fits at the three widths
 * and passes axe; the skip link comes first with a visible focus ring. Screenshots as in screens.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { invitationTokenFor, postJson } from './demo-product.ts';
import {
  checkScreen,
  collectErrors,
  signInAs,
  signOut,
  startScannedDemo,
  type Screen,
  type ScannedDemo,
} from './screens.ts';

let demo: ScannedDemo;
let browser: TestBrowser;
let baseUrl: string;
/** The pages a signed-out visitor may open, each in the state a person first sees it. */
let publicScreens: Screen[];

beforeAll(async () => {
  demo = await startScannedDemo();
  baseUrl = demo.running.baseUrl;
  browser = await launchTestBrowser();
  // A pending invitation, so the accept page has a live link to show.
  const invited = 'pending@screens.example.test';
  await postJson(baseUrl, demo.token, '/api/invitations', { email: invited, role: 'user' });
  publicScreens = [
    { name: 'login', path: '/login', ready: '[data-testid="login-email"]' },
    {
      name: 'accept-invitation',
      path: `/accept-invitation#token=${invitationTokenFor(demo.running, invited)}`,
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
  await demo?.running.close();
});

describe('signed-out pages and keyboard use in Chromium', () => {
  it('loads cold without a session and no console error, then shows the login page', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('login-email').waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    // The demo offers password reset, its mailbox, and sign-up when the server has it open.
    await page.getByTestId('login-demo-outbox').waitFor();
    expect(await page.getByTestId('login-forgot').count()).toBe(1);
    await checkScreen(page, baseUrl, 'anonymous', publicScreens[0]!);
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
      await checkScreen(page, baseUrl, 'anonymous', screen);
      // Public: a signed-out visitor stays on the page instead of being sent to /login.
      expect(new URL(page.url()).pathname, screen.name).toBe(screen.path.split('#')[0]);
    }
    expect(uncaught).toEqual([]);
    await page.close();
  }, 300_000);

  it('keyboard: the skip link comes first, with a visible focus ring, and leads to the content', async () => {
    const page = await browser.context.newPage();
    const admin = { email: demo.running.demo.email, password: demo.running.demo.password };
    await signInAs(browser, page, baseUrl, 'admin', admin);
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
});
