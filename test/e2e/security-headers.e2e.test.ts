/**
 * The Content Security Policy in a real headless Chromium against the whole product: the built app (with
 * SvelteKit's inline bootstrap script, allowed by its hash) signs in and shows the dashboard, and the Swagger
 * UI page renders, both without a single CSP violation; and no page of the app may be framed.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_PAGE_PATH } from '../../api/src/plugins/external/openapi.ts';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { signIn, startDemoProduct, type DemoProduct } from './demo-product.ts';

let running: DemoProduct;
let browser: TestBrowser;

/** Every CSP violation the page reports, from the DOM event and from the console. */
async function watchForCspViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`console: ${message.text()}`);
  });
  await page.exposeFunction('reportCspViolation', (text: string) => violations.push(`event: ${text}`));
  // Runs in the page (a string: this file is type-checked without the DOM library).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportCspViolation(event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline')));`,
  });
  return violations;
}

beforeAll(async () => {
  running = await startDemoProduct();
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('Content Security Policy in Chromium', () => {
  it('runs the app (sign-in to dashboard) without a CSP violation', { timeout: 120_000 }, async () => {
    const page = await browser.context.newPage();
    const violations = await watchForCspViolations(page);
    const response = await page.goto(`${running.baseUrl}/login`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self' 'sha256-");
    await signIn(page, running.baseUrl, running.demo.email, running.demo.password);
    await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('renders the Swagger UI page without a CSP violation', { timeout: 60_000 }, async () => {
    const page = await browser.context.newPage();
    const violations = await watchForCspViolations(page);
    await page.goto(`${running.baseUrl}${DOCS_PAGE_PATH}`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 30_000 });
    expect(await page.locator('.swagger-ui .info .title').textContent()).toContain('ComplyWise API');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('refuses to show the app inside a frame of another page', { timeout: 60_000 }, async () => {
    const page = await browser.context.newPage();
    await page.setContent(`<iframe id="framed" src="${running.baseUrl}/login"></iframe>`);
    await page.waitForTimeout(1500);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    // Chromium replaces a refused frame with an error page: the app's login form never appears in it.
    const framedForm = frame ? await frame.locator('[data-testid="login-email"]').count() : 0;
    expect(framedForm).toBe(0);
    await page.close();
  });
});
