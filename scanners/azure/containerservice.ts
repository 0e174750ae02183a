/**
 * AKS clusters of a subscription: `GET /subscriptions/{id}/providers/Microsoft.ContainerService/
 * managedClusters` (paged with `nextLink`). One `azure.containerservice.aks_cluster` per cluster: how the
 * API server is reached and who may sign in to it, network policy, and upgrade settings.
 */
import type { Resource } from '../../schemas/index.ts';
import type { ArmReader } from './arm-reader.ts';

type Json = Record<string, unknown>;

export const AKS_API_VERSION = '2024-05-01';

export const CONTAINERSERVICE_PERMISSIONS = {
  'managedClusters.list': 'Microsoft.ContainerService/managedClusters/read',
} as const;

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});

export async function scanContainerService(arm: ArmReader): Promise<Resource[]> {
  const clusters = await arm.list(
    'managedClusters.list',
    `/subscriptions/${arm.subscriptionId}/providers/Microsoft.ContainerService/managedClusters`,
    AKS_API_VERSION,
  );
  return (clusters ?? []).map((c) => arm.envelope(c, 'azure.containerservice.aks_cluster', aksCluster(c)));
}

function aksCluster(c: Json): Json {
  const p = obj(c.properties);
  const aad = p.aadProfile ? obj(p.aadProfile) : null;
  const api = obj(p.apiServerAccessProfile);
  const network = obj(p.networkProfile);
  const addons = obj(p.addonProfiles);
  const policy = text(network.networkPolicy);
  const channel = text(obj(p.autoUpgradeProfile).upgradeChannel);
  return {
    kubernetes_version: String(p.currentKubernetesVersion ?? p.kubernetesVersion ?? ''),
    sku_tier: String(obj(c.sku).tier ?? 'Free'),
    rbac_enabled: p.enableRBAC === true,
    // Managed Entra integration (the legacy client/server app integration is retired).
    entra_integration: aad?.managed === true,
    azure_rbac_enabled: aad?.enableAzureRBAC === true,
    local_accounts_disabled: p.disableLocalAccounts === true,
    private_cluster: api.enablePrivateCluster === true,
    authorized_ip_ranges: Array.isArray(api.authorizedIPRanges)
      ? (api.authorizedIPRanges as unknown[]).map(String)
      : [],
    network_plugin: text(network.networkPlugin),
    // "none" and an absent policy both mean pods may talk to any pod.
    network_policy: policy && policy.toLowerCase() !== 'none' ? policy : null,
    azure_policy_enabled: obj(addons.azurepolicy ?? addons.azurePolicy).enabled === true,
    defender_enabled: obj(obj(obj(p.securityProfile).defender).securityMonitoring).enabled === true,
    auto_upgrade_channel: channel && channel.toLowerCase() !== 'none' ? channel : null,
  };
}
