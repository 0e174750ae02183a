// slow tier: measures the app's production build, built first when missing or stale (tens of seconds)
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAppBuild } from '../test/e2e/app-build.ts';
import { BUDGET_KB, measureAppJs, rootNodeOf, scriptsOfHtml, staticClosure } from './app-js-budget.ts';

describe('the initial JavaScript of the app build', () => {
  beforeAll(() => ensureAppBuild(), 600_000);

  it(`is at most ${BUDGET_KB} kB gzipped, counting SvelteKit's entries and the root page`, () => {
    const result = measureAppJs();
    const files = result.chunks.map((c) => c.file);
    // Not vacuous: the start entry, the root layout (node 0) and the home page's own node are all counted.
    expect(files.some((f) => f.startsWith('_app/immutable/entry/start.'))).toBe(true);
    expect(files.some((f) => f.startsWith('_app/immutable/nodes/0.'))).toBe(true);
    expect(result.chunks.every((c) => c.gzipBytes > 0 && c.gzipBytes < c.bytes + 64)).toBe(true);
    expect(result.gzipBytes, `${result.gzipKb} kB gzipped`).toBeLessThanOrEqual(BUDGET_KB * 1000);
    expect(result.withinBudget).toBe(true);
  });
});

describe('measuring a build', () => {
  let dir: string;
  const put = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'app-js-budget-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads preloads and imports from the page, and the root route from the dictionary', () => {
    const html =
      '<link href="/_app/a.js" rel="modulepreload"><link rel="modulepreload" href="/_app/b.js">' +
      '<link href="/_app/s.css" rel="stylesheet"><script>import("/_app/start.js").then(() => {})</script>';
    expect(scriptsOfHtml(html).sort()).toEqual(['_app/a.js', '_app/b.js', '_app/start.js']);
    expect(rootNodeOf('export const dictionary = {\n\t\t"/": [~7],\n\t\t"/x": [3]')).toBe(7);
    expect(() => rootNodeOf('export const dictionary = { "/x": [3] }')).toThrow(/root route/);
  });

  it('follows static imports only, each chunk once', () => {
    const manifest = {
      'entry.js': { file: 'e.js', imports: ['shared.js'] },
      'node2.js': { file: 'n2.js', imports: ['shared.js', 'style.css'] },
      'shared.js': { file: 's.js', imports: ['entry.js'] },
      'style.css': { file: 'style.css' },
      'lazy.js': { file: 'lazy.js' },
    };
    expect(staticClosure(manifest, ['e.js', 'n2.js'])).toEqual(['e.js', 'n2.js', 's.js']);
  });

  it('sums the gzipped sizes of the closure and fails over the budget', () => {
    // Random text barely compresses, so the gzipped sum is over the 1 kB budget below.
    const big = Buffer.from(randomBytes(30_000).toString('base64'));
    put('build/index.html', '<link href="/_app/entry.js" rel="modulepreload">');
    put('build/_app/entry.js', 'export const a = 1;');
    put('build/_app/node.js', big);
    put('build/_app/lazy.js', big);
    put('.svelte-kit/generated/build/client-optimized/app.js', 'export const dictionary = { "/": [2] };');
    put(
      '.svelte-kit/output/client/.vite/manifest.json',
      JSON.stringify({
        'entry-src.js': { file: '_app/entry.js', isEntry: true },
        '.svelte-kit/generated/build/client-optimized/nodes/2.js': { file: '_app/node.js', isEntry: true },
        'lazy-src.js': { file: '_app/lazy.js', isEntry: true },
      }),
    );
    const expected =
      gzipSync('export const a = 1;', { level: 9 }).length + gzipSync(big, { level: 9 }).length;
    const result = measureAppJs(dir, 1);
    expect(result.chunks.map((c) => c.file)).toEqual(['_app/entry.js', '_app/node.js']);
    expect(result.gzipBytes).toBe(expected);
    expect(result.gzipBytes).toBeGreaterThan(1000);
    expect(result.withinBudget).toBe(false);
    expect(measureAppJs(dir, 1000).withinBudget).toBe(true);
    rmSync(join(dir, 'build', 'index.html'));
    expect(() => measureAppJs(dir)).toThrow(/build the app first/);
  });
});
