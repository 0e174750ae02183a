/**
 * The screen check every browser suite shares: at a phone, a tablet and a desktop width, a page must not
 * scroll sideways, axe must find no serious or critical violation, and a screenshot lands in
 * .test-artifacts/screens/<who>-<page>-<width>.png for a person to look at.
 *
 * Also the catalog of the signed-in pages (`signedInScreens`) and the per-role suite that walks it
 * (`describeRoleScreens`): one test file per role, so the three roles run on both workers instead of one file
 * holding a worker for all of them. A new page joins the catalog here and every role's suite checks it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullPageScreenshot, launchTestBrowser, type TestBrowser } from './browser.ts';
import { addMember, demoAccessToken, getJson, postJson, signIn, type DemoProduct } from './demo-product.ts';
import { scannedDemoProduct } from './scanned-demo.ts';

export const screensDir = resolve(import.meta.dirname, '..', '..', '.test-artifacts', 'screens');

export const WIDTHS = [
  { width: 390, height: 844 },
  { width: 820, height: 1180 },
  { width: 1440, height: 900 },
] as const;

/** A scan of the sandbox takes seconds; this bounds a hung worker, it is not a pause. */
const SCAN_TIMEOUT_MS = 120_000;

export type Role = 'admin' | 'auditor' | 'user';

export interface Screen {
  name: string;
  path: string;
  /** What shows once the page has its data. */
  ready: string;
}

/** Console errors and uncaught exceptions of the page, collected from now on. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  return errors;
}

/**
 * axe-core's own script, evaluated in a page once per document. @axe-core/playwright's `analyze()` injects it
 * twice per call and, by default, finishes every run in a fresh blank page; on the bigger pages that was most
 * of the suite's time. Running `axe.run` directly keeps the same rules and the same verdicts.
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * The axe rules that can report a serious or critical violation, as an expression evaluated in the page. A
 * violation's impact is the highest impact among its failing checks, or the rule's own impact where the rule
 * sets one, both fixed in axe-core's data; a rule whose every check is minor or moderate can only report
 * minor or moderate violations, which the walk does not count. Leaving those rules out (about thirty, among
 * them region, the landmark rules and heading order; about 15 % of axe's time) therefore changes no verdict.
 * The rules a plain run would skip (experimental ones) stay out too: `ruleShouldRun` is axe's own choice. A
 * check id that axe-core's data does not know, or knows without an impact, throws: a later axe-core that
 * moves this data fails the walk instead of quietly running fewer rules.
 */
const BLOCKING_AXE_RULES = `(() => {
  const blocking = ['serious', 'critical'];
  const impactOf = (check) => {
    const id = typeof check === 'string' ? check : check.id;
    const impact = axe._audit.data.checks[id]?.impact;
    if (!impact) throw new Error('axe-core check ' + id + ' has no impact');
    return impact;
  };
  return axe._audit.rules
    .filter((rule) => axe.utils.ruleShouldRun(rule, { page: true }, {}))
    .filter((rule) => rule.impact
      ? blocking.includes(rule.impact)
      : [...rule.any, ...rule.all, ...rule.none].some((check) => blocking.includes(impactOf(check))))
    .map((rule) => rule.id);
})()`;

/**
 * The serious and critical axe violations of the page as it stands, as `rule: targets` lines. Only the rules
 * that can report one run (BLOCKING_AXE_RULES), and only violations are collected (`resultTypes`): axe still
 * checks those rules on every node, it just does not build selectors for the nodes that pass.
 */
export async function blockingAxeViolations(page: Page): Promise<string[]> {
  // Expressions as strings: this file is type-checked without the DOM library.
  if (!(await page.evaluate<boolean>('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate<{ id: string; impact: string | null; targets: string[] }[]>(
    `axe.run(document, { resultTypes: ['violations'], runOnly: { type: 'rule', values: ${BLOCKING_AXE_RULES} } })
      .then((results) => results.violations.map((v) =>
        ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))`,
  );
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.targets.join(', ')}`);
}

/** Once `ready` shows and the layout has settled, the page must not scroll sideways. */
async function expectReadyWithoutSidewaysScroll(page: Page, ready: string, where: string): Promise<void> {
  await page.locator(ready).first().waitFor();
  // Two animation frames: the resize's layout and anything it schedules have run.
  await page.evaluate('new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))');
  const { scrollWidth, innerWidth } = await page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  );
  expect(scrollWidth, `${where} scrolls sideways`).toBeLessThanOrEqual(innerWidth);
}

/**
 * At each width: no sideways page scroll, no serious or critical axe violation, and a screenshot. The page is
 * opened once, at the phone width, then resized: the layout is CSS media queries, which a resize re-applies
 * exactly as a fresh load at that width would, and a page that only fits when loaded at its width (a layout
 * decided once in script) would be a bug a person turning a tablet meets too.
 */
export async function checkScreen(page: Page, baseUrl: string, who: string, screen: Screen): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  await page.setViewportSize(WIDTHS[0]);
  await page.goto(`${baseUrl}${screen.path}`);
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    const where = `${who} ${screen.name} at ${size.width}px`;
    await expectReadyWithoutSidewaysScroll(page, screen.ready, where);
    // The violations in the message too: the assertion's own diff shows only `[ Array(n) ]`.
    const violations = await blockingAxeViolations(page);
    expect(violations, `${where}: axe violations ${violations.join('; ')}`).toEqual([]);
    await fullPageScreenshot(page, join(screensDir, `${who}-${screen.name}-${size.width}.png`));
  }
}

/** A member's sign-in, for a role the demo tenant does not come with. */
export interface Account {
  email: string;
  password: string;
}

/** Signs in from a clean state, whatever an earlier (maybe failed) test left behind, and checks who is in. */
export async function signInAs(
  browser: TestBrowser,
  page: Page,
  baseUrl: string,
  role: Role,
  account: Account,
): Promise<void> {
  await browser.context.clearCookies();
  await signIn(page, baseUrl, account.email, account.password);
  await page.getByTestId('signed-in-role').waitFor();
  expect(await page.getByTestId('signed-in-role').getAttribute('data-role')).toBe(role);
  expect(await page.getByTestId('signed-in-as').textContent()).toBe(account.email);
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('login-email').waitFor();
}

/** Starts a scan of the integration and waits until it succeeded; answers the scan's id. */
export async function scanToCompletion(
  baseUrl: string,
  token: string,
  integrationId: string,
): Promise<string> {
  const started = await postJson<{ id: string }>(baseUrl, token, '/api/scans', {
    integration_id: integrationId,
  });
  return untilSucceeded(baseUrl, token, started.id);
}

/** Polls the scan until it succeeded (answers its id); any other end fails the test. */
async function untilSucceeded(baseUrl: string, token: string, scanId: string): Promise<string> {
  const deadline = Date.now() + SCAN_TIMEOUT_MS;
  for (;;) {
    const scan = await getJson<{ status: string }>(baseUrl, token, `/api/scans/${scanId}`);
    if (scan.status === 'succeeded') return scanId;
    expect(['queued', 'running'], `scan ended ${scan.status}`).toContain(scan.status);
    if (Date.now() > deadline) throw new Error('the scan did not finish in time');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The scan the product starts for a fresh demo tenant (api/src/main.ts), once it succeeded: waiting for it
 * rather than queueing another saves a whole scan, which would only wait behind it.
 */
export async function firstDemoScan(baseUrl: string, token: string, integrationId: string): Promise<string> {
  const listed = await getJson<{ items: { id: string }[] }>(
    baseUrl,
    token,
    `/api/scans?integration_id=${integrationId}`,
  );
  expect(listed.items, 'the demo starts with exactly one scan').toHaveLength(1);
  return untilSucceeded(baseUrl, token, listed.items[0]!.id);
}

/**
 * The product with one succeeded scan of the demo integration, so the dashboard has scores and a control has
 * findings to show, and the signed-in pages to check on it.
 */
export interface ScannedDemo {
  running: DemoProduct;
  /** The demo admin's access token, for API calls beside the browser. */
  token: string;
  scanId: string;
  screens: Screen[];
}

export async function startScannedDemo(): Promise<ScannedDemo> {
  // Started and scanned once per run, copied per file (scanned-demo.ts); the copy still has one scan.
  const running = await scannedDemoProduct(async (started) =>
    firstDemoScan(started.baseUrl, await demoAccessToken(started), started.demo.integrationId),
  );
  const token = await demoAccessToken(running);
  const scanId = await firstDemoScan(running.baseUrl, token, running.demo.integrationId);
  return { running, token, scanId, screens: await signedInScreens(running.baseUrl, token, scanId) };
}

/** Every page of the app behind the sign-in, with the ids of real rows of the scanned demo tenant. */
export async function signedInScreens(baseUrl: string, token: string, scanId: string): Promise<Screen[]> {
  const controls = await getJson<{ items: { control_id: string; status: string }[] }>(
    baseUrl,
    token,
    `/api/scans/${scanId}/controls`,
  );
  const control = controls.items.find((c) => c.status === 'fail') ?? controls.items[0]!;
  const scores = await getJson<{
    items: { framework_id: string; framework_version: string }[];
    posture: { event_id: string };
  }>(baseUrl, token, '/api/scores');
  const framework = scores.items[0]!;
  const frameworkPath = `/frameworks/${encodeURIComponent(`${framework.framework_id}@${framework.framework_version}`)}`;
  return [
    { name: 'home', path: '/', ready: '[data-testid="score-cards"]' },
    { name: 'frameworks', path: '/frameworks', ready: '[data-testid="frameworks"]' },
    { name: 'framework', path: frameworkPath, ready: '[data-testid="framework-title"]' },
    // A past snapshot: the newest scoring event, as a row of the framework's score history links to it.
    {
      name: 'score-snapshot',
      path: `${frameworkPath}/history/${scores.posture.event_id}`,
      ready: '[data-testid="snapshot-table"]',
    },
    {
      name: 'control',
      path: `/scans/${scanId}/controls/${encodeURIComponent(control.control_id)}`,
      ready: '[data-testid="findings"]',
    },
    { name: 'overrides', path: '/overrides', ready: 'main h1' },
    { name: 'packs', path: '/packs', ready: '[data-testid="pack"]' },
    { name: 'members', path: '/members', ready: '[data-testid="members"]' },
    // administration
    { name: 'integrations', path: '/integrations', ready: '[data-testid="admin-integration"]' },
    { name: 'tokens', path: '/settings/tokens', ready: '[data-testid="token-form"]' },
    { name: 'scoring', path: '/settings/scoring', ready: '[data-testid="scoring-framework"]' },
    { name: 'retention', path: '/settings/retention', ready: '[data-testid="retention-form"]' },
    // explorer and scans
    { name: 'findings', path: '/findings?status=fail', ready: '[data-testid="explorer"]' },
    { name: 'scans', path: '/scans', ready: '[data-testid="scans"]' },
    { name: 'scan-parts', path: `/scans/${scanId}/parts`, ready: '[data-testid="scan-parts"]' },
    {
      name: 'scan-resources',
      path: `/scans/${scanId}/resources`,
      ready: '[data-testid="scan-resource-table"]',
    },
    // drill-down
    ...(await drilldownScreens(baseUrl, token)),
    // the auditor's workspace
    ...(await auditScreens(baseUrl, token)),
  ];
}

/**
 * The audit pages over an audit the admin opens here, around now (so the scan, its evidence and the rule
 * versions in force fall in its period), down to one rule's versions, one failing requirement's evidence of
 * the period, and the period ledger.
 */
async function auditScreens(baseUrl: string, token: string): Promise<Screen[]> {
  const audit = await postJson<{ id: string }>(baseUrl, token, '/api/audits', {
    name: 'Screens audit',
    frameworks: [{ framework_id: 'soc2' }],
    period_start: new Date(Date.now() - 86_400_000).toISOString(),
    period_end: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const { items } = await getJson<{ items: { rule_id: string }[] }>(
    baseUrl,
    token,
    `/api/audits/${audit.id}/rule-versions`,
  );
  const base = `/audits/${audit.id}`;
  // A requirement the period's scans cited snapshots for, so its evidence page has rows to lay out.
  const { items: scores } = await getJson<{
    items: { framework_id: string; requirements: { requirement_id: string; state: string }[] }[];
  }>(baseUrl, token, '/api/scores');
  const soc2 = scores.find((s) => s.framework_id === 'soc2')!;
  const requirement = (soc2.requirements.find((r) => r.state === 'fail') ?? soc2.requirements[0]!)
    .requirement_id;
  const requirementPath = `${base}/frameworks/soc2/requirements/${encodeURIComponent(requirement)}`;
  const { automated } = await getJson<{ automated: { next_cursor: string | null } }>(
    baseUrl,
    token,
    `/api${requirementPath}/evidence?limit=1`,
  );
  // A readiness report: a PDF in the evidence store, whose evidence page has no JSON to show.
  const report = await readinessReport(baseUrl, token);
  const late = await lateEvidenceScreen(baseUrl, token, soc2.requirements);
  return [
    { name: 'audits', path: '/audits', ready: 'main h1' },
    { name: 'audit', path: base, ready: '[data-testid="audit"]' },
    { name: 'audit-rules', path: `${base}/rules`, ready: '[data-testid="audit-rule-versions"]' },
    {
      name: 'audit-rule',
      path: `${base}/rules/${encodeURIComponent(items[0]!.rule_id)}`,
      ready: '[data-testid="audit-rule-version-detail"]',
    },
    { name: 'audit-exceptions', path: `${base}/exceptions`, ready: 'main h1' },
    { name: 'audit-evidence', path: `${base}/evidence`, ready: '[data-testid="audit-requirements"]' },
    {
      name: 'audit-requirement-evidence',
      path: requirementPath,
      ready: '[data-testid="automated-evidence"]',
    },
    // Its second page of snapshots, one a page (the scans cite more than one for a failing requirement).
    ...(automated.next_cursor
      ? [
          {
            name: 'audit-requirement-evidence-paged',
            path: `${requirementPath}?limit=1&cursor=${automated.next_cursor}`,
            ready: '[data-testid="automated-first"]',
          },
        ]
      : []),
    { name: 'audit-ledger', path: `${base}/ledger`, ready: '[data-testid="ledger-chain"]' },
    { name: 'evidence-report', path: `/evidence/${report}`, ready: '[data-testid="evidence-cited"]' },
    late,
  ];
}

/**
 * An audit whose period ended a minute ago, and manual evidence collected inside it but attached now (on the
 * first soc2 requirement that takes manual evidence): that requirement's page in the audit flags the late
 * addition.
 */
async function lateEvidenceScreen(
  baseUrl: string,
  token: string,
  requirements: { requirement_id: string }[],
): Promise<Screen> {
  const ended = await postJson<{ id: string }>(baseUrl, token, '/api/audits', {
    name: 'Screens audit, ended',
    frameworks: [{ framework_id: 'soc2' }],
    period_start: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    period_end: new Date(Date.now() - 60_000).toISOString(),
  });
  for (const { requirement_id } of requirements) {
    const response = await fetch(`${baseUrl}/api/evidence/manual`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        framework_id: 'soc2',
        requirement_id,
        description: 'Quarterly access review, signed off after the period closed',
        note: { reviewed: true },
        collected_at: new Date(Date.now() - 86_400_000).toISOString(),
      }),
    });
    if (response.status !== 201) continue;
    return {
      name: 'audit-requirement-evidence-late',
      path: `/audits/${ended.id}/frameworks/soc2/requirements/${encodeURIComponent(requirement_id)}`,
      ready: '[data-testid="manual-late"]',
    };
  }
  throw new Error('no soc2 requirement takes manual evidence');
}

/** Asks for a readiness report of soc2 and waits until it is made; its sha256. */
export async function readinessReport(baseUrl: string, token: string): Promise<string> {
  const { id } = await postJson<{ id: string }>(baseUrl, token, '/api/reports', {
    kind: 'readiness',
    framework_id: 'soc2',
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    const report = await getJson<{ status: string; sha256: string | null }>(
      baseUrl,
      token,
      `/api/reports/${id}`,
    );
    if (report.status === 'succeeded' && report.sha256) return report.sha256;
    if (report.status === 'failed' || Date.now() > deadline)
      throw new Error(`report ${id}: ${JSON.stringify(report)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The drill-down pages over the tenant's posture, from a failing requirement of the first framework down to
 * the evidence of one of its failing resources.
 */
async function drilldownScreens(baseUrl: string, token: string): Promise<Screen[]> {
  type Score = {
    framework_id: string;
    framework_version: string;
    requirements: { requirement_id: string; state: string }[];
  };
  const { items } = await getJson<{ items: Score[] }>(baseUrl, token, '/api/scores');
  const framework = items.find((s) => s.requirements.some((r) => r.state === 'fail')) ?? items[0]!;
  const ref = `${framework.framework_id}@${framework.framework_version}`;
  const requirement = framework.requirements.find((r) => r.state === 'fail') ?? framework.requirements[0]!;
  const detail = await getJson<{
    controls: { control_id: string; status: string | null }[];
    evidence: { automated: { sha256: string; findings: { finding_id: string; status: string }[] }[] };
  }>(
    baseUrl,
    token,
    `/api/scores/frameworks/${encodeURIComponent(ref)}/requirements/${encodeURIComponent(requirement.requirement_id)}`,
  );
  const control = detail.controls.find((c) => c.status === 'fail') ?? detail.controls[0]!;
  const evidence = detail.evidence.automated[0]!;
  const finding = await getJson<{ id: string; rule_id: string; resource_id: string }>(
    baseUrl,
    token,
    `/api/findings/${evidence.findings[0]!.finding_id}`,
  );
  const enc = encodeURIComponent;
  return [
    {
      name: 'framework-failing',
      path: `/frameworks/${enc(ref)}?status=fail`,
      ready: '[data-testid="posture-table"]',
    },
    {
      name: 'requirement',
      path: `/frameworks/${enc(ref)}/requirements/${enc(requirement.requirement_id)}`,
      ready: '[data-testid="requirement-detail"]',
    },
    {
      name: 'posture-control',
      path: `/controls/${enc(control.control_id)}`,
      ready: '[data-testid="control-policy"]',
    },
    { name: 'rule', path: `/rules/${enc(finding.rule_id)}`, ready: '[data-testid="rule-versions"]' },
    { name: 'finding', path: `/findings/${finding.id}`, ready: '[data-testid="finding-detail"]' },
    {
      name: 'resource',
      path: `/resources/${enc(finding.resource_id)}`,
      ready: '[data-testid="resource-attributes"]',
    },
    { name: 'evidence', path: `/evidence/${evidence.sha256}`, ready: '[data-testid="evidence-verified"]' },
  ];
}

/** The pages a role may not open at all: they answer the 403 error page instead. */
const FORBIDDEN: Record<Role, ReadonlySet<string>> = {
  admin: new Set(),
  // The API lets auditors read integrations, the scoring policy and retention (read-only pages), not tokens.
  auditor: new Set(['tokens']),
  user: new Set([
    'overrides',
    'members',
    'integrations',
    'tokens',
    'scoring',
    'retention',
    'audits',
    'audit',
    'audit-rules',
    'audit-rule',
    'audit-exceptions',
    'audit-evidence',
    'audit-requirement-evidence',
    'audit-requirement-evidence-paged',
    'audit-requirement-evidence-late',
    'audit-ledger',
  ]),
};

/**
 * What a person sees of the page as it stands: the body's markup, the title, and every element's computed
 * style. Two pages with the same render look and read alike to axe and to a screenshot at this width: axe
 * judges the DOM, its ARIA and its computed styles, and the pixels follow from them. Taken at the phone
 * width only; the wider widths differ by the stylesheets' media queries, and the stylesheet a forbidden
 * route loads besides the app's own is its page's, which Svelte scopes to that page's elements (app/src
 * has no :global rule), so it cannot reach the error page.
 */
async function forbiddenRender(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const styles = [...document.body.querySelectorAll('*')].map((element) => {
      const style = getComputedStyle(element);
      return [...style].map((property) => property + ':' + style.getPropertyValue(property)).join(';');
    });
    return JSON.stringify([document.title, document.body.outerHTML, styles]);
  })()`);
}

/**
 * A page the role may not open: it must show the 403 error page with the role message. Every such route
 * renders that page from the one app/src/routes/+error.svelte inside the root layout (their loads throw
 * before asking the API), so the user's sixteen forbidden pages are one render at sixteen URLs. The first
 * gets the whole checkScreen (three widths, axe, screenshots); a later one is checked for what can differ
 * by URL (status, message, no sideways scroll at the phone width, the console at the walk's end) and its
 * render at that width is compared with the ones checked in full. A render not seen before (a route that
 * grew its own error page or styles) gets the whole check too, so this only skips repeats.
 */
async function checkForbiddenScreen(
  page: Page,
  baseUrl: string,
  who: string,
  screen: Screen,
  checkedRenders: Set<string>,
): Promise<void> {
  const errorScreen = { ...screen, ready: '[data-testid="error-page"]' };
  const where = `${who} ${screen.name}`;
  if (checkedRenders.size === 0) {
    await checkScreen(page, baseUrl, who, errorScreen);
    await page.setViewportSize(WIDTHS[0]);
  } else {
    await page.setViewportSize(WIDTHS[0]);
    await page.goto(`${baseUrl}${screen.path}`);
  }
  await expectReadyWithoutSidewaysScroll(page, errorScreen.ready, `${where} at ${WIDTHS[0].width}px`);
  expect(await page.getByTestId('error-page').getAttribute('data-status'), `${where} status`).toBe('403');
  expect(await page.getByRole('alert').textContent(), `${where} message`).toContain(
    'not available for your role',
  );
  const render = await forbiddenRender(page);
  if (checkedRenders.size > 0 && !checkedRenders.has(render))
    await checkScreen(page, baseUrl, who, errorScreen);
  checkedRenders.add(render);
}

/** Passwords the policy accepts: it refuses one that holds the e-mail's name part (the role here). */
const MEMBER_PASSWORDS: Record<Exclude<Role, 'admin'>, string> = {
  auditor: 'amber-quartz-screens-1',
  user: 'cobalt-fern-screens-2',
};

/**
 * The suite of one role: signed in as `role`, every page of the catalog fits at the three widths, passes axe,
 * logs no console error, and offers only the actions the role may take.
 */
export function describeRoleScreens(role: Role): void {
  let demo: ScannedDemo;
  let browser: TestBrowser;
  let account: Account;

  beforeAll(async () => {
    demo = await startScannedDemo();
    browser = await launchTestBrowser();
    if (role === 'admin') {
      account = { email: demo.running.demo.email, password: demo.running.demo.password };
    } else {
      account = { email: `${role}@screens.example.test`, password: MEMBER_PASSWORDS[role] };
      await addMember(demo.running, demo.token, { ...account, role });
    }
    if (role === 'auditor') {
      // An auditor sees only the audits that list them: every audit of the screens lists this one.
      const auditIds = new Set(
        demo.screens.flatMap((s) => /^\/audits\/([^/?]+)/.exec(s.path)?.slice(1) ?? []),
      );
      for (const auditId of auditIds)
        await postJson(demo.running.baseUrl, demo.token, `/api/audits/${auditId}/auditors`, {
          email: account.email,
        });
    }
    // A pending invitation, so the members page lists one to withdraw.
    await postJson(demo.running.baseUrl, demo.token, '/api/invitations', {
      email: 'pending@screens.example.test',
      role: 'user',
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await demo?.running.close();
  });

  describe(`${role}: every screen in Chromium`, () => {
    it('every page fits, passes axe and offers only what the role may do', async () => {
      const baseUrl = demo.running.baseUrl;
      const page = await browser.context.newPage();
      const errors = collectErrors(page);
      await signInAs(browser, page, baseUrl, role, account);
      await page.getByTestId('score-cards').waitFor();
      const integrations = await page.getByTestId('integration').count();
      expect(integrations).toBeGreaterThan(0);
      const offered = role === 'auditor' ? 0 : integrations;
      expect(await page.getByTestId('start-scan').count(), 'Start scan offered').toBe(offered);
      expect(await page.getByTestId('scan-not-offered').count()).toBe(integrations - offered);
      expect(await page.getByTestId('nav-overrides').count(), 'overrides link').toBe(role === 'user' ? 0 : 1);
      expect(await page.getByTestId('nav-members').count(), 'members link').toBe(role === 'admin' ? 1 : 0);

      // The 403 pages checked in full so far, by their render (forbiddenRender).
      const forbiddenRenders = new Set<string>();
      for (const screen of demo.screens) {
        if (FORBIDDEN[role].has(screen.name)) {
          await checkForbiddenScreen(page, baseUrl, role, screen, forbiddenRenders);
          continue;
        }
        await checkScreen(page, baseUrl, role, screen);
        if (screen.name === 'overrides') {
          expect(await page.getByTestId('override-form').count(), 'override form').toBe(
            role === 'admin' ? 1 : 0,
          );
        }
        if (screen.name === 'packs') {
          // Every role reads the packs; only admins may enable or disable them.
          const packs = await page.getByTestId('pack').count();
          expect(await page.getByTestId('toggle-pack').count(), 'pack toggles').toBe(
            role === 'admin' ? packs : 0,
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
      // It walks every page of the catalog at three widths, so it grows with the catalog; this bounds a hang
      // (a page whose `ready` never shows fails at its own wait first), it is not an expected duration.
    }, 1_800_000);
  });
}
