/**
 * A tenant with one AWS integration and nothing else, inserted row by row (no sign-up, no key service): for
 * tests of migrations and stores that need a scan's owners to exist. Its key material and credentials are
 * placeholders; nothing is decrypted.
 */
import type { Knex } from 'knex';

export async function insertBareTenant(
  knex: Knex,
  ids: { tenantId: string; integrationId: string; slug: string },
): Promise<void> {
  await knex('tenants').insert({
    id: ids.tenantId,
    name: ids.slug,
    slug: `${ids.slug}-${ids.tenantId.slice(0, 8)}`,
  });
  await knex('tenant_keys').insert({
    tenant_id: ids.tenantId,
    key_version: 1,
    master_key_id: 'test',
    wrapped_key: 'x',
    wrap_iv: 'x',
    wrap_tag: 'x',
  });
  await knex('integrations').insert({
    id: ids.integrationId,
    tenant_id: ids.tenantId,
    provider: 'aws',
    name: 'aws',
    credentials_ciphertext: 'x',
    credentials_iv: 'x',
    credentials_tag: 'x',
    key_version: 1,
  });
}
