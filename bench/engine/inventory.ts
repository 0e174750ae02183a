/**
 * Synthetic inventories for the engine benchmark: every rule fixture in rules/ is a template; resources are
 * cloned from them round-robin with unique ids, so every resource type and every status (pass, fail, error,
 * not_applicable) appears in proportion to the fixtures.
 */
import { DEFAULT_RULES_DIR } from '../../engine/paths.ts';
import { loadRuleSources } from '../../engine/compile/rule-sources.ts';
import type { Resource } from '../../schemas/index.ts';

/** The fixture resources of every rule, in a stable order. */
export async function templates(): Promise<Resource[]> {
  const rules = await loadRuleSources(DEFAULT_RULES_DIR, null);
  return rules.flatMap((r) => r.fixtures.map((f) => f.resource));
}

/** `count` resources cloned from the templates, each with a unique id and name. */
export function syntheticInventory(from: readonly Resource[], count: number): Resource[] {
  const out: Resource[] = [];
  for (let i = 0; i < count; i++) {
    const t = from[i % from.length]!;
    out.push({ ...structuredClone(t), id: `${t.id}#${i}`, name: `${t.name}-${i}` });
  }
  return out;
}

/** The collection time all templates share: the scan time of the benchmark. */
export const SCAN_TIME = new Date('2026-11-26T10:00:00.000Z');
