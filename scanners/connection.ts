/**
 * Connection test of an integration: the provider's cheapest call that proves the credentials work for the
 * configured account, through the same SDKs and sign-in code the scanners use. AWS: STS GetCallerIdentity
 * (and the account must be the configured one); GitHub: GET /orgs/{org} for every configured organization
 * (a GitHub App gets its installation token first); Okta: the first user of the org (a service app gets its
 * access token first); Azure: a token for the service principal from the identity platform. The answer never
 * carries a credential: every message is redacted of the integration's secret values.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { assumeRole } from './aws/account.ts';
import { AwsScanContext } from './aws/aws-context.ts';
import { redact, safeErrorMessage } from './aws/aws-errors.ts';
import { azureCredential } from './azure/azure.ts';
import { connectGithub } from './github/github.ts';
import { githubTarget, oktaTarget, type ScannableIntegration } from './index.ts';
import { connectOkta } from './okta/okta.ts';
import { ScanContext } from './scan-context.ts';
import { ScanFailedError, type ScanFailureCode } from './types.ts';

export type ConnectionResult =
  { ok: true; identity: string } | { ok: false; code: ScanFailureCode; message: string };

/** Each call waits at most this long: a test answers quickly or says the endpoint is unreachable. */
const TIMEOUT_MS = 10_000;

const fail = (code: ScanFailureCode, message: string): never => {
  throw new ScanFailedError(code, message);
};

/** Every string value of the credentials: what no message may contain. */
function secretsOf(credentials: object): string[] {
  return Object.values(credentials).filter((v): v is string => typeof v === 'string' && v.length >= 4);
}

/** Tests one integration; never throws for a provider answer or a network failure. */
export async function testConnection(integration: ScannableIntegration): Promise<ConnectionResult> {
  const secrets = secretsOf(integration.credentials);
  try {
    return { ok: true, identity: await identify(integration) };
  } catch (error) {
    if (error instanceof ScanFailedError) {
      return { ok: false, code: error.code, message: redact(error.message, secrets) };
    }
    return { ok: false, code: 'PROVIDER_ERROR', message: safeErrorMessage(error, secrets) };
  }
}

function identify(integration: ScannableIntegration): Promise<string> {
  switch (integration.provider) {
    case 'aws':
      return awsIdentity(integration);
    case 'github':
      return githubIdentity(integration);
    case 'okta':
      return oktaIdentity(integration);
    case 'azure':
      return azureIdentity(integration);
  }
}

/** GetCallerIdentity (after AssumeRole when a role is configured), through the scanner's own AWS context. */
async function awsIdentity({ config, credentials }: Extract<ScannableIntegration, { provider: 'aws' }>) {
  const ctx = new AwsScanContext(config.accountId, credentials, config.endpoint, {});
  try {
    if (config.roleArn) {
      const target = {
        region: config.region,
        roleArn: config.roleArn,
        credentials,
        ...(config.externalId ? { externalId: config.externalId } : {}),
      };
      ctx.useCredentials(await assumeRole(ctx, target));
    }
    const sts = ctx.client('sts', config.region, (settings) => new STSClient(settings));
    const who = await ctx.call('sts:GetCallerIdentity', (abortSignal) =>
      sts.send(new GetCallerIdentityCommand({}), { abortSignal }),
    );
    if (!who.ok) {
      fail(
        'PROVIDER_ERROR',
        `GetCallerIdentity failed (${who.code}): ${safeErrorMessage(who.error, ctx.redactedSecrets)}`,
      );
      throw who.error;
    }
    const account = who.value.Account;
    if (account !== config.accountId) {
      fail(
        'INVALID_CONFIG',
        `the credentials belong to AWS account ${account ?? '(unknown)'}, not the configured ${config.accountId}`,
      );
    }
    return who.value.Arn ?? `arn:aws:iam::${config.accountId}`;
  } finally {
    ctx.close();
  }
}

/** GET /orgs/{org} for every organization, with the scanner's client (signed in as the app, if one). */
async function githubIdentity(integration: Extract<ScannableIntegration, { provider: 'github' }>) {
  const target = githubTarget(integration);
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  const ctx = new ScanContext('github', secretsOf(integration.credentials), { signal }, 20);
  const octokit = await connectGithub(target, { signal, rateLimitRetries: 0, retryBaseMs: 100 }, ctx);
  const who = target.app ? 'the GitHub App installation token' : 'the token';
  const logins: string[] = [];
  for (const org of target.organizations) {
    try {
      const { data } = await octokit.request('GET /orgs/{org}', { org });
      logins.push(data.login);
    } catch (error) {
      const status = (error as { status?: number }).status;
      if (status === 401) fail('INVALID_CREDENTIALS', `GitHub refused ${who} (401 Bad credentials)`);
      if (status === 403 || status === 404) {
        fail('PERMISSION_DENIED', `${who} cannot read the organization ${org} (${status})`);
      }
      if (status === undefined) fail('ENDPOINT_UNREACHABLE', `could not reach GitHub for ${org}`);
      throw error;
    }
  }
  const app = target.app ? `GitHub App ${String(target.app.appId)} on ` : '';
  return `${app}github organizations ${logins.join(', ')}`;
}

/** The first user of the org, with the scanner's client (a service app signs in first). */
async function oktaIdentity(integration: Extract<ScannableIntegration, { provider: 'okta' }>) {
  const target = oktaTarget(integration);
  const orgUrl = target.orgUrl.replace(/\/$/, '');
  const signal = AbortSignal.timeout(TIMEOUT_MS);
  const ctx = new ScanContext('okta', secretsOf(integration.credentials), { signal }, 20);
  const client = await connectOkta(target, { signal, rateLimitRetries: 0 }, ctx);
  try {
    const users = await client.userApi.listUsers({ limit: 1 });
    await users.next();
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 401) fail('INVALID_CREDENTIALS', 'Okta refused the API token (401)');
    if (status === 403) fail('PERMISSION_DENIED', 'the credentials may not list users (okta.users.read)');
    if (status === undefined) fail('ENDPOINT_UNREACHABLE', `could not reach ${orgUrl}`);
    throw error;
  }
  return target.serviceApp
    ? `okta org ${orgUrl} as service app ${target.serviceApp.clientId}`
    : `okta org ${orgUrl}`;
}

async function azureIdentity({ config, credentials }: Extract<ScannableIntegration, { provider: 'azure' }>) {
  const endpoint = (config.endpoint ?? 'https://management.azure.com').replace(/\/$/, '');
  const target = { ...config, ...credentials };
  const ctx = new ScanContext('azure', secretsOf(credentials), {}, 20);
  try {
    await azureCredential(target, endpoint, ctx).getToken(`${endpoint}/.default`, {
      abortSignal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof ScanFailedError) throw error;
    const name = (error as { name?: string }).name;
    if (name === 'AuthenticationError' || name === 'CredentialUnavailableError') {
      fail(
        'INVALID_CREDENTIALS',
        `the identity platform refused the service principal ${credentials.clientId}`,
      );
    }
    if (error instanceof TypeError) fail('ENDPOINT_UNREACHABLE', `could not reach ${endpoint}`);
    throw error;
  }
  return `azure service principal ${credentials.clientId}`;
}
