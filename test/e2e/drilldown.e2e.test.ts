/**
 * The drill-down in a real headless Chromium against the whole product: a dashboard user (role `user`) goes
 * from a framework's failing count on the home page to the evidence behind a failing requirement in three
 * clicks, each page passing the screen check (three widths, axe, no sideways scroll) on a reload of its own
 * URL; every number of the framework page equals the API's; and from the requirement the control, finding,
 * resource and rule pages open by their links. Every expected value is read from the API, never hard-coded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchTestBrowser, type TestBrowser } from './browser.ts';
import { addMember, getJson } from './demo-product.ts';
import {
  checkScreen,
  collectErrors,
  signInAs,
  startScannedDemo,
  type Account,
  type ScannedDemo,
} from './screens.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const USER: Account = { email: 'reader@drilldown.example.test', password: 'saffron-delta-drill-7' };
const STATES = ['pass', 'fail', 'needs_evidence', 'not_applicable', 'manual', 'error'] as const;

let demo: ScannedDemo;
let browser: TestBrowser;
let baseUrl: string;
const api = <T = Json>(path: string) => getJson<T>(baseUrl, demo.token, path);

/** How the app prints a score; computed here on its own so a wrong formatter is caught. */
const percent = (score: number | null) => (score === null ? '—' : `${Math.round(score * 100)}%`);

/** The page's own URL (path and query), for the screen check's reload. */
const here = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}`;
};

beforeAll(async () => {
  demo = await startScannedDemo();
  baseUrl = demo.running.baseUrl;
  browser = await launchTestBrowser();
  await addMember(demo.running, demo.token, { ...USER, role: 'user' });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await demo?.running.close();
});

describe('drill-down in Chromium', () => {
  it('takes a user from a failing count on home to the evidence behind a failing requirement in 3 clicks', async () => {
    const page = await browser.context.newPage();
    const errors = collectErrors(page);
    await signInAs(browser, page, baseUrl, 'user', USER);
    await page.getByTestId('score-cards').waitFor();
    const scores = (await api('/api/scores')).items as Json[];
    const framework = scores.find((s) => s.status_counts.fail > 0)!;
    expect(framework, 'a framework with a failing requirement').toBeDefined();
    const ref = `${framework.framework_id}@${framework.framework_version}`;
    const card = page.locator(
      `[data-testid="score-card"][data-framework-id="${framework.framework_id}"][data-framework-version="${framework.framework_version}"]`,
    );
    expect(await card.getByTestId('score-fail').textContent()).toBe(String(framework.status_counts.fail));

    // Click 1: the failing count opens the framework page filtered to failing requirements.
    await card.getByTestId('score-fail').click();
    await page.getByTestId('posture-table').waitFor();
    expect(new URL(page.url()).searchParams.get('status')).toBe('fail');
    const rows = page.getByTestId('posture-requirement');
    expect(await rows.count()).toBe(framework.status_counts.fail);
    for (const state of await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-state'))))
      expect(state).toBe('fail');
    const frameworkPath = here(page);

    // Click 2: the first failing requirement.
    const failing = (framework.requirements as Json[]).filter((r) => r.state === 'fail');
    await rows.first().getByTestId('requirement-link').click();
    await page.getByTestId('requirement-detail').waitFor();
    const requirementId = await page.getByTestId('requirement-detail').getAttribute('data-requirement-id');
    expect(requirementId).toBe(failing[0]!.requirement_id);
    const detail = await api(
      `/api/scores/frameworks/${encodeURIComponent(ref)}/requirements/${encodeURIComponent(requirementId!)}`,
    );
    expect(await page.getByTestId('requirement-control').count()).toBe(detail.controls.length);
    expect(await page.getByTestId('evidence-item').count()).toBe(detail.evidence.automated.length);
    const requirementPath = here(page);

    // Click 3: the evidence of a failing resource.
    const wanted = (detail.evidence.automated as Json[]).find((e) =>
      (e.findings as Json[]).some((f) => f.status === 'fail' && !f.excepted),
    )!;
    await page
      .locator(`[data-testid="evidence-item"][data-sha256="${wanted.sha256}"]`)
      .getByTestId('evidence-link')
      .click();
    await page.getByTestId('evidence-verified').waitFor();
    expect(await page.getByTestId('evidence-sha256').textContent()).toBe(wanted.sha256);
    expect(await page.getByTestId('evidence').getAttribute('data-verified')).toBe('true');
    const evidence = await api(`/api/evidence/${wanted.sha256}`);
    expect(evidence.verified).toBe(true);
    expect(JSON.parse((await page.getByTestId('evidence-content').textContent())!)).toEqual(evidence.content);
    const download = page.waitForEvent('download');
    await page.getByTestId('evidence-download').click();
    expect((await download).suggestedFilename()).toBe(`evidence-${wanted.sha256}.json`);

    // Each page passes the screen check, reloaded from its own URL (deep links survive a reload).
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-home',
      path: '/',
      ready: '[data-testid="score-cards"]',
    });
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-framework-failing',
      path: frameworkPath,
      ready: '[data-testid="posture-requirement"]',
    });
    expect(await page.getByTestId('posture-requirement').count()).toBe(framework.status_counts.fail);
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-requirement',
      path: requirementPath,
      ready: '[data-testid="requirement-detail"]',
    });
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-evidence',
      path: `/evidence/${wanted.sha256}`,
      ready: '[data-testid="evidence-verified"]',
    });
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);

  it('shows every number of the framework page as the API answers it', async () => {
    const page = await browser.context.newPage();
    await signInAs(browser, page, baseUrl, 'user', USER);
    const scores = (await api('/api/scores')).items as Json[];
    const framework = scores[0]!;
    const ref = `${framework.framework_id}@${framework.framework_version}`;
    const coverage = (await api(`/api/frameworks/coverage/${encodeURIComponent(ref)}`)).frameworks[0] as Json;
    const history = (await api(`/api/scores/history?framework=${encodeURIComponent(ref)}&limit=20`))
      .items as Json[];
    await page.goto(`${baseUrl}/frameworks/${encodeURIComponent(ref)}`);
    const section = page.getByTestId('posture-requirements');
    await section.waitFor();

    expect(await section.getByTestId('posture-score').textContent()).toBe(percent(framework.score));
    expect(await section.getByTestId('posture-basis').getAttribute('title')).toBe(
      framework.score_basis.description,
    );
    expect(await section.getByTestId('filter-all').getAttribute('data-count')).toBe(
      String(framework.requirements.length),
    );
    for (const state of STATES) {
      const link = section.locator(`[data-testid="filter-state"][data-state="${state}"]`);
      expect(await link.locator('.count').textContent(), state).toBe(String(framework.status_counts[state]));
      expect(await link.getAttribute('href')).toContain(`?status=${state}`);
    }
    const rows = section.getByTestId('posture-requirement');
    expect(await rows.count()).toBe(framework.requirements.length);
    const kinds = new Map((coverage.requirements as Json[]).map((r) => [r.requirement_id, r.coverage]));
    const shown = await rows.evaluateAll((els) =>
      els.map((el) => ({
        id: el.getAttribute('data-requirement-id'),
        state: el.getAttribute('data-state'),
        controls: el.querySelector('[data-testid="requirement-controls"]')?.textContent?.trim() ?? null,
        kind: el.querySelector('[data-testid="requirement-coverage-kind"]')?.textContent?.trim(),
      })),
    );
    const labels: Record<string, string> = {
      automated: 'Automated',
      partial: 'Partial',
      manual: 'Manual',
      unmapped: 'Unmapped',
      out_of_scope: 'Out of scope',
    };
    expect(shown).toEqual(
      (framework.requirements as Json[]).map((r) => ({
        id: r.requirement_id,
        state: r.state,
        controls: r.control_ids.length === 0 ? null : String(r.control_ids.length),
        kind: labels[kinds.get(r.requirement_id)] ?? '—',
      })),
    );
    // The score history's numbers, newest first.
    const points = await page.getByTestId('history-point').evaluateAll((els) =>
      els.map((el) => ({
        event: el.getAttribute('data-event-id'),
        score: el.querySelector('[data-testid="history-score"]')?.textContent?.trim().split(/\s/)[0],
        passed: el.querySelector('[data-testid="history-passed"]')?.textContent,
        failed: el.querySelector('[data-testid="history-failed"]')?.textContent,
      })),
    );
    expect(points).toEqual(
      history.map((h) => ({
        event: h.event_id,
        score: percent(h.score),
        passed: String(h.passed),
        failed: String(h.failed),
      })),
    );
    await page.close();
  }, 300_000);

  it('opens the control, finding, resource and rule behind a requirement by their links', async () => {
    const page = await browser.context.newPage();
    // Collected from after the sign-in: the browser kept the earlier test's "signed in" hint while its
    // cookies were cleared, so the login page's session restore rightly answers 401 first.
    await signInAs(browser, page, baseUrl, 'user', USER);
    const errors = collectErrors(page);
    // Which request a console error is about (the console names only the status).
    const refused: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) refused.push(`${response.status()} ${response.url()}`);
    });
    const scores = (await api('/api/scores')).items as Json[];
    const framework = scores.find((s) => s.status_counts.fail > 0)!;
    const ref = `${framework.framework_id}@${framework.framework_version}`;
    const requirement = (framework.requirements as Json[]).find((r) => r.state === 'fail')!;
    await page.goto(
      `${baseUrl}/frameworks/${encodeURIComponent(ref)}/requirements/${encodeURIComponent(requirement.requirement_id)}`,
    );
    const failingControl = page
      .locator('[data-testid="requirement-control"]:has([data-status="fail"])')
      .first();
    const controlId = await failingControl.getAttribute('data-control-id');
    await failingControl.getByTestId('control-link').click();
    await page.getByTestId('control-policy').waitFor();
    const control = await api(`/api/scores/controls/${encodeURIComponent(controlId!)}`);
    expect(await page.getByTestId('control-policy').textContent()).toContain(control.policy.description);
    expect(await page.getByTestId('finding').count()).toBe(control.findings.length);
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-control',
      path: here(page),
      ready: '[data-testid="control-policy"]',
    });

    const failingFinding = page.locator('[data-testid="finding"][data-status="fail"]').first();
    const findingId = await failingFinding.getAttribute('data-finding-id');
    await failingFinding.getByTestId('finding-link').click();
    await page.getByTestId('finding-detail').waitFor();
    const finding = await api(`/api/findings/${findingId}`);
    expect(await page.getByTestId('finding-title').textContent()).toBe(finding.message);
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-finding',
      path: here(page),
      ready: '[data-testid="finding-detail"]',
    });

    await page.getByTestId('finding-detail').getByTestId('resource-link').click();
    await page.getByTestId('resource-attributes').waitFor();
    const resource = await api(`/api/resources/${encodeURIComponent(finding.resource_id)}`);
    expect(await page.getByTestId('resource-attribute').count()).toBe(
      Object.keys(resource.attributes).length,
    );
    expect(await page.getByTestId('finding').count()).toBe(resource.findings.length);
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-resource',
      path: here(page),
      ready: '[data-testid="resource-attributes"]',
    });

    await page
      .locator(`[data-testid="finding"][data-finding-id="${findingId}"]`)
      .getByTestId('rule-link')
      .click();
    await page.getByTestId('rule-versions').waitFor();
    const rule = await api(`/api/rules/${finding.rule_id}`);
    expect(await page.getByTestId('rule-hash').textContent()).toBe(rule.hash);
    expect(rule.hash).toBe(finding.rule_hash);
    await checkScreen(page, baseUrl, 'user', {
      name: 'drill-rule',
      path: here(page),
      ready: '[data-testid="rule-versions"]',
    });
    expect(errors, refused.join('; ')).toEqual([]);
    await page.close();
  }, 600_000);

  // Last: it changes the posture the tests above read.
  it('lets an admin attest a requirement that needs evidence: it counts at once, and an old one shows expired', async () => {
    const page = await browser.context.newPage();
    await signInAs(browser, page, baseUrl, 'admin', {
      email: demo.running.demo.email,
      password: demo.running.demo.password,
    });
    // Collected from here: signing in again after the tests above leaves a stale refresh attempt on the
    // login page (a 401 from /api/auth/refresh), which is not what this test is about.
    const errors = collectErrors(page);
    const scores = (await api('/api/scores')).items as Json[];
    const framework = scores.find((s) => s.status_counts.needs_evidence > 0)!;
    expect(framework, 'a framework with a requirement waiting for evidence').toBeDefined();
    const waiting = (framework.requirements as Json[]).find((r) => r.state === 'needs_evidence')!;
    const ref = `${framework.framework_id}@${framework.framework_version}`;
    await page.goto(`${baseUrl}/frameworks/${encodeURIComponent(ref)}?status=needs_evidence`);
    await page
      .locator(
        `[data-testid="posture-requirement"][data-requirement-id="${waiting.requirement_id}"] [data-testid="requirement-link"]`,
      )
      .click();
    await page.getByTestId('requirement-detail').waitFor();
    expect(await page.getByTestId('requirement-state').textContent()).toContain('Needs evidence');

    // An attestation with its owner, collected now: it shows with its validity and the requirement passes.
    await page.getByTestId('attach-evidence').locator('summary').click();
    await page.getByTestId('evidence-submit').click();
    expect(await page.getByTestId('evidence-problems').textContent()).toContain('Name the owner');
    await page
      .getByTestId('evidence-statement')
      .fill('Every new hire signs the code of conduct; HR keeps the records.');
    await page.getByTestId('evidence-owner').fill('Head of People');
    await page.getByTestId('evidence-submit').click();
    await page.getByTestId('evidence-notice').waitFor();
    const items = page.getByTestId('manual-evidence-item');
    await items.first().waitFor();
    expect(await items.count()).toBe(1);
    expect(await items.first().textContent()).toContain('Owner: Head of People');
    expect(await items.first().getByTestId('manual-evidence-valid').textContent()).toContain('Counts until');
    const after = ((await api('/api/scores')).items as Json[]).find(
      (s) => ref === `${s.framework_id}@${s.framework_version}`,
    )!;
    const now = (after.requirements as Json[]).find((r) => r.requirement_id === waiting.requirement_id)!;
    expect(now.state).not.toBe('needs_evidence');
    // The page reloaded its data: the badge no longer says the requirement waits for evidence.
    expect(await page.getByTestId('requirement-state').textContent()).not.toContain('Needs evidence');
    const listed = (await api('/api/evidence/manual')).items as Json[];
    expect(listed[0]!.requirement_id).toBe(waiting.requirement_id);
    expect(listed[0]!.description).toBe('Owner: Head of People');

    // One collected two years ago is past any freshness window the demo policy sets: shown as expired.
    await page.getByTestId('evidence-statement').fill('Old review, kept for the record.');
    await page.getByTestId('evidence-owner').fill('Former auditor');
    const old = new Date(Date.now() - 2 * 365 * 86_400_000).toISOString().slice(0, 10);
    await page.getByTestId('evidence-collected').fill(old);
    await page.getByTestId('evidence-submit').click();
    await page.getByTestId('manual-evidence-expired').waitFor();
    expect(await items.count()).toBe(2);
    expect(await page.getByTestId('manual-evidence-expired').textContent()).toContain('no longer counts');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('offers the same evidence form on a control people assess: an admin attests it there, an auditor sees no form', async () => {
    const scores = await api('/api/scores');
    const controls = (await api(`/api/scans/${scores.scan_id}/controls`)).items as Json[];
    const assessed = controls.find((c) => (c.rule_ids as string[]).length === 0);
    const tested = controls.find((c) => (c.rule_ids as string[]).length > 0)!;
    expect(assessed, 'a control no rule tests').toBeDefined();
    const before = ((await api(`/api/evidence/manual?control_id=${assessed!.control_id}`)).items as Json[])
      .length;

    const page = await browser.context.newPage();
    await signInAs(browser, page, baseUrl, 'admin', {
      email: demo.running.demo.email,
      password: demo.running.demo.password,
    });
    const errors = collectErrors(page);
    // A control tested by rules gets its result from scans: no form there.
    await page.goto(`${baseUrl}/controls/${encodeURIComponent(tested.control_id)}`);
    await page.getByTestId('control-title').waitFor();
    expect(await page.getByTestId('attach-evidence').count()).toBe(0);

    await page.goto(`${baseUrl}/controls/${encodeURIComponent(assessed!.control_id)}`);
    await page.getByTestId('control-title').waitFor();
    expect(await page.getByTestId('manual-evidence-item').count()).toBe(before);
    await page.getByTestId('attach-evidence').locator('summary').click();
    await page.getByTestId('evidence-submit').click();
    expect(await page.getByTestId('evidence-problems').textContent()).toContain('Name the owner');
    await page.getByTestId('evidence-statement').fill('Quarterly access reviews are signed off by the CISO.');
    await page.getByTestId('evidence-owner').fill('CISO');
    await page.getByTestId('evidence-submit').click();
    await page.getByTestId('evidence-notice').waitFor();
    await expect
      .poll(() => page.getByTestId('manual-evidence-item').count(), { timeout: 10_000 })
      .toBe(before + 1);
    const listed = (await api(`/api/evidence/manual?control_id=${assessed!.control_id}`)).items as Json[];
    expect(listed).toHaveLength(before + 1);
    expect(listed.map((e) => e.description)).toContain('Owner: CISO');
    const item = page.locator(`[data-testid="manual-evidence-item"][data-evidence-id="${listed[0]!.id}"]`);
    expect(await item.getByTestId('manual-evidence-valid').textContent()).toContain('Counts until');
    await checkScreen(page, baseUrl, 'admin', {
      name: 'control-assessed',
      path: here(page),
      ready: '[data-testid="manual-evidence"]',
    });
    expect(errors).toEqual([]);
    await page.close();

    // An auditor reads the evidence but is not offered the form (attaching is for admins and users).
    const auditor: Account = { email: 'auditor@drilldown.example.test', password: 'umber-kappa-audit-3' };
    await addMember(demo.running, demo.token, { ...auditor, role: 'auditor' });
    const reader = await browser.context.newPage();
    await signInAs(browser, reader, baseUrl, 'auditor', auditor);
    await reader.goto(`${baseUrl}/controls/${encodeURIComponent(assessed!.control_id)}`);
    await reader.getByTestId('manual-evidence').waitFor();
    expect(await reader.getByTestId('manual-evidence-item').count()).toBe(before + 1);
    expect(await reader.getByTestId('attach-evidence').count()).toBe(0);
    await reader.close();
  });
});
