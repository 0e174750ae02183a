/** What the Azure scanner's tests share: the demo subscription's scan target and an unpaced scan. */
import type { AzureScanTarget } from './azure.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  type AzureFixtureServer,
} from './fixtures/azure-fixture-server.ts';

/** The demo tenant's service principal scanning `subscriptionIds` (the main demo subscription by default). */
export function demoAzureTarget(
  server: AzureFixtureServer,
  subscriptionIds: string[] = [DEMO_AZURE_SUBSCRIPTION_ID],
): AzureScanTarget {
  return { tenantId: DEMO_AZURE_TENANT_ID, subscriptionIds, ...DEMO_AZURE_CLIENT, endpoint: server.url };
}

/** The sandbox answers at once: no polite call rate, short retry waits (pacing has its own tests). */
export const UNPACED_AZURE_SCAN = { callsPerSecond: 10_000, retryDelayMs: 20 };
