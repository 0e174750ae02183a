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

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder that lives as long as the test run. */
    runFolder: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const folder = await mkdtemp(join(tmpdir(), 'complywise-run-'));
  project.provide('runFolder', folder);
  return () => rm(folder, { recursive: true, force: true });
}
