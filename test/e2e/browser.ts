/**
 * Headless Chromium for the end-to-end tests: Debian's /usr/bin/chromium driven by playwright-core, with a
 * fresh profile per run and everything that phones home switched off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

export const chromiumPath = process.env.COMPLYWISE_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A running browser and the way to stop it and delete its profile. */
export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Chromium with a new temporary user-data-dir. playwright-core refuses `--user-data-dir` in args,
 * so the profile goes through launchPersistentContext, which passes it as that flag.
 */
export async function launchTestBrowser(): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'complywise-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** One DevTools session per page, opened at its first screenshot. */
const sessions = new WeakMap<Page, Promise<CDPSession>>();

/**
 * In the page: hides the text caret of every field (as Playwright's screenshots do, so a focused field shows
 * no blinking caret; Playwright also reaches into frames and shadow roots, which the app has none of), waits
 * for the fonts, and answers the size of the whole document, measured the way Playwright measures it for
 * `fullPage`. `window.__restoreCaret` undoes the caret change.
 */
const PREPARE = `(async () => {
  const fields = [...document.querySelectorAll('input,textarea,[contenteditable]')].map((element) =>
    [element, element.style.getPropertyValue('caret-color'), element.style.getPropertyPriority('caret-color')]);
  for (const [element] of fields) element.style.setProperty('caret-color', 'transparent', 'important');
  window.__restoreCaret = () => {
    for (const [element, value, priority] of fields) element.style.setProperty('caret-color', value, priority);
    delete window.__restoreCaret;
  };
  await document.fonts.ready;
  const body = document.body;
  const root = document.documentElement;
  return {
    width: Math.max(body.scrollWidth, root.scrollWidth, body.offsetWidth, root.offsetWidth, body.clientWidth, root.clientWidth),
    height: Math.max(body.scrollHeight, root.scrollHeight, body.offsetHeight, root.offsetHeight, body.clientHeight, root.clientHeight),
  };
})()`;

/**
 * A PNG of the whole page into `path`: the same pixels as Playwright's `page.screenshot({ fullPage: true })`,
 * for less CPU. Playwright asks DevTools' Page.captureScreenshot for a clip of the whole document (beyond the
 * viewport when it does not fit) and cannot pass `optimizeForSpeed`, which has Chromium encode the PNG with
 * faster compression: the file is larger, the decoded image the same (docs/testing.md, eleventh round (a)).
 * This asks for the same clip with that option. The document's size is measured as Playwright measures it;
 * the page must be on a Chromium browser (launchTestBrowser).
 */
export async function fullPageScreenshot(page: Page, path: string): Promise<void> {
  let session = sessions.get(page);
  if (!session) {
    session = page.context().newCDPSession(page);
    sessions.set(page, session);
  }
  const cdp = await session;
  const viewport = page.viewportSize();
  const size = await page.evaluate<{ width: number; height: number }>(PREPARE);
  try {
    const fits = viewport !== null && size.width <= viewport.width && size.height <= viewport.height;
    const { data } = await cdp.send('Page.captureScreenshot', {
      format: 'png',
      clip: { x: 0, y: 0, width: size.width, height: size.height, scale: 1 },
      captureBeyondViewport: !fits,
      optimizeForSpeed: true,
    });
    const png = Buffer.from(data, 'base64');
    // The PNG's own header (IHDR: width and height at bytes 16 and 20) must say the whole document came out.
    const shot = { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
    if (shot.width !== size.width || shot.height !== size.height)
      throw new Error(
        `screenshot of ${path}: ${shot.width}x${shot.height}, page ${size.width}x${size.height}`,
      );
    await writeFile(path, png);
  } finally {
    await page.evaluate('window.__restoreCaret?.()');
  }
}
