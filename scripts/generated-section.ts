// The one way our doc generators write: a page keeps its hand-written text, and only the part between a
// BEGIN and an END marker is rewritten from the sources. `--check` fails when the committed page is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import * as prettier from 'prettier';

export interface GeneratedPage {
  /** Absolute path of the markdown page. */
  file: string;
  begin: string;
  end: string;
  /** The generated section, markers included. */
  section: () => Promise<string>;
  /** Put before the section when the page has no markers yet (e.g. a heading). */
  intro?: string;
  /** The script that regenerates the page, for the stale message. */
  script: string;
}

/** The page with its generated section replaced (or appended when the markers are missing), formatted. */
export async function renderPage(page: GeneratedPage): Promise<string> {
  const current = await readFile(page.file, 'utf8');
  const section = await page.section();
  const begin = current.indexOf(page.begin);
  const end = current.indexOf(page.end);
  const text =
    begin === -1 || end === -1
      ? `${current.trimEnd()}\n\n${page.intro ?? ''}${section}\n`
      : `${current.slice(0, begin)}${section}${current.slice(end + page.end.length)}`;
  // Formatted as `prettier --check .` expects, so the check and the formatter never disagree.
  const options = (await prettier.resolveConfig(page.file)) ?? {};
  return prettier.format(text, { ...options, filepath: page.file });
}

/** Writes the page, or with `--check` on the command line exits 1 when the committed one is stale. */
export async function writeOrCheck(page: GeneratedPage): Promise<void> {
  const rendered = await renderPage(page);
  const name = relative(process.cwd(), page.file);
  if (process.argv.includes('--check')) {
    if ((await readFile(page.file, 'utf8')) !== rendered) {
      console.error(`${name} is stale: run \`node ${page.script}\``);
      process.exit(1);
    }
  } else {
    await writeFile(page.file, rendered);
    console.log(`wrote ${page.file}`);
  }
}
