/**
 * End to end, in a real headless Chromium against the whole product started in-process: the demo admin
 * invites an auditor from the members page, the invitation lands in the product's mail outbox, the auditor
 * opens the mailed link, is refused a common password with the policy's reason, chooses a good one, lands
 * signed in on the dashboard and is offered only what an auditor may do. The same link opened again says it
 * was used; an invitation made expired in the product's own database, and a token no one issued, each say
 * so. The token travels in the URL fragment only: no request the browser sends carries it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutbox } from '../../api/src/mail/mailer.ts';
import { runAsOwner } from '../../api/src/plugins/app/tenancy.ts';
import { fullPageScreenshot, launchTestBrowser, type TestBrowser } from './browser.ts';
import {
  demoAccessToken,
  getJson,
  invitationTokenFor,
  postJson,
  signIn,
  startDemoProduct,
  type DemoProduct,
} from './demo-product.ts';

const screensDir = resolve(import.meta.dirname, '..', '..', '.test-artifacts', 'screens');

let running: DemoProduct;
let browser: TestBrowser;
let baseUrl: string;
let token: string;

beforeAll(async () => {
  mkdirSync(screensDir, { recursive: true });
  running = await startDemoProduct();
  baseUrl = running.baseUrl;
  token = await demoAccessToken(running);
  browser = await launchTestBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

/** A fresh tab with no session, recording every URL it requests and every page error. */
async function freshPage(): Promise<{ page: Page; requested: string[]; errors: string[] }> {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  const requested: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, requested, errors };
}

/** The accept link of the newest invitation mailed to `email`, as found in the outbox, on this server. */
function mailedLink(email: string): string {
  const mail = readOutbox(join(running.dataDir, 'outbox'))
    .filter((message) => message.to === email)
    .at(-1);
  expect(mail, `no mail to ${email}`).toBeDefined();
  const link = /(https?:\/\/\S+\/accept-invitation#token=[A-Za-z0-9_-]+)/.exec(mail!.text)?.[1];
  expect(link, mail!.text).toBeDefined();
  // The product's public URL may name another host than the test's loopback port: keep path and fragment.
  const url = new URL(link!);
  expect(url.hash.slice('#token='.length)).toBe(invitationTokenFor(running, email));
  return `${baseUrl}${url.pathname}${url.hash}`;
}

/** Opens a dead invitation link signed out and returns what the page says. */
async function deadLinkMessage(link: string): Promise<string> {
  const { page } = await freshPage();
  await page.goto(link);
  const problem = page.getByTestId('link-problem');
  await problem.waitFor();
  expect(await problem.getAttribute('data-step')).toBe('dead-link');
  // A person without a session stays on the page: it is public, not sent to /login.
  expect(new URL(page.url()).pathname).toBe('/accept-invitation');
  const text = (await problem.textContent())!.trim();
  await page.close();
  return text;
}

describe('joining by invitation in Chromium', () => {
  const auditor = { email: 'new.auditor@accounts.example.test', password: 'harbour-violet-ledger-42' };
  let link: string;

  it('an admin invites an auditor from the members page', { timeout: 120_000 }, async () => {
    const { page, errors } = await freshPage();
    await signIn(page, baseUrl, running.demo.email, running.demo.password);
    await page.getByTestId('nav-members').click();
    await page.getByTestId('invite-form').waitFor();
    const membersBefore = await page.getByTestId('member').count();
    await page.getByTestId('invite-email').fill(auditor.email);
    await page.getByTestId('invite-role').selectOption('auditor');
    await page.getByTestId('invite-submit').click();
    await page.getByTestId('members-notice').waitFor();
    const row = page.locator(`[data-testid="invitation"][data-email="${auditor.email}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('Auditor');
    // The page shows what the API holds.
    const pending = await getJson<{ items: { email: string; role: string }[] }>(
      baseUrl,
      token,
      '/api/invitations',
    );
    expect(pending.items).toContainEqual(expect.objectContaining({ email: auditor.email, role: 'auditor' }));
    expect(await page.getByTestId('member').count()).toBe(membersBefore);
    await fullPageScreenshot(page, join(screensDir, 'admin-members-invited-1440.png'));
    link = mailedLink(auditor.email);
    expect(errors).toEqual([]);
    await page.close();
  });

  it(
    'the auditor sets a password through the mailed link and sees the auditor’s view',
    { timeout: 120_000 },
    async () => {
      const { page, requested, errors } = await freshPage();
      await page.goto(link);
      await page.getByTestId('choose-password-form').waitFor();
      // The policy's reason shows beside the form.
      await page.getByTestId('new-password').fill('password1234');
      await page.getByTestId('choose-password-submit').click();
      const problem = page.getByTestId('form-problem');
      await problem.waitFor();
      expect(await problem.textContent()).toContain('common or breached passwords');
      await fullPageScreenshot(page, join(screensDir, 'anonymous-accept-refused-390.png'));

      await page.getByTestId('new-password').fill(auditor.password);
      await page.getByTestId('choose-password-submit').click();
      await page.getByTestId('score-cards').waitFor();
      expect(new URL(page.url()).pathname).toBe('/');
      const badge = page.getByTestId('signed-in-role');
      expect(await badge.getAttribute('data-role')).toBe('auditor');
      expect((await badge.textContent())!.trim()).toMatch(/Auditor$/);
      expect(await page.getByTestId('signed-in-as').textContent()).toBe(auditor.email);
      // No admin action offered: no members link, no scan button; the read-only members list has no controls.
      expect(await page.getByTestId('nav-members').count()).toBe(0);
      expect(await page.getByTestId('start-scan').count()).toBe(0);
      await page.goto(`${baseUrl}/members`);
      await page.locator(`[data-testid="member"][data-email="${auditor.email}"]`).waitFor();
      expect(
        await page.locator(`[data-testid="member"][data-email="${auditor.email}"]`).getAttribute('data-role'),
      ).toBe('auditor');
      for (const control of ['invite-form', 'member-role', 'remove-member', 'revoke-invitation'])
        expect(await page.getByTestId(control).count(), control).toBe(0);
      // The API agrees: the auditor is a member with that role.
      const members = await getJson<{ items: { email: string; role: string }[] }>(
        baseUrl,
        token,
        '/api/members',
      );
      expect(members.items).toContainEqual(
        expect.objectContaining({ email: auditor.email, role: 'auditor' }),
      );
      // The token never left the browser in a URL: fragments are not sent.
      const secret = invitationTokenFor(running, auditor.email)!;
      expect(requested.filter((url) => url.includes(secret))).toEqual([]);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByTestId('login-email').waitFor();
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it('the same link opened again says it was already used', { timeout: 60_000 }, async () => {
    expect(await deadLinkMessage(link)).toMatch(/already been used/);
  });

  it(
    'an expired invitation says it expired, and a token no one issued says the link is not valid',
    { timeout: 60_000 },
    async () => {
      const late = 'late.auditor@accounts.example.test';
      await postJson(baseUrl, token, '/api/invitations', { email: late, role: 'auditor' });
      const expired = await runAsOwner(
        running.product.app.db.knex,
        { tenantId: running.demo.tenantId },
        (trx) =>
          trx('invitations')
            .where({ email: late, accepted_at: null, revoked_at: null })
            .update({ expires_at: new Date(Date.now() - 60_000) }),
      );
      expect(expired).toBe(1);
      expect(await deadLinkMessage(mailedLink(late))).toMatch(/expired/);
      expect(await deadLinkMessage(`${baseUrl}/accept-invitation#token=${'A'.repeat(43)}`)).toMatch(
        /not valid/,
      );
    },
  );
});
