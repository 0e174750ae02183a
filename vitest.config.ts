import { globSync, readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';
import { DurationSequencer } from './test/sequencer.ts';

const include = [
  '{api,engine,scanners,schemas,frameworks,rules,bin,scripts,test}/**/*.test.ts',
  'app/src/**/*.test.ts',
];
const exclude = ['**/node_modules/**', 'app/build/**', 'app/.svelte-kit/**'];

/**
 * The fast tier (COMPLYWISE_TEST_FAST=1, `./scripts/test.sh --fast`) leaves out the suites that need a database
 * or a browser (every file that starts the app or opens a test database, and test/: browser, kill -9, bench)
 * and those that build rules with the OPA CLI: the run's whole-tree build (test/rule-build.ts) or a copy.
 */
function slowSuites(): string[] {
  // A file that is slow for another reason says so in a line of its own: `// slow tier: <why>`.
  const slow =
    /\b(databaseBackends|createTestDatabase|startTestApp|sharedRuleBuild|copyOfRules|copyOfSomeRules)\(|^\/\/ slow tier: /m;
  return ['test/**', ...testFiles().filter((file) => slow.test(readFileSync(file, 'utf8')))];
}

function testFiles(): string[] {
  return globSync(include, { exclude: (name) => name === 'node_modules' });
}

/**
 * The files that may share a worker's module graph (`isolate: false`): each file otherwise pays its imports
 * again in a fresh worker (1-5 s of CPU; the first PGlite and rule bundle in a process cost more). Left
 * isolated, found by their text: a file that reads or writes `process.env`, touches `globalThis` or process
 * handlers, mocks, stubs or spies with `vi`, fakes timers, patches `net` (the egress tripwire), or says so on a
 * line of its own: `// isolated: <why>` (module state the patterns cannot see). Sharing is the default in every
 * run; `COMPLYWISE_TEST_ISOLATE=1` isolates every file, to find a test that passes only on another file's
 * leftovers (docs/testing.md).
 */
function sharedWorkerSuites(files: string[]): string[] {
  const touchesProcess =
    /process\.env|process\.(chdir|on|once|exit)\(|globalThis|\bvi\.(mock|doMock|stub\w*|spyOn|useFakeTimers|resetModules)\b|installLoopbackOnly|^\/\/ isolated: /m;
  return files.filter((file) => !touchesProcess.test(readFileSync(file, 'utf8')));
}

/**
 * Files that must run with no other file beside them say why on a line of their own: `// alone: <why>` (e.g.
 * test/scale-hosts.test.ts adds network interfaces to the machine, and Chromium fails the browser tests'
 * requests in flight with net::ERR_NETWORK_CHANGED when that happens). With COMPLYWISE_TEST_DEFER_ALONE=1 the
 * run leaves them out, and scripts/test.sh runs them afterwards on their own.
 */
function aloneSuites(): string[] {
  return testFiles().filter((file) => /^\/\/ alone: /m.test(readFileSync(file, 'utf8')));
}

const fast = process.env.COMPLYWISE_TEST_FAST === '1';
/** The run's files (--fast: its tier), as [those sharing a worker's modules, those isolated]. */
const [sharedFiles, isolatedFiles] = (() => {
  const slow = new Set(fast ? slowSuites() : []);
  if (process.env.COMPLYWISE_TEST_DEFER_ALONE === '1') for (const file of aloneSuites()) slow.add(file);
  const tier = testFiles().filter((file) => !(fast && file.startsWith('test/')) && !slow.has(file));
  const shared = process.env.COMPLYWISE_TEST_ISOLATE === '1' ? [] : sharedWorkerSuites(tier);
  return [shared, tier.filter((file) => !shared.includes(file))];
})();

// Tests live beside the code they test (*.test.ts). Database suites run once per backend
// (PGlite always; PostgreSQL when COMPLYWISE_TEST_POSTGRES_URL is set, as scripts/test.sh does).
export default defineConfig({
  test: {
    // Shared and isolated files are listed in the two projects below (a project's include adds to the root's).
    include: [],
    exclude,
    // The migrated databases DB suites start from, built once per run at most (test/db-template.ts), and a
    // folder for the run's shared work, such as its one build of the whole rule tree (test/rule-build.ts).
    globalSetup: fast ? ['test/run-folder.ts'] : ['test/global-setup.ts', 'test/run-folder.ts'],
    // Before each file: password hashing at a cheap cost (test/setup.ts says why that is safe).
    setupFiles: ['test/setup.ts'],
    // Longest files first, so neither of the two workers idles at the end (test/sequencer.ts).
    sequence: { sequencer: DurationSequencer },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files that touch no process-wide state share their worker's modules; the rest stay isolated.
    projects: [
      { extends: true, test: { name: 'shared', include: sharedFiles, isolate: false } },
      { extends: true, test: { name: 'isolated', include: isolatedFiles } },
    ],
  },
});
