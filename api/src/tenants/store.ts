/**
 * The tenant store: creating a tenant. The runtime role may insert one only while presenting the sign-up
 * token that names its id (migration 0013); the operator's CLI creates them as the owner.
 */
import { randomBytes } from 'node:crypto';
import type { Trx } from '../plugins/app/tenancy.ts';

/**
 * A slug for a new tenant: the name in lower-case letters, digits and dashes, and a random suffix so two
 * organizations of the same name never collide.
 */
export function slugFor(name: string): string {
  const base = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${base || 'org'}-${randomBytes(4).toString('hex')}`;
}

export async function insertTenant(trx: Trx, tenant: { id: string; name: string }): Promise<void> {
  await trx('tenants').insert({ id: tenant.id, slug: slugFor(tenant.name), name: tenant.name });
}
