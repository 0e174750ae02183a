import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';
import { PACKS_DEPENDENCY, type PackItem, type PackScores } from './packs.ts';

/** The deployed rule packs (every role reads them), and the per-pack scores of each enabled one. */
export const load: PageLoad = async ({ parent, depends }) => {
  depends(PACKS_DEPENDENCY);
  await parent();
  const { items } = await orPageError(api.request<{ items: PackItem[] }>('/api/rule-packs'));
  const scores: Record<string, PackScores> = {};
  for (const pack of items.filter((p) => p.enabled)) {
    scores[pack.id] = await orPageError(
      api.request<PackScores>(`/api/rule-packs/${encodeURIComponent(pack.id)}/scores`),
    );
  }
  return { packs: items, scores };
};
