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
 * and those that compile a copy of the whole rule tree with the OPA CLI (tens of seconds each).
 */
function slowSuites(): string[] {
  // A file that is slow for another reason says so in a line of its own: `// slow tier: <why>`.
  const slow = /\b(databaseBackends|createTestDatabase|startTestApp|copyOfRules)\(|^\/\/ slow tier: /m;
  const files = globSync(include, { exclude: (name) => name === 'node_modules' });
  return ['test/**', ...files.filter((file) => slow.test(readFileSync(file, 'utf8')))];
}

const fast = process.env.COMPLYWISE_TEST_FAST === '1';

// Tests live beside the code they test (*.test.ts). Database suites run once per backend
// (PGlite always; PostgreSQL when COMPLYWISE_TEST_POSTGRES_URL is set, as scripts/test.sh does).
export default defineConfig({
  test: {
    include,
    exclude: fast ? [...exclude, ...slowSuites()] : exclude,
    // The migrated databases DB suites start from, built once per run at most (test/db-template.ts).
    globalSetup: fast ? [] : ['test/global-setup.ts'],
    // Before each file: password hashing at a cheap cost (test/setup.ts says why that is safe).
    setupFiles: ['test/setup.ts'],
    // Longest files first, so neither of the two workers idles at the end (test/sequencer.ts).
    sequence: { sequencer: DurationSequencer },
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
