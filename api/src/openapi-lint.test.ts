/**
 * The served OpenAPI document passes `redocly lint` with the repository's redocly.yaml (the recommended rules)
 * without a single error or warning: a route without operationId, summary, tag, 2xx or 4xx answer fails here.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../test/helpers.ts';

const repoRoot = new URL('../../', import.meta.url).pathname;
const redocly = join(repoRoot, 'node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string; location: { pointer?: string }[] }[];
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ name: 'pglite' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('passes redocly lint with redocly.yaml: no error, no warning', async () => {
    const response = await t.app.inject({ url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const file = join(t.dataDir, 'openapi.json');
    writeFileSync(file, response.body);
    let output: string;
    try {
      output = execFileSync(redocly, ['lint', '--config', 'redocly.yaml', '--format', 'json', file], {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      });
    } catch (error) {
      // redocly exits non-zero on errors; its report is still on stdout.
      output = (error as { stdout?: string }).stdout ?? '';
    }
    const report = JSON.parse(output) as LintReport;
    const problems = report.problems.map(
      (p) => `${p.ruleId}: ${p.message} (${p.location[0]?.pointer ?? '?'})`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);
});
