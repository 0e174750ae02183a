import { defineConfig } from 'vitest/config';

// Tests live beside the code they test (*.test.ts). Database suites run once per backend
// (PGlite always; PostgreSQL when COMPLYWISE_TEST_POSTGRES_URL is set, as scripts/test.sh does).
export default defineConfig({
  test: {
    include: [
      '{api,engine,scanners,schemas,frameworks,rules,bin,scripts,test}/**/*.test.ts',
      'app/src/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'app/build/**', 'app/.svelte-kit/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
