/**
 * End to end, in a real headless Chromium against the whole product started in-process: the demo admin opens
 * the overrides page, creates a resource exception through the form, sees a refused override's API message,
 * and retires the exception. Every expected value is read back from the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { signIn, demoAccessToken, startDemoProduct, type DemoProduct } from './demo-product.ts';

interface ApiOverride {
  id: string;
  kind: string;
  rule_id: string;
  selector: Record<string, string> | null;
  reason: string | null;
  approver: string | null;
  expires_at: string | null;
  retired_at: string | null;
}

let running: DemoProduct;
let browser: TestBrowser;
let baseUrl: string;
let token: string;

async function api(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  running = await startDemoProduct();
  baseUrl = running.baseUrl;
  token = await demoAccessToken(running);
  browser = await launchTestBrowser();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('overrides page in Chromium', () => {
  it('lists, creates and retires overrides as an admin', { timeout: 120_000 }, async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await signIn(page, baseUrl, running.demo.email, running.demo.password);
    await page.getByTestId('tenant-name').waitFor();
    await page.getByTestId('nav-overrides').click();
    await page.getByTestId('override-form').waitFor();
    const before = (await api('/api/overrides?include_retired=true')).body.items as ApiOverride[];
    expect(await page.getByTestId('override').count()).toBe(before.length);

    // A resource exception through the form.
    const expiresOn = `${new Date().getUTCFullYear() + 1}-03-01`;
    await page.getByTestId('override-kind').selectOption('exception');
    await page.getByTestId('override-rule').fill('CW-AWS-S3-002');
    await page.getByTestId('override-resource').fill('arn:aws:s3:::acme-public-*');
    await page.getByTestId('override-reason').fill('static website, public by design');
    await page.getByTestId('override-approver').fill('ciso@example.com');
    await page.getByTestId('override-expires').fill(expiresOn);
    await page.getByTestId('override-submit').click();
    await page.locator('[data-testid="override"][data-state="active"]').first().waitFor();
    const created = ((await api('/api/overrides')).body.items as ApiOverride[]).find(
      (o) => !before.some((b) => b.id === o.id),
    )!;
    expect(created).toMatchObject({
      kind: 'exception',
      rule_id: 'CW-AWS-S3-002',
      selector: { resource_id: 'arn:aws:s3:::acme-public-*' },
      reason: 'static website, public by design',
      approver: 'ciso@example.com',
      expires_at: `${expiresOn}T00:00:00.000Z`,
    });
    const row = page.locator(`[data-testid="override"][data-override-id="${created.id}"]`);
    expect(await row.getByTestId('override-summary').textContent()).toContain(
      'static website, public by design',
    );
    expect(await row.getByTestId('override-state').textContent()).toBe('active');

    // A value the rule refuses: the API's own message is shown, nothing is created.
    const refused = await api('/api/overrides', {
      method: 'POST',
      body: { kind: 'params', rule_id: 'CW-AWS-IAM-005', params: { max_key_age_days: 0 } },
    });
    expect(refused.status).toBe(400);
    await page.getByTestId('override-kind').selectOption('params');
    await page.getByTestId('override-rule').fill('CW-AWS-IAM-005');
    await page.getByTestId('override-params').fill('{"max_key_age_days": 0}');
    await page.getByTestId('override-submit').click();
    await page.getByTestId('override-problem').waitFor();
    expect(await page.getByTestId('override-problem').textContent()).toContain(refused.body.error.message);
    expect((await api('/api/overrides')).body.items).toHaveLength(before.length + 1);

    // Retire the exception: it stays listed, as retired, and the API agrees.
    await row.getByTestId('retire-override').click();
    await page
      .locator(`[data-testid="override"][data-override-id="${created.id}"][data-state="retired"]`)
      .waitFor();
    const all = (await api('/api/overrides?include_retired=true')).body.items as ApiOverride[];
    expect(all.find((o) => o.id === created.id)!.retired_at).toEqual(expect.any(String));
    expect(await row.getByTestId('retire-override').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });
});
