/**
 * The whole product for the browser tests, started in-process (API, scan worker, embedded database in memory,
 * demo tenant and sandboxes, the built app at `/`) in a temporary data folder, and the app's sign-in form.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { startProduct, type RunningProduct } from '../../api/src/main.ts';
import { appBuildDir, ensureAppBuild } from './app-build.ts';

export interface DemoProduct {
  product: RunningProduct;
  baseUrl: string;
  demo: NonNullable<RunningProduct['demo']>;
  /** Stops the product and deletes its data folder. */
  close(): Promise<void>;
}

export async function startDemoProduct(): Promise<DemoProduct> {
  ensureAppBuild();
  const dataDir = mkdtempSync(join(tmpdir(), 'complywise-e2e-'));
  const product = await startProduct({
    env: {},
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
