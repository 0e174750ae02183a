/**
 * The demo scoring policy on the real demo AWS sandbox (every service, real SDK over HTTP, the committed rule
 * bundle): under the default all-pass roll-up no framework reaches 25%, which is why the demo seeds a
 * policy; under the demo policy the frameworks show a spread of partial scores. The seed sets it once: a
 * policy the demo user changed survives the next start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateControls } from '../../../engine/map.ts';
import { loadFrameworks, loadPolicyEngine, scoreFrameworks } from '../../../engine/index.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import { AWS_SERVICES, scanIntegration, type ScannableIntegration } from '../../../scanners/index.ts';
import type { Finding, ScoringPolicy } from '../../../schemas/index.ts';
import { databaseBackends } from '../../../test/db.ts';
import { bearer, login, startTestApp, type TestApp } from '../../test/helpers.ts';
import { startDemoSandboxes, type DemoSandboxUrls, type DemoSandboxes } from './demo-sandboxes.ts';
import { DEMO_LOGIN, seedDemoTenant } from './demo.ts';
import { DEMO_SCORING_POLICY } from './demo-scoring.ts';

describe('demo scoring policy', () => {
  let sandboxes: DemoSandboxes;
  let findings: Finding[];

  beforeAll(async () => {
    sandboxes = await startDemoSandboxes();
    const outcome = await scanIntegration(
      {
        provider: 'aws',
        config: {
          accountId: DEMO_AWS_ACCOUNT_ID,
          region: 'us-east-1',
          endpoint: sandboxes.urls.aws,
          services: [...AWS_SERVICES],
        },
        credentials: { ...DEMO_AWS_CREDENTIALS },
      } as unknown as ScannableIntegration,
      // Unpaced: the sandbox answers at once; the call rate is not what this checks.
      { callsPerSecond: 10_000 },
    );
    const engine = await loadPolicyEngine();
    findings = await engine.evaluate(outcome.resources, { scanTime: new Date() });
  }, 120_000);
  afterAll(async () => {
    await sandboxes?.close();
  });

  const scores = async (policy: ScoringPolicy) => {
    const frameworks = await loadFrameworks();
    const controls = evaluateControls(
      findings,
      frameworks,
      policy.controls ? { rollup: policy.controls } : {},
    );
    return scoreFrameworks(controls, frameworks, { policy }).map((s) => s.score);
  };

  it('turns the low scores of the strict default into a spread of partial scores', async () => {
    const strict = await scores({});
    const demo = await scores(DEMO_SCORING_POLICY);
    // Under the default all-pass roll-up one failing resource fails a control, and the sandbox has one nearly
    // everywhere: no framework reaches a quarter. The demo policy only ever raises a framework's score.
    expect(Math.max(...strict.map((s) => s ?? 0)), `strict: ${strict.join(', ')}`).toBeLessThan(0.25);
    strict.forEach((s, i) => expect(demo[i]!, `framework ${i}`).toBeGreaterThanOrEqual(s ?? 0));
    expect(demo.every((s) => s !== null && s > 0 && s < 1)).toBe(true);
    expect(new Set(demo.map((s) => Math.round(s! * 100))).size).toBeGreaterThanOrEqual(4);
  });
});

describe.each(databaseBackends())('demo tenant scoring policy seed on $name', (backend) => {
  let t: TestApp;
  // Never contacted: the seed only stores the integrations.
  const urls: DemoSandboxUrls = {
    aws: 'http://127.0.0.1:1',
    awsLegacy: 'http://127.0.0.1:2',
    github: 'http://127.0.0.1:3',
    okta: 'http://127.0.0.1:5',
    azure: 'http://127.0.0.1:6',
  };

  beforeAll(async () => {
    t = await startTestApp(backend);
    for (const url of Object.values(urls)) t.app.egress.allowEndpoint(url);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  it('seeds the demo policy once and keeps the one the demo user set', async () => {
    await seedDemoTenant(t.database.knex, t.app.vault, urls, t.app.egress.policy);
    const token = (await login(t.app, DEMO_LOGIN.email, DEMO_LOGIN.password)).access_token;
    const read = () => t.app.inject({ url: '/api/settings/scoring', headers: bearer(token) });
    expect((await read()).json().policy).toEqual(DEMO_SCORING_POLICY);
    const mine = { default: { evidence_freshness_days: 30 } };
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/settings/scoring',
      headers: bearer(token),
      payload: mine,
    });
    expect(put.statusCode, put.body).toBe(200);
    await seedDemoTenant(t.database.knex, t.app.vault, urls, t.app.egress.policy);
    expect((await read()).json().policy).toEqual(mine);
  });
});
