// One flat config for the whole repository; the SvelteKit app is checked by svelte-check.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.tools/',
      '.data/',
      '.test-artifacts/',
      'app/',
      'rules/dist/',
      'rules/.build/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The API reaches the engine and the scanners through their faces (engine/index.ts, scanners/index.ts)
    // only, so their insides can change without touching the API. Tests may reach further (helpers such as
    // engine/testing.ts), and the scanners' fixture servers are the demo mode's sandboxes, not scanner code.
    // scanners/connection.ts is let through until it stops importing scanners/index.ts: re-exported from the
    // face it would close an import cycle (test/import-cycles.test.ts).
    files: ['api/**/*.ts'],
    ignores: ['**/*.test.ts', 'api/test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)engine/(?!index\\.ts$)',
              message: 'import the engine through engine/index.ts (export what you need there)',
            },
            {
              regex: '(^|/)scanners/(?!index\\.ts$)(?!connection\\.ts$)(?!\\w+/fixtures/)',
              message: 'import the scanners through scanners/index.ts (export what you need there)',
            },
          ],
        },
      ],
    },
  },
);
