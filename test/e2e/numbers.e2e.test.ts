/**
 * Every number on the home page and on a framework page, in a real headless Chromium against the whole
 * product: each shown count equals the API's (scores, requirements per status, the score's basis, trend
 * points, integrations and stale ones, scan progress, coverage per level, history), each is a link, and
 * following the link opens a page listing exactly that many things. A sweep then reads all the visible text
 * and fails on any number outside a link that is not one of the few non-counts named below (dates, versions,
 * ids, titles). Every expected value is read from the API, never hard-coded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { getJson } from './demo-product.ts';
import { collectErrors, signInAs, startScannedDemo, type ScannedDemo } from './screens.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const STATES = ['pass', 'fail', 'needs_evidence', 'not_applicable', 'manual', 'error'] as const;
const LEVELS = ['automated', 'partial', 'manual', 'unmapped', 'out_of_scope'] as const;
/** The figures of a score history row, each a count of requirements as the score counted them. */
const COUNTED = ['passed', 'failed', 'not_applicable', 'needs_evidence'] as const;

let demo: ScannedDemo;
let browser: TestBrowser;
let baseUrl: string;
const api = <T = Json>(path: string) => getJson<T>(baseUrl, demo.token, path);

/** How the app prints a score; computed here on its own so a wrong formatter is caught. */
const percent = (score: number | null) => (score === null ? '—' : `${Math.round(score * 100)}%`);
const text = async (page: Page, selector: string) =>
  (await page.locator(selector).first().textContent())?.trim();
const ref = (s: Json) => `${s.framework_id}@${s.framework_version}`;

/**
 * The visible text of <main> as runs, each with the href of the link it sits in (null outside links). Left
 * out: SVG (the charts' axes repeat the table and legend as decoration, hidden from assistive tech), <code>
 * (ids and hashes), and whatever matches `skip` (given with a reason by each caller).
 */
async function textRuns(page: Page, skip: string): Promise<{ text: string; href: string | null }[]> {
  // An expression string: this file is type-checked without the DOM library.
  return page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!el || !node.textContent.trim()) continue;
      if (el.closest('svg, code, script, style, [aria-hidden="true"]')) continue;
      if (${JSON.stringify(skip)} && el.closest(${JSON.stringify(skip)})) continue;
      if (!el.checkVisibility()) continue;
      out.push({ text: node.textContent, href: el.closest('a')?.getAttribute('href') ?? null });
    }
    return out;
  })()`);
}

/**
 * The numbers of the visible text that are outside any link, once known non-counts (exact strings from the
 * API: titles, versions, ids, names; and timestamps) are removed.
 */
function unlinkedNumbers(runs: { text: string; href: string | null }[], known: string[]): string[] {
  const strings = [...new Set(known.filter((k) => /\d/.test(k)))].sort((a, b) => b.length - a.length);
  const found: string[] = [];
  for (const run of runs) {
    if (run.href !== null) continue;
    let rest = run.text.replace(/\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2} UTC)?/g, ' ');
    for (const k of strings) rest = rest.split(k).join(' ');
    for (const m of rest.matchAll(/\d[\d,.]*%?/g)) found.push(`"${m[0]}" in "${run.text.trim()}"`);
  }
  return found;
}

/**
 * Follows a count's link by clicking it, as a user does (in-app navigation, no reload), and answers how many
 * rows of `rows` the page it opens lists; then goes back when `back` names the page's ready element.
 */
async function rowsBehind(page: Page, href: string, rows: string, back?: string): Promise<number> {
  const same = (u: URL) =>
    decodeURIComponent(`${u.pathname}${u.search}${u.hash}`) === decodeURIComponent(href);
  await page.locator(`main a[href="${href}"]:not([data-testid="split-segment"])`).first().click();
  await page.waitForURL(same);
  await page.getByTestId('framework-title').waitFor();
  const count = await page.locator(rows).count();
  if (back) {
    await page.goBack();
    await page.locator(back).first().waitFor();
  }
  return count;
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

describe('every number against the API', () => {
  it(
    'home: each card, the posture sources, stale integrations and scans equal the API and link to what they count',
    { timeout: 300_000 },
    async () => {
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      await signInAs(browser, page, baseUrl, 'admin', {
        email: demo.running.demo.email,
        password: demo.running.demo.password,
      });
      await page.goto(`${baseUrl}/`);
      await page.getByTestId('score-cards').waitFor();
      const scores = await api('/api/scores');
      const integrations = (await api('/api/integrations')).items as Json[];
      const scans = (await api('/api/scans')).items as Json[];
      expect(scores.items.length).toBeGreaterThan(0);
      await page.locator('[data-testid="score-card"] [data-testid="score-chart"]').first().waitFor();

      expect(await page.getByTestId('score-card').count()).toBe(scores.items.length);
      const countLinks: { href: string; count: number; framework: string }[] = [];
      const homeResources: { scanId: string; count: number }[] = [];
      for (const score of scores.items as Json[]) {
        const card = page.locator(
          `[data-testid="score-card"][data-framework-id="${score.framework_id}"][data-framework-version="${score.framework_version}"]`,
        );
        const where = ref(score);
        expect(await card.getByTestId('score-percent').textContent(), where).toBe(percent(score.score));
        expect(await card.getByTestId('score-basis-count').textContent(), where).toBe(
          String(score.score_basis.requirements),
        );
        expect(await card.getByTestId('score-basis-total').textContent(), where).toBe(
          String(score.score_basis.total),
        );
        for (const state of STATES) {
          const link = card.getByTestId(`score-${state.replace('_', '-')}`);
          expect(await link.textContent(), `${where} ${state}`).toBe(String(score.status_counts[state]));
          const href = (await link.getAttribute('href'))!;
          expect(decodeURIComponent(href), `${where} ${state}`).toBe(`/frameworks/${where}?status=${state}`);
          countLinks.push({ href, count: score.status_counts[state], framework: where });
        }
        // The trend: one point per scored event of the API's newest 30, and the count of events in its link.
        const history = (await api(`/api/scores/history?framework=${encodeURIComponent(where)}&limit=30`))
          .items as Json[];
        expect(await card.getByTestId('chart-point').count(), where).toBe(
          history.filter((h) => h.score !== null).length,
        );
        expect(await card.getByTestId('score-trend-link').textContent(), where).toContain(
          `last ${history.length} scoring`,
        );
      }

      // Integrations merged, stale ones with their age, each integration's latest scan's figures.
      const sources = scores.posture.integrations as Json[];
      expect(await text(page, '[data-testid="posture-integrations"]')).toBe(String(sources.length));
      const stale = sources.filter((s) => s.stale);
      expect(await page.getByTestId('stale-integration').count()).toBe(stale.length);
      for (const source of stale) {
        const item = page.locator(
          `[data-testid="stale-integration"][data-integration-id="${source.integration_id}"]`,
        );
        expect(await item.getByTestId('stale-age').textContent()).toBe(String(source.age_days));
      }
      for (const integration of integrations) {
        const latest = scans.find((s) => s.integration_id === integration.id);
        if (!latest || latest.status !== 'succeeded') continue;
        const panel = page.locator(`[data-testid="integration"][data-integration-id="${integration.id}"]`);
        const progress = (await panel.getByTestId('scan-progress').textContent())!;
        const { resources_collected: resources, calls_made: calls, errors: failed } = latest.progress;
        expect(progress).toContain(`${resources} resource`);
        expect(progress).toContain(`${calls} API call`);
        expect(progress).toContain(`${failed} error`);
        // Three links, each to what it counts: the list of the scan's resources, its parts (each part's
        // calls), and its errors where they are listed (below in the panel; none: each part's, none either).
        const figure = (name: string) => panel.getByTestId(`scan-progress-${name}`);
        expect((await figure('resources').textContent())!.trim()).toMatch(
          new RegExp(`^${resources} resources?$`),
        );
        expect(await figure('resources').getAttribute('href')).toBe(`/scans/${latest.id}/resources`);
        expect((await figure('calls').textContent())!.trim()).toMatch(new RegExp(`^${calls} API calls?$`));
        expect(await figure('calls').getAttribute('href')).toBe(`/scans/${latest.id}/parts`);
        expect((await figure('errors').textContent())!.trim()).toMatch(new RegExp(`^${failed} errors?$`));
        expect(await figure('errors').getAttribute('href')).toBe(
          latest.errors.length > 0 ? `#scan-errors-${latest.id}` : `/scans/${latest.id}/parts`,
        );
        if (latest.errors.length > 0) {
          expect(
            await page.locator(`[id="scan-errors-${latest.id}"] [data-testid="scan-error"]`).count(),
          ).toBe(latest.errors.length);
        }
        homeResources.push({ scanId: latest.id, count: resources });
        if (latest.errors.length > 0) {
          expect(await panel.getByTestId('scan-errors-count').textContent()).toBe(
            String(latest.errors.length),
          );
          expect(await panel.getByTestId('scan-error').count()).toBe(latest.errors.length);
        }
      }

      const controls = (await api(`/api/scans/${scores.scan_id}/controls`)).items as Json[];
      // The top failing controls: each count is the API's failing findings of that control in the scan.
      const topRows = page.getByTestId('top-failing-control');
      expect(await topRows.count()).toBeGreaterThan(0);
      for (const row of await topRows.all()) {
        const id = await row.getAttribute('data-control-id');
        const control = controls.find((c) => c.control_id === id)!;
        expect(control.status, id!).toBe('fail');
        expect(await row.getByTestId('top-failing-count').textContent(), id!).toBe(
          String(control.counts.fail),
        );
      }

      // Nothing else on the page is a number outside a link. Skipped: the scan errors' own messages (the
      // provider's words, e.g. an HTTP status) and the staleness threshold sentence (a setting, not a count).
      const known = [
        ...(scores.items as Json[]).flatMap((s) => [
          s.title,
          s.framework_version,
          ...(s.requirements as Json[]).flatMap((r) => [r.requirement_id, r.title]),
        ]),
        ...controls.flatMap((c) => [c.control_id, c.title]),
        ...integrations.map((i) => i.name),
        `Older than ${scores.posture.stale_after_days} days`,
      ];
      const runs = await textRuns(page, '[data-testid="scan-error"]');
      expect(runs.length).toBeGreaterThan(20);
      expect(unlinkedNumbers(runs, known)).toEqual([]);

      // Each latest scan's resources figure opens the list of that scan's resources, whose total is the figure.
      expect(homeResources.length).toBeGreaterThan(0);
      for (const { scanId, count } of homeResources) {
        await page
          .locator(
            `[data-testid="integration"] [data-testid="scan-progress-resources"][href="/scans/${scanId}/resources"]`,
          )
          .click();
        await page.waitForURL((u) => u.pathname === `/scans/${scanId}/resources`);
        await page.locator(`[data-testid="scan-resources"][data-scan-id="${scanId}"]`).waitFor();
        expect(await text(page, '[data-testid="scan-resources-total"]')).toBe(String(count));
        expect(await page.getByTestId('scan-resource').count()).toBe(Math.min(count, 50));
        await page.goBack();
        await page.getByTestId('score-cards').waitFor();
      }

      // Each status count opens its framework page filtered to exactly that many requirements.
      for (const link of countLinks.filter((l) => l.count > 0)) {
        const behind = await rowsBehind(
          page,
          link.href,
          '[data-testid="posture-requirement"]',
          '[data-testid="score-cards"]',
        );
        expect(behind, link.href).toBe(link.count);
      }
      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it(
    'a framework page: score, basis, filters, coverage, controls and history equal the API and link to what they count',
    { timeout: 300_000 },
    async () => {
      const page = await browser.context.newPage();
      await signInAs(browser, page, baseUrl, 'admin', {
        email: demo.running.demo.email,
        password: demo.running.demo.password,
      });
      // Collected from here: signing in again after the first test leaves a stale refresh attempt on the
      // login page (a 401 from /api/auth/refresh), which is not what this test is about.
      const errors = collectErrors(page);
      const scores = (await api('/api/scores')).items as Json[];
      const score = scores.find((s) => s.status_counts.fail > 0) ?? scores[0]!;
      const where = ref(score);
      const coverage = (await api(`/api/frameworks/coverage/${encodeURIComponent(where)}`))
        .frameworks[0] as Json;
      const history = (await api(`/api/scores/history?framework=${encodeURIComponent(where)}&limit=20`))
        .items as Json[];
      // In-app navigation from the card, as a user gets there.
      await page
        .locator(
          `[data-testid="score-card"][data-framework-id="${score.framework_id}"][data-framework-version="${score.framework_version}"] [data-testid="score-framework-link"]`,
        )
        .click();
      await page.getByTestId('posture-requirements').waitFor();
      await page.getByTestId('history-point').first().waitFor();

      expect(await text(page, '[data-testid="posture-score"]')).toBe(percent(score.score));
      expect(await text(page, '[data-testid="posture-basis"] [data-testid="score-basis-count"]')).toBe(
        String(score.score_basis.requirements),
      );
      expect(await text(page, '[data-testid="posture-basis"] [data-testid="score-basis-total"]')).toBe(
        String(score.score_basis.total),
      );
      expect(await text(page, '[data-testid="filter-all"] .count')).toBe(String(score.requirements.length));
      const filters: { href: string; count: number }[] = [];
      for (const state of STATES) {
        const filter = page.locator(`[data-testid="filter-state"][data-state="${state}"]`);
        expect(await filter.locator('.count').textContent(), state).toBe(String(score.status_counts[state]));
        filters.push({ href: (await filter.getAttribute('href'))!, count: score.status_counts[state] });
      }
      // Each requirement's control count.
      const rows = page.getByTestId('posture-requirement');
      expect(await rows.count()).toBe(score.requirements.length);
      for (const requirement of (score.requirements as Json[])
        .filter((r) => r.control_ids.length > 0)
        .slice(0, 10)) {
        const row = page.locator(
          `[data-testid="posture-requirement"][data-requirement-id="${requirement.requirement_id}"]`,
        );
        expect(await row.getByTestId('requirement-controls').textContent()).toBe(
          String(requirement.control_ids.length),
        );
      }
      // Coverage: the total and one count per level.
      const section = page.getByTestId('framework-coverage');
      expect(await section.getByTestId('coverage-total').textContent()).toBe(String(coverage.total));
      const levels: { href: string; count: number }[] = [];
      for (const level of LEVELS) {
        const item = section.locator(`[data-testid="coverage-count"][data-level="${level}"]`);
        expect(await item.getByTestId('coverage-value').textContent(), level).toBe(
          String(coverage.counts[level]),
        );
        levels.push({ href: (await item.locator('a').getAttribute('href'))!, count: coverage.counts[level] });
      }
      // History: the table and the chart, as the API pages them.
      const points = page.getByTestId('history-point');
      expect(await points.count()).toBe(history.length);
      // Each figure of a row links to that past snapshot's page, filtered to the requirements it counts.
      const figures: { href: string; count: number }[] = [];
      for (const [i, snapshot] of history.entries()) {
        const point = points.nth(i);
        const snapshotPath = `/frameworks/${where}/history/${snapshot.event_id}`;
        expect(await point.getByTestId('history-score').textContent()).toContain(percent(snapshot.score));
        expect(decodeURIComponent((await point.getByTestId('history-score').getAttribute('href'))!)).toBe(
          `${snapshotPath}?counted=passed`,
        );
        for (const counted of COUNTED) {
          const link = point.getByTestId(`history-${counted.replace('_', '-')}`);
          expect(await link.textContent(), `${snapshot.event_id} ${counted}`).toBe(String(snapshot[counted]));
          const href = (await link.getAttribute('href'))!;
          expect(decodeURIComponent(href)).toBe(`${snapshotPath}?counted=${counted}`);
          if (i === 0) figures.push({ href, count: snapshot[counted] });
        }
      }
      expect(await page.locator('[data-testid="score-chart"] [data-testid="chart-point"]').count()).toBe(
        history.filter((h) => h.score !== null).length,
      );

      // No other number outside a link (the coverage table's requirement rows hold ids and relationships).
      const known = [
        score.title,
        score.framework_version,
        ...(score.requirements as Json[]).flatMap((r) => [r.requirement_id, r.title, ...r.control_ids]),
        ...(coverage.groups as Json[]).flatMap((g) => [g.id, g.title]),
      ];
      const runs = await textRuns(page, '');
      expect(unlinkedNumbers(runs, known)).toEqual([]);

      // The requirement tree: a heading per group of the catalog, whose count lists exactly its requirements.
      const groups = page.getByTestId('requirement-group');
      expect(await groups.count()).toBeGreaterThan(0);
      const groupCounts: { href: string; count: number }[] = [];
      for (const heading of (await groups.all()).slice(0, 3)) {
        const total = heading.getByTestId('group-total');
        groupCounts.push({
          href: (await total.getAttribute('href'))!,
          count: Number((await total.textContent())!.split(' ')[0]),
        });
      }
      for (const group of groupCounts)
        expect(
          await rowsBehind(
            page,
            group.href,
            '[data-testid="posture-requirement"]',
            '[data-testid="requirement-group"]',
          ),
          group.href,
        ).toBe(group.count);
      // Each count's link lists exactly that many requirements.
      for (const filter of filters.filter((f) => f.count > 0)) {
        expect(await rowsBehind(page, filter.href, '[data-testid="posture-requirement"]'), filter.href).toBe(
          filter.count,
        );
      }
      // The newest row's figures: its snapshot page lists exactly that many requirements, as they were then.
      for (const figure of figures.filter((f) => f.count > 0))
        expect(
          await rowsBehind(
            page,
            figure.href,
            '[data-testid="snapshot-requirement"]',
            '[data-testid="history"]',
          ),
          figure.href,
        ).toBe(figure.count);
      for (const level of levels) {
        expect(
          await rowsBehind(
            page,
            level.href,
            '[data-testid="framework-coverage"] [data-testid="requirement"]',
          ),
          level.href,
        ).toBe(level.count);
      }

      // The newest snapshot's own page: its figures and states equal the API's record of that event, and no
      // number on it is outside a link.
      const event = await api(
        `/api/scores/events/${history[0]!.event_id}?framework=${encodeURIComponent(where)}`,
      );
      const past = (event.items as Json[])[0]!;
      await page.goto(`${baseUrl}/frameworks/${encodeURIComponent(where)}/history/${event.event_id}`);
      await page.getByTestId('snapshot-table').waitFor();
      expect(await text(page, '[data-testid="snapshot-score"]')).toBe(percent(past.score));
      for (const counted of COUNTED)
        expect(await text(page, `[data-testid="snapshot-figure"][data-counted="${counted}"]`), counted).toBe(
          String(past[counted]),
        );
      expect(await page.getByTestId('snapshot-requirement').count()).toBe(past.requirements.length);
      for (const state of STATES)
        expect(
          await page.locator(`[data-testid="snapshot-requirement"][data-state="${state}"]`).count(),
        ).toBe(past.status_counts[state]);
      const named = ((await api('/api/integrations?limit=500&include=archived')).items as Json[]).map(
        (i) => i.name,
      );
      const pastKnown = [
        past.title,
        past.framework_version,
        ...(past.requirements as Json[]).flatMap((r) => [r.requirement_id, r.title]),
        ...named,
      ];
      expect(unlinkedNumbers(await textRuns(page, ''), pastKnown)).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    },
  );
  it(
    'scans: the resources, findings, errors and parts of each row equal the API and link to what they count',
    { timeout: 300_000 },
    async () => {
      const page = await browser.context.newPage();
      await signInAs(browser, page, baseUrl, 'admin', {
        email: demo.running.demo.email,
        password: demo.running.demo.password,
      });
      // Collected from here, as in the framework page's test (the stale refresh of signing in again).
      const errors = collectErrors(page);
      await page.goto(`${baseUrl}/scans`);
      await page.getByTestId('scans').waitFor();
      const scans = (await api('/api/scans?limit=25')).items as Json[];
      expect(scans.length).toBeGreaterThan(0);
      expect(await page.getByTestId('scan-row').count()).toBe(scans.length);
      const succeeded = scans.filter((s) => s.status === 'succeeded');
      expect(succeeded.length).toBeGreaterThan(0);
      for (const scan of scans) {
        const row = page.locator(`[data-testid="scan-row"][data-scan-id="${scan.id}"]`);
        const errorsCell = row.getByTestId('scan-row-errors');
        if (scan.errors.length > 0) {
          expect(await errorsCell.textContent(), scan.id).toBe(String(scan.errors.length));
          expect(await errorsCell.getAttribute('href')).toBe(`#scan-errors-${scan.id}`);
          const listed = page.locator(`[id="scan-errors-${scan.id}"] [data-testid="scan-error"]`);
          expect(await listed.count(), scan.id).toBe(scan.errors.length);
        } else {
          expect(await errorsCell.textContent()).toBe('—');
        }
        const parts = row.getByTestId('scan-row-parts');
        const calls = row.getByTestId('scan-row-calls');
        expect(await calls.textContent(), scan.id).toBe(String(scan.progress.calls_made));
        if (scan.parts.total > 0) {
          expect(await parts.textContent(), scan.id).toBe(`${scan.parts.done}/${scan.parts.total}`);
          expect(await parts.getAttribute('href')).toBe(`/scans/${scan.id}/parts`);
          // The calls are counted per part on the parts page.
          expect(await calls.getAttribute('href')).toBe(`/scans/${scan.id}/parts`);
        } else {
          expect(await parts.textContent()).toBe('—');
        }
        if (scan.status !== 'succeeded') continue;
        const resources = row.getByTestId('scan-row-resources');
        expect(await resources.textContent(), scan.id).toBe(String(scan.progress.resources_collected));
        // The count opens the list of the scan's resources (checked below), not the findings explorer (one row
        // per finding, none for a resource no rule checks).
        expect(await resources.getAttribute('href')).toBe(`/scans/${scan.id}/resources`);
        const total = Object.values(scan.finding_counts as Record<string, number>).reduce((a, b) => a + b, 0);
        const findings = row.getByTestId('scan-results');
        expect(await findings.textContent(), scan.id).toBe(String(total));
        expect(await findings.getAttribute('href')).toBe(`/findings?scan_id=${scan.id}`);
      }

      // Following a findings count opens the explorer of that scan listing that many findings (a page at most).
      const scan = succeeded[0]!;
      const total = Object.values(scan.finding_counts as Record<string, number>).reduce((a, b) => a + b, 0);
      await page
        .locator(`[data-testid="scan-row"][data-scan-id="${scan.id}"]`)
        .getByTestId('scan-results')
        .click();
      await page.getByTestId('explorer-scan').waitFor();
      expect(await page.getByTestId('explorer-scan').textContent()).toBe(scan.id);
      let listed = 0;
      for (let cursor: string | null = ''; cursor !== null;) {
        const explorer: Json = await api(
          `/api/findings?scan_id=${scan.id}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        listed += (explorer.items as Json[]).length;
        cursor = explorer.next_cursor as string | null;
      }
      expect(listed).toBe(total);
      await page.getByTestId('explorer').waitFor();
      expect(await page.getByTestId('explorer-row').count()).toBe(Math.min(total, 50));
      expect(await page.getByTestId('next-page').count()).toBe(total > 50 ? 1 : 0);

      // Following a parts count opens that scan's parts, one row each, with what each collected.
      await page.goto(`${baseUrl}/scans`);
      await page
        .locator(`[data-testid="scan-row"][data-scan-id="${scan.id}"]`)
        .getByTestId('scan-row-parts')
        .click();
      await page.getByTestId('scan-parts').waitFor();
      const partList = (await api(`/api/scans/${scan.id}/parts`)).items as Json[];
      expect(partList).toHaveLength(scan.parts.total);
      for (const part of partList) {
        const partRow = page.locator(`[data-testid="scan-part"][data-part="${part.part}"]`);
        expect(await partRow.getAttribute('data-status'), part.part).toBe(part.status);
        expect(await partRow.getByTestId('scan-part-resources').textContent(), part.part).toBe(
          String(part.resources ?? '—'),
        );
        expect(await partRow.getByTestId('scan-part-attempts').textContent()).toBe(String(part.attempts));
      }
      expect(partList.reduce((sum, p) => sum + (p.resources as number), 0)).toBe(
        scan.progress.resources_collected,
      );
      // The calls count's link opens the same page: its calls column adds up to the scan's calls.
      let partCalls = 0;
      for (const cell of await page.getByTestId('scan-part-calls').all())
        partCalls += Number(await cell.textContent());
      expect(partCalls).toBe(scan.progress.calls_made);

      // Each part's resources count opens the list of that part's resources: as many as it says.
      const part = [...partList].sort((a, b) => (b.resources as number) - (a.resources as number))[0]!;
      const partHref = `/scans/${scan.id}/resources?part=${encodeURIComponent(part.part)}`;
      const partLink = page
        .locator(`[data-testid="scan-part"][data-part="${part.part}"]`)
        .getByTestId('scan-part-resources');
      expect(await partLink.getAttribute('href')).toBe(partHref);
      await partLink.click();
      await page.waitForURL((u) => u.search === `?part=${encodeURIComponent(part.part)}`);
      await page.getByTestId('filter-part').waitFor();
      expect(await text(page, '[data-testid="scan-resources-total"]')).toBe(String(part.resources));
      expect(await page.getByTestId('scan-resource').count()).toBe(Math.min(part.resources as number, 50));
      for (const row of await page.getByTestId('scan-resource').all())
        expect(await row.getAttribute('data-part')).toBe(part.part);

      // The scans row's resources count opens the whole list: its total is the scan's count, the API pages
      // through exactly that many, and every row links to the resource, its snapshot and its findings there.
      await page.goto(`${baseUrl}/scans`);
      await page
        .locator(`[data-testid="scan-row"][data-scan-id="${scan.id}"]`)
        .getByTestId('scan-row-resources')
        .click();
      await page.locator(`[data-testid="scan-resources"][data-scan-id="${scan.id}"]`).waitFor();
      await page.getByTestId('scan-resource-table').waitFor();
      expect(await text(page, '[data-testid="scan-resources-total"]')).toBe(
        String(scan.progress.resources_collected),
      );
      const resourceList: Json[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const answer: Json = await api(
          `/api/scans/${scan.id}/resources?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(answer.total).toBe(scan.progress.resources_collected);
        resourceList.push(...(answer.items as Json[]));
        cursor = answer.next_cursor as string | null;
      }
      expect(resourceList).toHaveLength(scan.progress.resources_collected);
      // Small pages cross the parts' boundaries (the demo scan has dozens of parts) and cover the same list.
      const small: Json[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const answer: Json = await api(
          `/api/scans/${scan.id}/resources?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        small.push(...(answer.items as Json[]));
        cursor = answer.next_cursor as string | null;
      }
      expect(small).toEqual(resourceList);
      expect(new Set(resourceList.map((r) => r.part)).size).toBe(
        partList.filter((p) => p.resources > 0).length,
      );
      const rows = page.getByTestId('scan-resource');
      expect(await rows.count()).toBe(Math.min(resourceList.length, 50));
      for (const [i, resource] of resourceList.slice(0, 50).entries()) {
        const row = rows.nth(i);
        expect(await row.getAttribute('data-resource-id')).toBe(resource.resource_id);
        expect(await row.getByTestId('scan-resource-link').getAttribute('href')).toBe(
          `/resources/${encodeURIComponent(resource.resource_id)}`,
        );
        expect(await row.getByTestId('scan-resource-evidence').getAttribute('href')).toBe(
          `/evidence/${resource.evidence_sha256}`,
        );
        const findingsLink = row.getByTestId('scan-resource-findings');
        expect(await findingsLink.textContent()).toBe(String(resource.findings));
        const explorer = new URL((await findingsLink.getAttribute('href'))!, baseUrl);
        expect(explorer.pathname).toBe('/findings');
        expect(Object.fromEntries(explorer.searchParams)).toEqual({
          scan_id: scan.id,
          resource_id: resource.resource_id,
        });
        expect(await row.getByTestId('scan-resource-failing').textContent()).toBe(String(resource.failing));
      }
      expect(await page.getByTestId('next-page').count()).toBe(resourceList.length > 50 ? 1 : 0);
      // No number on the list outside a link (ids, accounts and hashes are code).
      expect(
        unlinkedNumbers(await textRuns(page, ''), [
          ...resourceList.map((r) => r.resource_name ?? ''),
          scan.integration_name,
          ...partList.map((p) => p.part as string),
        ]),
      ).toEqual([]);
      // A findings count opens the explorer listing exactly that many findings of that scan on that resource.
      const checked = resourceList.find((r) => r.findings > 0)!;
      await page
        .locator(`[data-testid="scan-resource"][data-resource-id="${checked.resource_id}"]`)
        .getByTestId('scan-resource-findings')
        .click();
      await page.getByTestId('explorer').waitFor();
      expect(await page.getByTestId('explorer-scan').textContent()).toBe(scan.id);
      expect(await page.getByTestId('explorer-row').count()).toBe(Math.min(checked.findings, 50));
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});
