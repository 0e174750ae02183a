/**
 * The demo tenant: "Demo Company (demo data)", its admin demo@complywise.dev / complywise-demo, and one
 * demo integration per bundled sandbox (demo-sandboxes.ts): the main AWS account (every service), a
 * legacy AWS account, two GitHub organizations, an Okta org and an Azure subscription. Idempotent: run at
 * every start, it only refreshes the sandbox endpoints and credentials. This is the explicit bootstrap
 * step that runs as the database owner.
 */
import { assertPasswordAcceptable } from '../auth/password-policy.ts';
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { AWS_CONFIG_ONLY_SERVICES, AWS_SERVICES, type EgressPolicy } from '../../../scanners/index.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  DEMO_AWS_LEGACY,
} from '../../../scanners/aws/fixtures/aws-fixture-server.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SECOND_SUBSCRIPTION_ID,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
} from '../../../scanners/azure/fixtures/azure-fixture-server.ts';
import { DEMO_GITHUB_ORGS, DEMO_GITHUB_TOKEN } from '../../../scanners/github/fixtures/github-fixture-org.ts';
import { DEMO_OKTA_TOKEN } from '../../../scanners/okta/fixtures/okta-fixture-server.ts';
import type { CredentialVault } from '../plugins/app/crypto.ts';
import { checkedIntegration, upsertIntegration } from '../integrations/service.ts';
import type { NewIntegration } from '../integrations/types.ts';
import type { DemoSandboxUrls } from './demo-sandboxes.ts';
import { hashPassword } from '../plugins/app/passwords.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';
import { seedDemoScoringPolicy } from './demo-scoring.ts';
import { insertMembershipIfAbsent, insertUserIfAbsent, upsertTenant, userIdByEmail } from './store.ts';

/** Fixed, so every start finds the same tenant. */
export const DEMO_TENANT_ID = '0d3e0c0d-e000-4000-8000-00000000de70';
export const DEMO_TENANT_NAME = 'Demo Company (demo data)';
export const DEMO_LOGIN = Object.freeze({ email: 'demo@complywise.dev', password: 'complywise-demo' });
/** The main demo integration, the one the first automatic scan covers. */
export const DEMO_INTEGRATION_NAME = 'Demo AWS account (sandbox)';
export const DEMO_REGION = 'us-east-1';

/** The name of each demo integration, by sandbox; every one is flagged demo. */
export const DEMO_INTEGRATION_NAMES: Readonly<Record<keyof DemoSandboxUrls, string>> = Object.freeze({
  aws: DEMO_INTEGRATION_NAME,
  awsLegacy: 'Demo AWS legacy account (sandbox)',
  github: 'Demo GitHub organizations (sandbox)',
  okta: 'Demo Okta org (sandbox)',
  azure: 'Demo Azure subscription (sandbox)',
});

export interface DemoSeed {
  tenantId: string;
  userId: string;
  /** The main demo integration (AWS). */
  integrationId: string;
  /** Every demo integration, by sandbox. */
  integrationIds: Record<keyof DemoSandboxUrls, string>;
}

/** The demo integrations pointing at the sandboxes at `urls`. */
export function demoIntegrations(urls: DemoSandboxUrls): Record<keyof DemoSandboxUrls, NewIntegration> {
  const names = DEMO_INTEGRATION_NAMES;
  const services = [...AWS_SERVICES];
  return {
    aws: {
      provider: 'aws',
      name: names.aws,
      config: { accountId: DEMO_AWS_ACCOUNT_ID, region: DEMO_REGION, endpoint: urls.aws, services },
      credentials: { ...DEMO_AWS_CREDENTIALS },
    },
    awsLegacy: {
      provider: 'aws',
      name: names.awsLegacy,
      config: {
        accountId: DEMO_AWS_LEGACY.accountId,
        region: DEMO_REGION,
        endpoint: urls.awsLegacy,
        // The legacy account has no AWS Config recorder: it scans only the services with a direct path.
        services: services.filter((s) => !AWS_CONFIG_ONLY_SERVICES.includes(s)),
      },
      credentials: { ...DEMO_AWS_LEGACY.credentials },
    },
    github: {
      provider: 'github',
      name: names.github,
      config: { organizations: [...DEMO_GITHUB_ORGS], baseUrl: urls.github },
      credentials: { token: DEMO_GITHUB_TOKEN },
    },
    okta: {
      provider: 'okta',
      name: names.okta,
      config: { orgUrl: urls.okta },
      credentials: { token: DEMO_OKTA_TOKEN },
    },
    azure: {
      provider: 'azure',
      name: names.azure,
      config: {
        tenantId: DEMO_AZURE_TENANT_ID,
        subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID, DEMO_AZURE_SECOND_SUBSCRIPTION_ID],
        endpoint: urls.azure,
      },
      credentials: { ...DEMO_AZURE_CLIENT },
    },
  };
}

/**
 * Creates or refreshes the demo tenant, user and one demo integration per sandbox (endpoints = `urls`),
 * checked against `egress`, which must allow the sandboxes (main.ts allows exactly their endpoints).
 */
export async function seedDemoTenant(
  knex: Knex,
  vault: CredentialVault,
  urls: DemoSandboxUrls,
  egress: EgressPolicy,
): Promise<DemoSeed> {
  const tenantId = DEMO_TENANT_ID;
  const email = DEMO_LOGIN.email;
  const existingUserId = await runAsOwner(knex, { loginEmail: email }, (trx) => userIdByEmail(trx, email));
  // Hashed outside the transaction: it takes ~100 ms and the embedded database has one connection.
  // The demo login is published (GET /api/auth/demo), so the e-mail rule of the policy does not apply to it.
  assertPasswordAcceptable(DEMO_LOGIN.password);
  const passwordHash = existingUserId ? null : await hashPassword(DEMO_LOGIN.password);
  const userId = existingUserId ?? randomUUID();

  return runAsOwner(knex, { tenantId, userId, loginEmail: email }, async (trx) => {
    await upsertTenant(trx, { id: tenantId, slug: 'demo', name: DEMO_TENANT_NAME, demo: true });
    if (passwordHash) {
      await insertUserIfAbsent(trx, {
        id: userId,
        email,
        display_name: 'Demo admin',
        password_hash: passwordHash,
      });
    }
    await insertMembershipIfAbsent(trx, { tenant_id: tenantId, user_id: userId, role: 'admin' });
    const integrationIds = {} as Record<keyof DemoSandboxUrls, string>;
    // In a fixed order, so the seed writes the same rows in the same order at every start.
    for (const [key, input] of Object.entries(demoIntegrations(urls))) {
      // The same shape checks as the API, so the demo never stores what a user could not.
      const integration = await upsertIntegration(trx, vault, tenantId, {
        ...checkedIntegration(input, egress),
        demo: true,
      });
      integrationIds[key as keyof DemoSandboxUrls] = integration.id;
    }
    await seedDemoScoringPolicy(trx, tenantId, userId);
    return { tenantId, userId, integrationId: integrationIds.aws, integrationIds };
  });
}
