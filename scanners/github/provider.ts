/**
 * GitHub as a scanner provider: what an integration stores (organizations, an API root, a token or a
 * GitHub App), its checks, its connection test (GET /orgs/{org} for every organization, as the app's
 * installation when the credentials are an app's) and its scan.
 */
import type { ConnectionOptions, ScannerProvider } from '../provider.ts';
import { CONNECTION_TIMEOUT_MS, secretsOf } from '../provider.ts';
import { optionalUrl, type AddProblem, type Fields } from '../fields.ts';
import { ScanContext } from '../scan-context.ts';
import { list, secret, settings, text } from '../settings-schema.ts';
import { ScanFailedError } from '../types.ts';
import { GITHUB_PERMISSIONS, connectGithub, scanGithub, type GithubScanTarget } from './github.ts';

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

/** GET /orgs/{org} for every organization, with the scanner's client (signed in as the app, if one). */
async function githubIdentity(
  integration: Omit<GithubIntegration, 'provider'>,
  { egress }: ConnectionOptions,
): Promise<string> {
  const target = githubTarget(integration);
  const signal = AbortSignal.timeout(CONNECTION_TIMEOUT_MS);
  const ctx = new ScanContext('github', secretsOf(integration.credentials), { signal }, 20);
  const octokit = await connectGithub(
    target,
    { signal, rateLimitRetries: 0, retryBaseMs: 100, ...(egress ? { egress } : {}) },
    ctx,
  );
  const who = target.app ? 'the GitHub App installation token' : 'the token';
  const logins: string[] = [];
  for (const org of target.organizations) {
    try {
      const { data } = await octokit.request('GET /orgs/{org}', { org });
      logins.push(data.login);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 401)
        throw new ScanFailedError('INVALID_CREDENTIALS', `GitHub refused ${who} (401 Bad credentials)`);
      if (status === 403 || status === 404) {
        throw new ScanFailedError(
          'PERMISSION_DENIED',
          `${who} cannot read the organization ${org} (${status})`,
        );
      }
      if (status === undefined)
        throw new ScanFailedError('ENDPOINT_UNREACHABLE', `could not reach GitHub for ${org}`);
      throw error;
    }
  }
  const app = target.app ? `GitHub App ${String(target.app.appId)} on ` : '';
  return `${app}github organizations ${logins.join(', ')}`;
}

/** Organization logins, an http(s) API root, and a token or a GitHub App's id, installation and key. */
function validateGithubIntegration(c: Fields, k: Fields, add: AddProblem): void {
  const orgs = c.organizations;
  if (
    !Array.isArray(orgs) ||
    orgs.length === 0 ||
    orgs.some((o) => typeof o !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/.test(o))
  ) {
    add('config.organizations', 'must list one or more GitHub organization logins');
  }
  optionalUrl(c.baseUrl, 'config.baseUrl', add);
  if (k.token === undefined && (k.appId !== undefined || k.privateKey !== undefined)) {
    // A GitHub App: installation tokens are made from its private key at each scan.
    if (!/^\d{1,12}$/.test(String(k.appId ?? '')))
      add('credentials.appId', 'must be the numeric GitHub App id');
    if (!/^\d{1,12}$/.test(String(k.installationId ?? '')))
      add(
        'credentials.installationId',
        'must be the numeric id of the app installation on the organizations',
      );
    if (typeof k.privateKey !== 'string' || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(k.privateKey))
      add('credentials.privateKey', "must be the app's PEM private key (-----BEGIN RSA PRIVATE KEY-----)");
  } else if (typeof k.token !== 'string' || k.token.length === 0) {
    add('credentials.token', 'is required (or appId, installationId and privateKey of a GitHub App)');
  } else if (
    !/^(gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}|[0-9a-f]{40})$/.test(k.token)
  ) {
    add(
      'credentials.token',
      'is not a GitHub token (expected github_pat_…, ghp_…, gho_…, ghs_… or a 40-character classic token)',
    );
  }
}

export const githubProvider: ScannerProvider<GithubIntegration> = {
  id: 'github',
  name: 'GitHub',
  keys: {
    config: ['organizations', 'baseUrl'],
    credentials: ['token', 'appId', 'privateKey', 'installationId'],
  },
  settings: {
    config: settings(
      {
        organizations: list(
          'Organizations',
          'The logins of the organizations to scan.',
          { type: 'string' },
          1,
        ),
        baseUrl: text('API URL', 'GitHub Enterprise Server API root; leave empty for github.com.', {
          format: 'uri',
        }),
      },
      ['organizations'],
    ),
    credentials: settings(
      {
        token: secret('Token', 'A fine-grained or classic token with read access to the organizations.'),
        appId: text('App id', 'The numeric id of a GitHub App (instead of a token).'),
        installationId: text('Installation id', 'The numeric id of the app installation.'),
        privateKey: secret('App private key', "The app's PEM private key.", true),
      },
      [],
      'Either a token, or a GitHub App: its id, installation id and private key.',
    ),
  },
  urlSettings: [{ key: 'baseUrl', publicHosts: ['api.github.com', '*.ghe.com'] }],
  permissions: GITHUB_PERMISSIONS,
  validate: validateGithubIntegration,
  identify: githubIdentity,
  scan: (integration, options) => scanGithub(githubTarget(integration), options),
};
