// app/src/lib/api/openapi.d.ts must be generated from the OpenAPI document the API serves: a route change that
// breaks the app's types then fails the type check instead of slipping through.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('app API types', () => {
  it('keeps app/src/lib/api/openapi.d.ts generated from the served OpenAPI document', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-api-types.ts', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  }, 180_000);
});
