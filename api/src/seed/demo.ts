/**
 * The demo tenant: "Demo Company (demo data)", its admin demo@complywise.dev / complywise-demo, and an AWS
 * integration pointing at the bundled S3 sandbox (the fixture server). Idempotent: run at every start, it
 * only refreshes the sandbox endpoint and credentials. This is the explicit bootstrap step that runs as
 * the database owner.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../scanners/aws/fixtures/s3-fixture-server.ts';
import type { CredentialVault } from '../plugins/app/crypto.ts';
import { upsertIntegration } from '../plugins/app/integrations.ts';
import { hashPassword } from '../plugins/app/passwords.ts';
import { runAsOwner } from '../plugins/app/tenancy.ts';

/** Fixed, so every start finds the same tenant. */
export const DEMO_TENANT_ID = '0d3e0c0d-e000-4000-8000-00000000de70';
export const DEMO_TENANT_NAME = 'Demo Company (demo data)';
export const DEMO_LOGIN = Object.freeze({ email: 'demo@complywise.dev', password: 'complywise-demo' });
export const DEMO_INTEGRATION_NAME = 'Demo AWS account (sandbox)';
export const DEMO_REGION = 'us-east-1';

export interface DemoSeed {
  tenantId: string;
  userId: string;
  integrationId: string;
}

/** Creates or refreshes the demo tenant, user and sandbox integration (endpoint = `sandboxUrl`). */
export async function seedDemoTenant(
  knex: Knex,
  vault: CredentialVault,
  sandboxUrl: string,
): Promise<DemoSeed> {
  const tenantId = DEMO_TENANT_ID;
  const email = DEMO_LOGIN.email;
  const existingUser: { id: string } | undefined = await runAsOwner(knex, { loginEmail: email }, (trx) =>
    trx('users').select('id').where({ email }).first(),
  );
  // Hashed outside the transaction: it takes ~100 ms and the embedded database has one connection.
  const passwordHash = existingUser ? null : await hashPassword(DEMO_LOGIN.password);
  const userId = existingUser?.id ?? randomUUID();

  return runAsOwner(knex, { tenantId, userId, loginEmail: email }, async (trx) => {
    await trx('tenants')
      .insert({ id: tenantId, slug: 'demo', name: DEMO_TENANT_NAME, demo: true })
      .onConflict('id')
      .merge(['name', 'demo']);
    if (passwordHash) {
      await trx('users')
        .insert({ id: userId, email, display_name: 'Demo admin', password_hash: passwordHash })
        .onConflict('email')
        .ignore();
    }
    await trx('memberships')
      .insert({ tenant_id: tenantId, user_id: userId, role: 'admin' })
      .onConflict(['tenant_id', 'user_id'])
      .ignore();
    const integration = await upsertIntegration(trx, vault, tenantId, {
      provider: 'aws',
      name: DEMO_INTEGRATION_NAME,
      config: { accountId: DEMO_AWS_ACCOUNT_ID, region: DEMO_REGION, endpoint: sandboxUrl },
      credentials: { ...DEMO_AWS_CREDENTIALS },
      demo: true,
    });
    return { tenantId, userId, integrationId: integration.id };
  });
}
