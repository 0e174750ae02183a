/**
 * Entry point for the API and the CLI: scan one connected integration, whatever its provider.
 * AWS, GitHub, Okta and Azure have scanners; any other provider is refused with UNSUPPORTED_PROVIDER.
 */
import { scanAwsAccount, type AwsAccountTarget, type AwsServiceName } from './aws/account.ts';
export { scanAwsOrganization, type AwsOrganizationOptions } from './aws/organization.ts';
import { scanAwsOrganization } from './aws/organization.ts';
import type { AwsCredentials } from './aws/credentials.ts';
import { scanS3 } from './aws/s3.ts';
import { scanAzure } from './azure/azure.ts';
import { scanGithub, type GithubScanTarget } from './github/github.ts';
import { scanOkta, type OktaScanTarget } from './okta/okta.ts';
import { ScanFailedError, type ScanOptions, type ScanOutcome } from './types.ts';

export * from './types.ts';
export type { AwsCredentials } from './aws/credentials.ts';
export { scanS3, bucketArn, type AwsScanTarget, type S3ScanOptions } from './aws/s3.ts';
export {
  AWS_SERVICES,
  scanAwsAccount,
  type AwsAccountScanOptions,
  type AwsAccountTarget,
  type AwsServiceName,
} from './aws/account.ts';

/** What an AWS integration stores besides its credentials. */
export interface AwsIntegrationConfig {
  accountId: string;
  /** Home region: global calls go there. */
  region: string;
  endpoint?: string;
  /**
   * Services to scan (see AWS_SERVICES). When absent only S3 is scanned, as integrations created
   * before the other services existed expect; new integrations should list the services (all of
   * AWS_SERVICES by default).
   */
  services?: AwsServiceName[];
  /** Regions to scan; by default every region enabled for the account. */
  regions?: string[];
  /** A role to assume through STS before scanning, and the external id its trust policy requires. */
  roleArn?: string;
  externalId?: string;
  /**
   * Read the resource types AWS Config records through Config where a region's recorder is on
   * (default); false always uses the direct APIs.
   */
  useConfig?: boolean;
  /** A Config aggregator in the home region to read every region (and member account) it collects. */
  configAggregator?: string;
  /**
   * Scan every active account of the organization this (management) account belongs to, through
   * the named role in each member, assumed with the external id.
   */
  organization?: { memberRoleName: string; externalId?: string };
}

export interface AwsIntegration {
  provider: 'aws';
  config: AwsIntegrationConfig;
  credentials: AwsCredentials;
}

export {
  scanGithub,
  GITHUB_PERMISSIONS,
  type GithubScanOptions,
  type GithubScanTarget,
} from './github/github.ts';
export { validateIntegration, type IntegrationProblem } from './validate.ts';

/** What a GitHub integration stores besides its token. */
export interface GithubIntegrationConfig {
  /** Organization logins to scan. */
  organizations: string[];
  /** API root for GitHub Enterprise Server or a sandbox; https://api.github.com by default. */
  baseUrl?: string;
}

export interface GithubIntegration {
  provider: 'github';
  config: GithubIntegrationConfig;
  /**
   * A fine-grained personal access token, an OAuth token or an installation token; or a GitHub App
   * (its id, PEM private key and the installation on the organizations).
   */
  credentials:
    { token: string } | { appId: number | string; privateKey: string; installationId: number | string };
}

export { scanOkta, OKTA_PERMISSIONS, type OktaScanOptions, type OktaScanTarget } from './okta/okta.ts';

export interface OktaIntegration {
  provider: 'okta';
  /** https://<org>.okta.com */
  config: { orgUrl: string };
  /**
   * An API token (SSWS) of a read-only admin, or an OAuth 2.0 service app's client id and private key
   * (PEM or JWK text) for a private-key JWT.
   */
  credentials: { token: string } | { clientId: string; privateKey: string };
}

export { scanAzure, AZURE_PERMISSIONS, type AzureScanOptions, type AzureScanTarget } from './azure/azure.ts';

export interface AzureIntegration {
  provider: 'azure';
  /**
   * The directory, the subscriptions to scan, an ARM endpoint other than https://management.azure.com
   * and an identity platform other than https://login.microsoftonline.com (sovereign clouds).
   */
  config: { tenantId: string; subscriptionIds: string[]; endpoint?: string; authorityHost?: string };
  /**
   * A service principal (Reader on the subscriptions) with a client secret, or with a certificate:
   * one PEM holding the certificate registered on the app and its private key.
   */
  credentials: { clientId: string; clientSecret: string } | { clientId: string; certificate: string };
}

/** The GitHub scanner's target for a stored integration (a token, or a GitHub App). */
export function githubTarget({ config, credentials }: Omit<GithubIntegration, 'provider'>): GithubScanTarget {
  return {
    organizations: config.organizations,
    ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
    ...('privateKey' in credentials
      ? {
          app: {
            appId: credentials.appId,
            privateKey: credentials.privateKey,
            installationId: credentials.installationId,
          },
        }
      : { token: credentials.token }),
  };
}

/** The Okta scanner's target for a stored integration (an API token, or a service app). */
export function oktaTarget({ config, credentials }: Omit<OktaIntegration, 'provider'>): OktaScanTarget {
  return {
    orgUrl: config.orgUrl,
    ...('privateKey' in credentials
      ? { serviceApp: { clientId: credentials.clientId, privateKey: credentials.privateKey } }
      : { token: credentials.token }),
  };
}

/** Every integration a scanner exists for. */
export type ScannableIntegration = AwsIntegration | GithubIntegration | OktaIntegration | AzureIntegration;

/** Providers that have a scanner, for the API to validate integration records against. */
export const SCANNABLE_PROVIDERS = ['aws', 'github', 'okta', 'azure'] as const;

/**
 * Scans one integration with the scanner of its provider.
 * Rejects with ScanFailedError (see SCAN_FAILURE_CODES) when the scan cannot proceed at all.
 */
export async function scanIntegration(
  integration: ScannableIntegration,
  options: ScanOptions = {},
): Promise<ScanOutcome> {
  const provider: string = (integration as { provider?: unknown })?.provider as string;
  switch (provider) {
    case 'aws': {
      const { config, credentials } = integration as AwsIntegration;
      if (!config || !credentials) {
        throw new ScanFailedError('INVALID_CONFIG', 'an AWS integration needs both config and credentials');
      }
      if (config.services || config.organization) {
        const target: AwsAccountTarget = {
          accountId: config.accountId,
          region: config.region,
          ...(config.services ? { services: config.services } : {}),
          ...(config.regions ? { regions: config.regions } : {}),
          ...(config.endpoint ? { endpoint: config.endpoint } : {}),
          ...(config.roleArn ? { roleArn: config.roleArn } : {}),
          ...(config.externalId ? { externalId: config.externalId } : {}),
          ...(config.useConfig === false ? { useConfig: false } : {}),
          ...(config.configAggregator ? { configAggregator: config.configAggregator } : {}),
          credentials,
        };
        return config.organization
          ? scanAwsOrganization(target, config.organization, options)
          : scanAwsAccount(target, options);
      }
      return scanS3(
        {
          accountId: config.accountId,
          region: config.region,
          ...(config.endpoint ? { endpoint: config.endpoint } : {}),
          credentials,
        },
        options,
      );
    }
    case 'github': {
      const { config, credentials } = integration as GithubIntegration;
      if (!config || !credentials) {
        throw new ScanFailedError('INVALID_CONFIG', 'a GitHub integration needs both config and credentials');
      }
      return scanGithub(githubTarget({ config, credentials }), options);
    }
    case 'okta': {
      const { config, credentials } = integration as OktaIntegration;
      if (!config || !credentials) {
        throw new ScanFailedError('INVALID_CONFIG', 'an Okta integration needs both config and credentials');
      }
      return scanOkta(oktaTarget({ config, credentials }), options);
    }
    case 'azure': {
      const { config, credentials } = integration as AzureIntegration;
      if (!config || !credentials) {
        throw new ScanFailedError('INVALID_CONFIG', 'an Azure integration needs both config and credentials');
      }
      return scanAzure(
        {
          tenantId: config.tenantId,
          subscriptionIds: config.subscriptionIds,
          ...(config.endpoint ? { endpoint: config.endpoint } : {}),
          ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
          clientId: credentials.clientId,
          ...('certificate' in credentials
            ? { certificate: credentials.certificate }
            : { clientSecret: credentials.clientSecret }),
        },
        options,
      );
    }
    default:
      throw new ScanFailedError(
        'UNSUPPORTED_PROVIDER',
        `unsupported provider ${JSON.stringify(provider)}: scanners exist for ${SCANNABLE_PROVIDERS.join(', ')}`,
      );
  }
}
