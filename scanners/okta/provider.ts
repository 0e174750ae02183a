/**
 * Okta as a scanner provider: what an integration stores (the org URL, an API token or a service app),
 * its checks, its connection test (the first user of the org, after the service app's sign-in) and its scan.
 */
import type { ConnectionOptions, ScannerProvider } from '../provider.ts';
import { CONNECTION_TIMEOUT_MS, secretsOf } from '../provider.ts';
import { optionalUrl, secretString, type AddProblem, type Fields } from '../fields.ts';
import { ScanContext } from '../scan-context.ts';
import { secret, settings, text } from '../settings-schema.ts';
import { ScanFailedError } from '../types.ts';
import { OKTA_PERMISSIONS, connectOkta, scanOkta, type OktaScanTarget } from './okta.ts';

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

/** The Okta scanner's target for a stored integration (an API token, or a service app). */
export function oktaTarget({ config, credentials }: Omit<OktaIntegration, 'provider'>): OktaScanTarget {
  return {
    orgUrl: config.orgUrl,
    ...('privateKey' in credentials
      ? { serviceApp: { clientId: credentials.clientId, privateKey: credentials.privateKey } }
      : { token: credentials.token }),
  };
}

/** The first user of the org, with the scanner's client (a service app signs in first). */
async function oktaIdentity(
  integration: Omit<OktaIntegration, 'provider'>,
  { egress }: ConnectionOptions,
): Promise<string> {
  const target = oktaTarget(integration);
  const orgUrl = target.orgUrl.replace(/\/$/, '');
  const signal = AbortSignal.timeout(CONNECTION_TIMEOUT_MS);
  const ctx = new ScanContext('okta', secretsOf(integration.credentials), { signal }, 20);
  const client = await connectOkta(
    target,
    { signal, rateLimitRetries: 0, ...(egress ? { egress } : {}) },
    ctx,
  );
  try {
    const users = await client.userApi.listUsers({ limit: 1 });
    await users.next();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401) throw new ScanFailedError('INVALID_CREDENTIALS', 'Okta refused the API token (401)');
    if (status === 403)
      throw new ScanFailedError('PERMISSION_DENIED', 'the credentials may not list users (okta.users.read)');
    if (status === undefined)
      throw new ScanFailedError('ENDPOINT_UNREACHABLE', `could not reach ${orgUrl}`, { cause: error });
    throw error;
  }
  return target.serviceApp
    ? `okta org ${orgUrl} as service app ${target.serviceApp.clientId}`
    : `okta org ${orgUrl}`;
}

/** An https org URL (http only for a loopback sandbox), and an API token or a service app's id and key. */
function validateOktaIntegration(c: Fields, k: Fields, add: AddProblem): void {
  optionalUrl(c.orgUrl, 'config.orgUrl', add, true);
  if (c.orgUrl === undefined) add('config.orgUrl', 'is required (https://<your-org>.okta.com)');
  if (k.token !== undefined) {
    secretString(k.token, 'credentials.token', add, 20);
  } else if (k.clientId !== undefined || k.privateKey !== undefined) {
    if (typeof k.clientId !== 'string' || !/^[A-Za-z0-9]{10,64}$/.test(k.clientId))
      add('credentials.clientId', 'must be the Okta service app client id');
    if (typeof k.privateKey !== 'string' || !/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(k.privateKey)) {
      add('credentials.privateKey', 'must be a PEM private key (-----BEGIN PRIVATE KEY-----)');
    }
  } else
    add('credentials', 'needs either token (API token) or clientId and privateKey (OAuth 2.0 service app)');
}

export const oktaProvider: ScannerProvider<OktaIntegration> = {
  id: 'okta',
  name: 'Okta',
  keys: { config: ['orgUrl'], credentials: ['token', 'clientId', 'privateKey'] },
  settings: {
    config: settings({ orgUrl: text('Org URL', 'https://<your-org>.okta.com', { format: 'uri' }) }, [
      'orgUrl',
    ]),
    credentials: settings(
      {
        token: secret('API token', 'A read-only admin API token.'),
        clientId: text(
          'Service app client id',
          'The client id of an OAuth 2.0 service app (instead of a token).',
        ),
        privateKey: secret('Service app private key', "The service app's PEM private key.", true),
      },
      [],
      'Either an API token, or a service app: its client id and private key.',
    ),
  },
  urlSettings: [
    {
      key: 'orgUrl',
      publicHosts: ['*.okta.com', '*.oktapreview.com', '*.okta-emea.com', '*.okta-gov.com', '*.okta.mil'],
    },
  ],
  permissions: OKTA_PERMISSIONS,
  validate: validateOktaIntegration,
  identify: oktaIdentity,
  scan: (integration, options) => scanOkta(oktaTarget(integration), options),
};
