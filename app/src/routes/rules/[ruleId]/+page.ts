import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { PageLoad } from './$types';

/** A deployed rule: its metadata, source, content hash and version history. */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const [rule, versions] = await Promise.all([
    orPageError(api.getRule(params.ruleId)),
    orPageError(api.listRuleVersions(params.ruleId)),
  ]);
  return { rule, versions: versions.items };
};
