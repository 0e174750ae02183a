/**
 * The demo sandboxes give every rule of the committed bundle something to pass and something to fail: each
 * demo integration, exactly as the demo tenant stores it, is scanned by its real scanner over HTTP and the
 * inventory evaluated by the engine. A rule added without a compliant and a non-compliant demo resource
 * fails here, naming the rule and what it got.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyEngine, type PolicyEngine } from '../../../engine/index.ts';
import { scanIntegration, type ScannableIntegration } from '../../../scanners/index.ts';
import type { Finding, Resource, ScanError } from '../../../schemas/index.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  DEMO_AWS_LEGACY,
  startAwsFixtureServer,
} from '../../../scanners/aws/fixtures/aws-fixture-server.ts';
import {
  DEMO_ORG_MEMBER_ROLE,
  DEMO_ORG_WORKLOAD_ACCOUNT,
  demoAwsOrganization,
} from '../../../scanners/aws/fixtures/aws-fixture-organization.ts';
import { startDemoSandboxes, type DemoSandboxes } from './demo-sandboxes.ts';
import { demoIntegrations } from './demo.ts';

describe('demo sandboxes against the starter rules', () => {
  let sandboxes: DemoSandboxes;
  let engine: PolicyEngine;
  let findings: Finding[];
  const errors: ScanError[] = [];

  beforeAll(async () => {
    sandboxes = await startDemoSandboxes();
    engine = await loadPolicyEngine();
    const resources: Resource[] = [];
    for (const integration of Object.values(demoIntegrations(sandboxes.urls))) {
      // Unpaced: the sandboxes answer at once, and what this checks is the rules, not the call rate.
      const outcome = await scanIntegration(integration as ScannableIntegration, { callsPerSecond: 10_000 });
      resources.push(...outcome.resources);
      errors.push(...outcome.errors);
    }
    findings = await engine.evaluate(resources, { scanTime: new Date() });
  }, 120_000);

  afterAll(async () => {
    await sandboxes?.close();
  });

  it('gives every rule at least one pass and one fail', () => {
    const statuses = new Map<string, Set<string>>();
    for (const f of findings) statuses.set(f.rule_id, (statuses.get(f.rule_id) ?? new Set()).add(f.status));
    const lacking = engine.catalog.rules
      .map((rule) => ({ rule: rule.id, got: [...(statuses.get(rule.id) ?? [])].sort() }))
      .filter(({ got }) => !got.includes('pass') || !got.includes('fail'));
    expect(engine.catalog.rules.length).toBeGreaterThanOrEqual(36);
    expect(lacking).toEqual([]);
  });

  it('reads the sandboxes with only the scan error the demo shows on purpose (a refused S3 read)', () => {
    expect(errors).toEqual([
      expect.objectContaining({
        operation: 's3:GetPublicAccessBlock',
        code: 'AccessDenied',
        missing_permission: 's3:GetBucketPublicAccessBlock',
      }),
    ]);
  });
});

describe('the sandbox organization against the service control policy rules', () => {
  it('judges each member on the SCPs in force on it: a guarded member passes, an unguarded one fails', async () => {
    const org = demoAwsOrganization();
    const server = await startAwsFixtureServer({ account: org.management, members: org.members });
    try {
      const outcome = await scanIntegration(
        {
          provider: 'aws',
          config: {
            accountId: DEMO_AWS_ACCOUNT_ID,
            region: 'us-east-1',
            endpoint: server.url,
            services: ['organizations'],
            organization: {
              memberRoleName: DEMO_ORG_MEMBER_ROLE.name,
              externalId: DEMO_ORG_MEMBER_ROLE.externalId,
            },
          },
          credentials: { ...DEMO_AWS_CREDENTIALS },
        } as ScannableIntegration,
        { callsPerSecond: 10_000 },
      );
      const engine = await loadPolicyEngine();
      const findings = await engine.evaluate(outcome.resources, { scanTime: new Date() });
      const statusOf = (rule: string, account: string) =>
        findings.find(
          (f) => f.rule_id === rule && f.resource_id === `arn:aws:organizations::${account}:membership`,
        )?.status;
      for (const rule of ['CW-AWS-ORGANIZATIONS-002', 'CW-AWS-ORGANIZATIONS-003']) {
        expect({
          rule,
          management: statusOf(rule, DEMO_AWS_ACCOUNT_ID),
          workloads: statusOf(rule, DEMO_ORG_WORKLOAD_ACCOUNT),
          legacy: statusOf(rule, DEMO_AWS_LEGACY.accountId),
        }).toEqual({ rule, management: 'pass', workloads: 'pass', legacy: 'fail' });
      }
    } finally {
      await server.close();
    }
  }, 60_000);
});
