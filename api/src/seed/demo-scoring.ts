/**
 * The demo tenant's scoring policy. Every demo sandbox keeps some deliberately failing resource per rule, so
 * under the default all-pass roll-up every automated requirement fails and every framework shows 0%. The demo
 * instead shows what a tenant tuning its policy sees: a control passes when at least two thirds of its
 * findings pass, and SOC 2 and ISO 27001 requirements pass when half of their controls do (the others keep
 * all-pass). On the demo sandboxes this gives scores between about 15% and 50% (docs/scoring.md).
 */
import type { ScoringPolicy } from '../../../schemas/index.ts';
import { insertPolicy, tenantHasPolicy } from '../scoring/store.ts';
import type { Trx } from '../plugins/app/tenancy.ts';

const HALF = { mode: 'threshold', pass_threshold: 0.5 } as const;

export const DEMO_SCORING_POLICY: ScoringPolicy = {
  controls: { mode: 'threshold', pass_threshold: 0.67 },
  frameworks: { soc2: { requirements: HALF }, iso27001: { requirements: HALF } },
};

/** Sets the demo policy once: a policy the demo user changed is left alone at the next start. */
export async function seedDemoScoringPolicy(trx: Trx, tenantId: string, userId: string): Promise<void> {
  if (await tenantHasPolicy(trx, tenantId)) return;
  await insertPolicy(trx, tenantId, DEMO_SCORING_POLICY, userId);
}
