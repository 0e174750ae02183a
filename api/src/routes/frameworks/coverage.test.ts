/**
 * Coverage in the API: the same numbers the CLI prints (`complywise frameworks coverage --format json`, run
 * in-process on the same catalogs), for every framework and for one, and a 404 naming an unknown framework.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseBackends } from '../../../../test/db.ts';
import { main } from '../../../../bin/complywise.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';

async function cli(...argv: string[]): Promise<unknown> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  expect(code, stderr).toBe(0);
  return JSON.parse(stdout);
}

describe.each(databaseBackends())('framework coverage routes on $name', (backend) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp(backend);
    const user = await seedTenant(t.database.knex, { slug: 'coverage', role: 'user' });
    token = (await login(t.app, user.email, user.password)).access_token;
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (url: string) => t.app.inject({ url, headers: bearer(token) });

  it('answers every framework with the numbers of the CLI', async () => {
    const response = await get('/api/frameworks/coverage');
    expect(response.statusCode, response.body).toBe(200);
    const expected = (await cli('frameworks', 'coverage', '--format', 'json')) as {
      frameworks: { counts: Record<string, number> }[];
    };
    expect(expected.frameworks.length).toBeGreaterThan(3);
    expect(response.json()).toEqual(expected);
    // Something is automated somewhere: a comparison of two empty answers would prove nothing.
    expect(expected.frameworks.some((f) => f.counts.automated! > 0)).toBe(true);
  });

  it('answers one framework, by id, id@version or ?version=', async () => {
    const expected = await cli('frameworks', 'coverage', '--framework', 'soc2', '--format', 'json');
    const byId = await get('/api/frameworks/coverage/soc2');
    expect(byId.statusCode, byId.body).toBe(200);
    expect(byId.json()).toEqual(expected);
    const version = (expected as { frameworks: { framework_version: string }[] }).frameworks[0]!
      .framework_version;
    expect((await get(`/api/frameworks/coverage/soc2@${version}`)).json()).toEqual(expected);
    expect((await get(`/api/frameworks/coverage/soc2?version=${version}`)).json()).toEqual(expected);
  });

  it('answers 404 FRAMEWORK_NOT_FOUND for an unknown framework or version', async () => {
    for (const url of ['/api/frameworks/coverage/nope', '/api/frameworks/coverage/soc2?version=1999']) {
      const response = await get(url);
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('FRAMEWORK_NOT_FOUND');
    }
  });
});
