/**
 * Microsoft Defender for Cloud plans of a subscription: `GET /subscriptions/{id}/providers/
 * Microsoft.Security/pricings` answers one pricing per plan (VirtualMachines, StorageAccounts, SqlServers,
 * KeyVaults, Containers, AppServices, ...) whether or not the plan is on: its tier (Free or Standard), its
 * sub-plan and the plan's extensions. One `azure.security.defender_plan` per pricing.
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const DEFENDER_API_VERSION = '2024-01-01';

export const DEFENDER_PERMISSIONS = {
  'pricings.list': 'Microsoft.Security/pricings/read',
} as const;

export async function scanDefender(arm: ArmReader): Promise<Resource[]> {
  const pricings = await arm.list(
    'pricings.list',
    `/subscriptions/${arm.subscriptionId}/providers/Microsoft.Security/pricings`,
    DEFENDER_API_VERSION,
  );
  return (pricings ?? []).map((p) => defenderPlan(arm, p));
}

function defenderPlan(arm: ArmReader, pricing: Json): Resource {
  const p = (pricing.properties ?? {}) as Json;
  const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
  const extensions = Array.isArray(p.extensions) ? (p.extensions as Json[]) : [];
  return arm.envelope({ ...pricing, location: 'global' }, 'azure.security.defender_plan', {
    plan: String(pricing.name ?? ''),
    pricing_tier: p.pricingTier === 'Standard' ? 'Standard' : 'Free',
    sub_plan: text(p.subPlan),
    enabled_at: p.pricingTier === 'Standard' ? text(p.enablementTime) : null,
    deprecated: p.deprecated === true,
    // The API writes the flag as the string "True"/"False".
    extensions: extensions.map((e) => ({
      name: String(e.name ?? ''),
      enabled: String(e.isEnabled).toLowerCase() === 'true',
    })),
  });
}
