/**
 * Azure as a scanner provider: what an integration stores (the directory, subscriptions, sovereign-cloud
 * endpoints and a service principal), its checks, its connection test (a token for the service principal)
 * and its scan.
 */
import type { ConnectionOptions, ScannerProvider } from '../provider.ts';
import { CONNECTION_TIMEOUT_MS, secretsOf } from '../provider.ts';
import { optionalUrl, secretString, type AddProblem, type Fields } from '../fields.ts';
import { ScanContext } from '../scan-context.ts';
import { list, secret, settings, text } from '../settings-schema.ts';
import { ScanFailedError, WHOLE_SCAN, type ScanOptions, type ScanOutcome } from '../types.ts';
import { AZURE_PERMISSIONS, azureCredential, scanAzure } from './azure.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** A token for the service principal from the identity platform. */
async function azureIdentity(
  { config, credentials }: Omit<AzureIntegration, 'provider'>,
  { egress }: ConnectionOptions,
): Promise<string> {
  const endpoint = (config.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const target = { ...config, ...credentials };
  const ctx = new ScanContext('azure', secretsOf(credentials), egress ? { egress } : {}, 20);
  try {
    await (
      await azureCredential(target, endpoint, ctx)
    ).getToken(`${endpoint}/.default`, {
      abortSignal: AbortSignal.timeout(CONNECTION_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof ScanFailedError) throw error;
    if (ctx.egressRefusal) throw new ScanFailedError('EGRESS_DENIED', ctx.egressRefusal, { cause: error });
    const name = (error as { name?: string }).name;
    if (name === 'AuthenticationError' || name === 'CredentialUnavailableError') {
      throw new ScanFailedError(
        'INVALID_CREDENTIALS',
        `the identity platform refused the service principal ${credentials.clientId}`,
      );
    }
    if (error instanceof TypeError)
      throw new ScanFailedError('ENDPOINT_UNREACHABLE', `could not reach ${endpoint}`, { cause: error });
    throw error;
  }
  return `azure service principal ${credentials.clientId}`;
}

/** The part scanning one subscription. */
const subscriptionPart = (subscriptionId: string): string => `subscription:${subscriptionId}`;

/**
 * A scan of several subscriptions splits into one part per subscription: each is read on its own (nothing
 * in one subscription's resources depends on another's), so several workers share them. One subscription
 * stays one part.
 */
function azureParts({ config }: Omit<AzureIntegration, 'provider'>): string[] {
  const subscriptions = [...new Set(Array.isArray(config.subscriptionIds) ? config.subscriptionIds : [])];
  return subscriptions.length > 1 ? subscriptions.map(subscriptionPart) : [];
}

function scanAzureIntegration(
  { config, credentials }: Omit<AzureIntegration, 'provider'>,
  options: ScanOptions,
): Promise<ScanOutcome> {
  // scanIntegration checked that a part is one of azureParts'.
  const part = options.part && options.part !== WHOLE_SCAN ? options.part : null;
  const subscriptionIds = part
    ? config.subscriptionIds.filter((id) => subscriptionPart(id) === part)
    : config.subscriptionIds;
  return scanAzure(
    {
      tenantId: config.tenantId,
      subscriptionIds,
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

/** Directory and subscription UUIDs, https endpoints, and the service principal's secret or certificate. */
function validateAzureIntegration(c: Fields, k: Fields, add: AddProblem): void {
  if (typeof c.tenantId !== 'string' || !UUID.test(c.tenantId))
    add('config.tenantId', 'must be the directory (tenant) id, a UUID');
  const subs = c.subscriptionIds;
  if (!Array.isArray(subs) || subs.length === 0 || subs.some((s) => typeof s !== 'string' || !UUID.test(s))) {
    add('config.subscriptionIds', 'must list one or more subscription ids (UUIDs)');
  }
  optionalUrl(c.endpoint, 'config.endpoint', add);
  optionalUrl(c.authorityHost, 'config.authorityHost', add, true);
  if (typeof k.clientId !== 'string' || !UUID.test(k.clientId))
    add('credentials.clientId', 'must be the application (client) id, a UUID');
  if (k.clientSecret !== undefined) secretString(k.clientSecret, 'credentials.clientSecret', add, 16);
  else if (k.certificate !== undefined) {
    if (
      typeof k.certificate !== 'string' ||
      !/-----BEGIN CERTIFICATE-----/.test(k.certificate) ||
      !/PRIVATE KEY-----/.test(k.certificate)
    ) {
      add('credentials.certificate', 'must be a PEM file holding the certificate and its private key');
    }
  } else add('credentials', 'needs either clientSecret or certificate');
}

export const azureProvider: ScannerProvider<AzureIntegration> = {
  id: 'azure',
  name: 'Azure',
  keys: {
    config: ['tenantId', 'subscriptionIds', 'endpoint', 'authorityHost'],
    credentials: ['clientId', 'clientSecret', 'certificate'],
  },
  settings: {
    config: settings(
      {
        tenantId: text('Directory (tenant) id', 'The Microsoft Entra directory id, a UUID.'),
        subscriptionIds: list(
          'Subscriptions',
          'The ids of the subscriptions to scan.',
          { type: 'string' },
          1,
        ),
        endpoint: text('Resource Manager URL', 'Another management endpoint; leave empty for Azure.', {
          format: 'uri',
        }),
        authorityHost: text('Authority host', 'Another sign-in host; leave empty for Azure.', {
          format: 'uri',
        }),
      },
      ['tenantId', 'subscriptionIds'],
    ),
    credentials: settings(
      {
        clientId: text('Application (client) id', 'The service principal, a UUID.'),
        clientSecret: secret('Client secret', 'A secret of the application.'),
        certificate: secret('Certificate', 'A PEM file with the certificate and its private key.', true),
      },
      ['clientId'],
      'The application id with either a client secret or a certificate.',
    ),
  },
  urlSettings: [
    {
      key: 'endpoint',
      publicHosts: ['management.azure.com', 'management.usgovcloudapi.net', 'management.chinacloudapi.cn'],
    },
    {
      key: 'authorityHost',
      publicHosts: ['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn'],
    },
  ],
  permissions: AZURE_PERMISSIONS,
  validate: validateAzureIntegration,
  identify: azureIdentity,
  parts: azureParts,
  scan: scanAzureIntegration,
};
