/**
 * The whole product for the browser tests, started in-process (API, scan worker, embedded database in memory,
 * demo tenant and sandboxes, the built app at `/`) in a temporary data folder, and the app's sign-in form.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { lastTokenSentTo } from '../../api/src/mail/mailer.ts';
import { startProduct, type RunningProduct } from '../../api/src/main.ts';
import { appBuildDir, ensureAppBuild } from './app-build.ts';

export interface DemoProduct {
  product: RunningProduct;
  baseUrl: string;
  demo: NonNullable<RunningProduct['demo']>;
  /** The product's data folder (the mail outbox is its `outbox/`). */
  dataDir: string;
  /** Stops the product and deletes its data folder. */
  close(): Promise<void>;
}

/** A saved state of a demo product to start a copy of (test/e2e/scanned-demo.ts makes one per run). */
export interface DemoProductState {
  /** Its in-memory database, a PGlite `dumpDataDir()`. */
  database: Blob;
  /** Its data folder (the keys the credentials are encrypted with, the evidence, the outbox), copied. */
  dataDir: string;
}

/**
 * A fresh demo product, or with `from` a copy of a saved one: its database and data folder, with new
 * sandboxes on new ports (the product's seed points the demo integrations at them) and no first scan of its
 * own when the saved one had scanned.
 */
export async function startDemoProduct(from?: DemoProductState): Promise<DemoProduct> {
  ensureAppBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'complywise-e2e-'));
  if (from) cpSync(from.dataDir, dataDir, { recursive: true });
  const product = await startProduct({
    ...(from ? { pgliteLoadDataDir: from.database } : {}),
    // The sandboxes answer at once: scans need not wait on the providers' polite call rates (api/test/helpers.ts).
    env: { COMPLYWISE_SCAN_CALLS_PER_SECOND: '1000' },
    config: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      pgliteDir: null,
      evidence: { kind: 'filesystem', dir: join(dataDir, 'evidence') },
      demo: true,
      appBuildDir,
      logLevel: 'warn',
    },
    logger: false,
  });
  if (!product.url || !product.demo)
    throw new Error('the product started without HTTP or without the demo tenant');
  return {
    product,
    baseUrl: product.url,
    demo: product.demo,
    dataDir,
    async close() {
      await product.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Fills and sends the login form (the caller waits for what should follow). */
export async function signIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}

/** An access token of the demo user, through the API's own login (for the tests' API checks). */
export async function demoAccessToken(running: DemoProduct): Promise<string> {
  const response = await fetch(`${running.baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: running.demo.email, password: running.demo.password }),
  });
  if (!response.ok) throw new Error(`demo login answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** GET `path` with a bearer token beside the browser's own session; the answer must be 200. */
export async function getJson<T>(baseUrl: string, token: string, path: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, `GET ${path}`).toBe(200);
  return (await response.json()) as T;
}

/** POST `body` as JSON with a bearer token; the answer must be 2xx. */
export async function postJson<T>(baseUrl: string, token: string, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, `POST ${path}: ${await response.clone().text()}`).toBeLessThan(300);
  return (await response.json()) as T;
}

/** The token of the newest invitation link mailed to `email` in the product's outbox. */
export function invitationTokenFor(running: DemoProduct, email: string): string | undefined {
  return lastTokenSentTo(join(running.dataDir, 'outbox'), email, '/accept-invitation');
}

/**
 * Adds a member as the product does: the admin (`token`) invites the e-mail, the invitee accepts the mailed
 * link with their own password.
 */
export async function addMember(
  running: DemoProduct,
  token: string,
  member: { email: string; password: string; role: string },
): Promise<void> {
  await postJson(running.baseUrl, token, '/api/invitations', { email: member.email, role: member.role });
  const invitation = invitationTokenFor(running, member.email);
  if (!invitation) throw new Error(`no invitation mailed to ${member.email}`);
  const response = await fetch(`${running.baseUrl}/api/invitations/accept`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: invitation, password: member.password }),
  });
  expect(response.status, `accept: ${await response.clone().text()}`).toBe(200);
}
