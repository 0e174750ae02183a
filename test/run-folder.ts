/**
 * vitest globalSetup, in every run (`--fast` too): a temporary folder that lives as long as the test run,
 * provided to the test files as `inject('runFolder')` and removed at the end. Files of the run share work
 * through it, e.g. one build of the whole rule tree (test/rule-build.ts). Creating it costs nothing; what goes
 * in it is made by the first file that needs it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { adoptCheckedRuleBuild } from './rule-build.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder that lives as long as the test run. */
    runFolder: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folders: string[] = [];
  const fresh = async () => {
    folders.push(await mkdtemp(join(tmpdir(), 'complywise-run-')));
    project.provide('runFolder', folders.at(-1)!);
  };
  await fresh();
  // scripts/test.sh checks the committed rule bundle with a fresh whole-tree build just before the run and keeps
  // its staging folder: that build becomes the run's shared one (test/rule-build.ts). Only the first run's:
  // a watch-mode rerun after a rule changed must build again.
  const checked = process.env.COMPLYWISE_TEST_CHECKED_RULE_BUILD;
  if (checked) await adoptCheckedRuleBuild(folders[0]!, checked);
  // Watch mode runs the files again in the same process: a new folder per run, so a rerun after a rule changed
  // builds the rules again instead of reusing the last run's build.
  project.onTestsRerun(fresh);
  return async () => {
    await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
  };
}
