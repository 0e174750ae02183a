/**
 * End to end, in a real headless Chromium against the whole product started in-process: the demo admin opens
 * the rule packs page, enables the CIS AWS Foundations pack, reads its per-framework scores (every count as the
 * API computes it, each linking to the requirements it counts), and disables it again. The main scores do not
 * move. Every expected value is read back from the API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { demoAccessToken, getJson, signIn, startDemoProduct, type DemoProduct } from './demo-product.ts';

const CIS = 'cis-aws-foundations-5.0-l1';

interface Score {
  framework_id: string;
  framework_version: string;
  passed: number;
  failed: number;
  requirements: { requirement_id: string; status: string }[];
}

let running: DemoProduct;
let browser: TestBrowser;
let token: string;

/** Waits until the demo's first scans are over, so the posture the pack scores is complete. */
async function demoScansDone(): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const scans = await getJson<{ items: { status: string }[] }>(
      running.baseUrl,
      token,
      '/api/scans?limit=100',
    );
    const open = scans.items.filter((s) => s.status === 'queued' || s.status === 'running');
    if (scans.items.length > 0 && open.length === 0) return;
    if (Date.now() > deadline) throw new Error(`demo scans still open: ${JSON.stringify(scans.items)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

beforeAll(async () => {
  running = await startDemoProduct();
  token = await demoAccessToken(running);
  browser = await launchTestBrowser();
  await demoScansDone();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe('rule packs page in Chromium', () => {
  it(
    'enables a pack, shows its scores with the API counts, and disables it',
    { timeout: 120_000 },
    async () => {
      const { baseUrl } = running;
      const mainScores = () => getJson<{ items: Score[] }>(baseUrl, token, '/api/scores');
      const before = await mainScores();
      const page = await browser.context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await signIn(page, baseUrl, running.demo.email, running.demo.password);
      await page.getByTestId('tenant-name').waitFor();
      await page.getByTestId('nav-packs').click();
      const pack = page.locator(`[data-testid="pack"][data-pack-id="${CIS}"]`);
      await pack.waitFor();
      const listed = await getJson<{ items: { id: string; rule_count: number; enabled: boolean }[] }>(
        baseUrl,
        token,
        '/api/rule-packs',
      );
      expect(await page.getByTestId('pack').count()).toBe(listed.items.length);
      expect(await pack.getByTestId('pack-rule-count').textContent()).toBe(
        `${listed.items.find((p) => p.id === CIS)!.rule_count} rules`,
      );

      await pack.getByTestId('toggle-pack').click();
      await page.locator(`[data-testid="pack"][data-pack-id="${CIS}"][data-enabled="true"]`).waitFor();
      await pack.getByTestId('pack-scores').waitFor();
      const scores = await getJson<{ items: Score[] }>(baseUrl, token, `/api/rule-packs/${CIS}/scores`);
      const soc2 = scores.items.find((s) => s.framework_id === 'soc2')!;
      const row = pack.locator(`[data-testid="pack-score"][data-framework-id="soc2"]`);
      expect(await row.getByTestId('pack-count-fail').textContent()).toBe(String(soc2.failed));
      expect(await row.getByTestId('pack-count-pass').textContent()).toBe(String(soc2.passed));
      // The failed count links to the list of exactly the requirements it counts.
      const anchor = (await row.getByTestId('pack-count-fail').getAttribute('href'))!.slice(1);
      const failedList = pack.locator(`h3[id="${anchor}"] + ul li`);
      expect(await failedList.count()).toBe(soc2.failed);
      expect(soc2.requirements.filter((r) => r.status === 'fail')).toHaveLength(soc2.failed);
      expect(await mainScores()).toEqual(before);

      await pack.getByTestId('toggle-pack').click();
      await page.locator(`[data-testid="pack"][data-pack-id="${CIS}"][data-enabled="false"]`).waitFor();
      expect(await pack.getByTestId('pack-scores').count()).toBe(0);
      const after = await getJson<{ items: { id: string; enabled: boolean }[] }>(
        baseUrl,
        token,
        '/api/rule-packs',
      );
      expect(after.items.find((p) => p.id === CIS)!.enabled).toBe(false);
      expect(problems).toEqual([]);
      await page.close();
    },
  );
});
