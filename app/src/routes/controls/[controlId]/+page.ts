import { adminCalls } from '#lib/api/admin.ts';
import { orPageError } from '#lib/api/load.ts';
import { api } from '#lib/api/session.svelte.ts';
import type { ManualEvidence } from '#lib/api/types.ts';
import type { PageLoad } from './$types';

/**
 * One control over the tenant's posture: result, the policy that decided it, findings of every integration;
 * the manual evidence attached to it, and the scoring policy (every role may read it) for how long that counts.
 */
export const load: PageLoad = async ({ params, parent }) => {
  await parent();
  const [detail, policy, manual] = await Promise.all([
    orPageError(api.getPostureControl(params.controlId)),
    orPageError(adminCalls(api).scoringPolicy()),
    orPageError(
      api.request<{ items: ManualEvidence[] }>(
        `/api/evidence/manual?limit=500&control_id=${encodeURIComponent(params.controlId)}`,
      ),
    ),
  ]);
  return { ...detail, scoringPolicy: policy.policy, manual: manual.items };
};
