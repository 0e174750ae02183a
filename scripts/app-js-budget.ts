// Measures the app's initial JavaScript: every chunk the root page ("/") needs before it shows, gzipped. That is
// the scripts app/build/index.html preloads or imports (SvelteKit's start and app entries and the root layout)
// plus the root page's own node and everything those import statically, read from the Vite manifest of the
// client build (app/.svelte-kit/output/client/.vite/manifest.json). Lazy routes (dynamic imports) are left out.
// `node scripts/app-js-budget.ts` prints the table; `--check` also exits 1 over the budget; `--json` prints JSON.
// Needs a production build first: `npm run build -w app`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The limit for the initial JavaScript, gzipped, in kB (1,000 bytes). */
export const BUDGET_KB = 150;

export const DEFAULT_APP_DIR = new URL('../app/', import.meta.url).pathname;

interface ManifestChunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}

export interface ChunkSize {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface JsBudget {
  chunks: ChunkSize[];
  bytes: number;
  gzipBytes: number;
  /** gzipBytes in kB, one decimal. */
  gzipKb: number;
  budgetKb: number;
  withinBudget: boolean;
}

/** The scripts an HTML page preloads (`rel="modulepreload"`) or imports (`import("…")`), as paths under the site. */
export function scriptsOfHtml(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/<link\b[^>]*\bhref="([^"]+\.js)"[^>]*\brel="modulepreload"/g))
    found.add(m[1]!);
  for (const m of html.matchAll(/<link\b[^>]*\brel="modulepreload"[^>]*\bhref="([^"]+\.js)"/g))
    found.add(m[1]!);
  for (const m of html.matchAll(/\bimport\(\s*"([^"]+\.js)"\s*\)/g)) found.add(m[1]!);
  return [...found].map((path) => path.replace(/^\//, ''));
}

/** The node index of the root route (`"/": [n]` in SvelteKit's generated client dictionary). */
export function rootNodeOf(generatedApp: string): number {
  const m = /"\/":\s*\[\s*(?:~?)(\d+)/.exec(generatedApp);
  if (!m) throw new Error('the generated app.js has no entry for the root route "/"');
  return Number(m[1]);
}

/** Every chunk file reachable from the start files by static imports in the manifest, start files included. */
export function staticClosure(manifest: Record<string, ManifestChunk>, startFiles: string[]): string[] {
  const keyOfFile = new Map(Object.entries(manifest).map(([key, chunk]) => [chunk.file, key]));
  const seen = new Set<string>();
  const queue = [...startFiles];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const key = keyOfFile.get(file);
    for (const imported of (key && manifest[key]?.imports) || []) {
      const chunk = manifest[imported];
      if (chunk) queue.push(chunk.file);
    }
  }
  return [...seen].filter((file) => file.endsWith('.js')).sort();
}

/** Measures the initial JavaScript of the build under `appDir`; throws when there is no build to measure. */
export function measureAppJs(appDir = DEFAULT_APP_DIR, budgetKb = BUDGET_KB): JsBudget {
  const indexHtml = join(appDir, 'build', 'index.html');
  const clientDir = join(appDir, '.svelte-kit', 'output', 'client');
  const manifestFile = join(clientDir, '.vite', 'manifest.json');
  const generatedApp = join(appDir, '.svelte-kit', 'generated', 'build', 'client-optimized', 'app.js');
  for (const file of [indexHtml, manifestFile, generatedApp]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build the app first (npm run build -w app)`);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, ManifestChunk>;
  const rootKey = `.svelte-kit/generated/build/client-optimized/nodes/${rootNodeOf(readFileSync(generatedApp, 'utf8'))}.js`;
  const rootNode = manifest[rootKey];
  if (!rootNode) throw new Error(`the Vite manifest has no ${rootKey}`);
  const html = scriptsOfHtml(readFileSync(indexHtml, 'utf8'));
  if (html.length === 0) throw new Error(`${indexHtml} loads no script`);
  const files = staticClosure(manifest, [...html, rootNode.file]);
  const chunks = files.map((file) => {
    const content = readFileSync(join(appDir, 'build', file));
    return { file, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
  });
  const bytes = chunks.reduce((sum, c) => sum + c.bytes, 0);
  const gzipBytes = chunks.reduce((sum, c) => sum + c.gzipBytes, 0);
  const gzipKb = Math.round(gzipBytes / 100) / 10;
  return { chunks, bytes, gzipBytes, gzipKb, budgetKb, withinBudget: gzipBytes <= budgetKb * 1000 };
}

if (import.meta.main) {
  const result = measureAppJs();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    for (const c of [...result.chunks].sort((a, b) => b.gzipBytes - a.gzipBytes)) {
      console.log(`${(c.gzipBytes / 1000).toFixed(1).padStart(7)} kB  ${c.file}`);
    }
    console.log(
      `${result.gzipKb} kB gzipped (${(result.bytes / 1000).toFixed(1)} kB raw) in ${result.chunks.length} chunks; budget ${result.budgetKb} kB`,
    );
  }
  if (process.argv.includes('--check') && !result.withinBudget) process.exit(1);
}
