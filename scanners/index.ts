/**
 * Entry point for the API and the CLI, the only module they import from scanners/: scan one connected
 * integration, test its connection or validate it, whatever its provider. Each provider is reached
 * through its contract in the registry (AWS, GitHub, Okta and Azure); any other provider is refused with
 * UNSUPPORTED_PROVIDER.
 */
import { assertUrlSettingsAllowed } from './provider.ts';
import { SCANNABLE_PROVIDERS, scannerFor, type ScannableIntegration } from './registry.ts';
import { ScanFailedError, WHOLE_SCAN, type ScanOptions, type ScanOutcome } from './types.ts';

export * from './types.ts';
export {
  PROVIDERS,
  SCANNABLE_PROVIDERS,
  scannerFor,
  type ProviderId,
  type ScannableIntegration,
} from './registry.ts';
export type { ConnectionOptions, ScannerProvider, StoredIntegration } from './provider.ts';
export { egressPolicy, parseEgressAllowList, type EgressPolicy, type Resolve } from './egress.ts';
export { validateIntegration, type IntegrationProblem } from './validate.ts';
export { testConnection, type ConnectionResult } from './connection.ts';
export { RateLimiter, sleep, type CallLimiter, type CallLimiterFactory } from './rate-limit.ts';

export type { AwsCredentials } from './aws/credentials.ts';
export { scanS3, bucketArn, type AwsScanTarget, type S3ScanOptions } from './aws/s3.ts';
export {
  AWS_SERVICES,
  AWS_CONFIG_ONLY_SERVICES,
  scanAwsAccount,
  type AwsAccountScanOptions,
  type AwsAccountTarget,
  type AwsServiceName,
} from './aws/account.ts';
export { scanAwsOrganization, type AwsOrganizationOptions } from './aws/organization.ts';
export type { AwsIntegration, AwsIntegrationConfig } from './aws/provider.ts';
export {
  scanGithub,
  GITHUB_PERMISSIONS,
  type GithubScanOptions,
  type GithubScanTarget,
} from './github/github.ts';
export { githubTarget, type GithubIntegration, type GithubIntegrationConfig } from './github/provider.ts';
export { scanOkta, OKTA_PERMISSIONS, type OktaScanOptions, type OktaScanTarget } from './okta/okta.ts';
export { oktaTarget, type OktaIntegration } from './okta/provider.ts';
export { scanAzure, AZURE_PERMISSIONS, type AzureScanOptions, type AzureScanTarget } from './azure/azure.ts';
export type { AzureIntegration } from './azure/provider.ts';

/**
 * The parts a scan of the integration is split into (see ScannerProvider.parts): never empty, in a stable
 * order; [WHOLE_SCAN] for a provider that cannot split. An unknown provider also gets [WHOLE_SCAN], and its
 * scan then fails with UNSUPPORTED_PROVIDER.
 */
export function scanParts(integration: ScannableIntegration): string[] {
  const scanner = scannerFor((integration as { provider?: unknown })?.provider);
  const { config, credentials } = integration ?? {};
  const parts = scanner?.parts && config && credentials ? scanner.parts({ config, credentials }) : [];
  return parts.length > 0 ? parts : [WHOLE_SCAN];
}

/**
 * The parts a scan of the integration is planned with: those only calls can list (ScannerProvider.listParts,
 * e.g. one per member of an AWS organization), made under `options` (egress policy, call limit, signal),
 * else scanParts. Rejects with ScanFailedError when the listing cannot be made (refused credentials, an
 * organization that cannot be listed), as the scan itself would.
 */
export async function listScanParts(
  integration: ScannableIntegration,
  options: ScanOptions = {},
): Promise<string[]> {
  const scanner = scannerFor((integration as { provider?: unknown })?.provider);
  const { config, credentials } = integration ?? {};
  if (scanner?.listParts && config && credentials) {
    assertUrlSettingsAllowed(scanner, config, options.egress);
    const listed = await scanner.listParts({ config, credentials }, options);
    if (listed && listed.length > 0) return listed;
  }
  return scanParts(integration);
}

/**
 * Scans one integration (or the part `options.part` of it) with the scanner of its provider.
 * Rejects with ScanFailedError (see SCAN_FAILURE_CODES) when the scan cannot proceed at all.
 */
export async function scanIntegration(
  integration: ScannableIntegration,
  options: ScanOptions = {},
): Promise<ScanOutcome> {
  const provider = (integration as { provider?: unknown })?.provider;
  const scanner = scannerFor(provider);
  if (!scanner) {
    throw new ScanFailedError(
      'UNSUPPORTED_PROVIDER',
      `unsupported provider ${JSON.stringify(provider)}: scanners exist for ${SCANNABLE_PROVIDERS.join(', ')}`,
    );
  }
  const { config, credentials } = integration;
  if (!config || !credentials) {
    throw new ScanFailedError(
      'INVALID_CONFIG',
      `the ${scanner.name} integration needs both config and credentials`,
    );
  }
  assertUrlSettingsAllowed(scanner, config, options.egress);
  const part = options.part ?? WHOLE_SCAN;
  if (
    part !== WHOLE_SCAN &&
    !(scanner.parts?.({ config, credentials }) ?? []).includes(part) &&
    !scanner.acceptsPart?.({ config, credentials }, part)
  ) {
    throw new ScanFailedError(
      'INVALID_CONFIG',
      `the ${scanner.name} integration has no scan part ${JSON.stringify(part)}`,
    );
  }
  return scanner.scan({ config, credentials }, options);
}
