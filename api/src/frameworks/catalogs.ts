/**
 * The frameworks a tenant is scored against: the shared catalogs plus, for that tenant only, the newest
 * revision of each framework version it uploaded, with its mappings added to the UCF controls they name.
 * The shared Frameworks object is cached and read-only, so the merge builds new arrays and objects.
 */
import type { Frameworks } from '../../../engine/index.ts';
import type { UcfMapping } from '../../../schemas/index.ts';
import type { Trx } from '../plugins/app/tenancy.ts';
import { latestTenantFrameworks, type TenantFrameworkRow } from './store.ts';

/** `base` plus `uploaded` (their catalogs and mappings); an uploaded version replaces nothing shared. */
export function mergeFrameworks(base: Frameworks, uploaded: readonly TenantFrameworkRow[]): Frameworks {
  if (uploaded.length === 0) return base;
  const extra = new Map<string, UcfMapping[]>();
  for (const row of uploaded) {
    for (const { control_id, ...mapping } of row.mappings) {
      extra.set(control_id, [...(extra.get(control_id) ?? []), mapping]);
    }
  }
  const frameworks = [...base.frameworks, ...uploaded.map((r) => r.catalog)].sort((a, b) =>
    a.id === b.id ? (a.version < b.version ? -1 : 1) : a.id < b.id ? -1 : 1,
  );
  return {
    ...base,
    frameworks,
    controls: base.controls.map((c) =>
      extra.has(c.id) ? { ...c, mappings: [...c.mappings, ...extra.get(c.id)!] } : c,
    ),
  };
}

/** The frameworks the tenant of `trx` is scored against: the shared ones and its own uploads. */
export async function tenantFrameworks(trx: Trx, base: Frameworks): Promise<Frameworks> {
  return mergeFrameworks(base, await latestTenantFrameworks(trx));
}
