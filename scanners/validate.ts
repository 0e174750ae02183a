/**
 * Shape checks for an integration's config and credentials, for the API to run when an integration
 * is created or updated: a credential of the wrong shape is refused then, with the field named,
 * instead of failing the first scan. Problems never quote a credential's value.
 */

/** One problem: the dotted field (`credentials.accessKeyId`) and what is wrong with it. */
export interface IntegrationProblem {
  field: string;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AWS_SERVICE_NAMES = ['s3', 'iam', 'cloudtrail', 'ec2', 'rds', 'kms', 'guardduty'];

/** Validates an integration of any provider; an empty list means it may be stored. */
export function validateIntegration(
  provider: unknown,
  config: unknown,
  credentials: unknown,
): IntegrationProblem[] {
  const problems: IntegrationProblem[] = [];
  const add = (field: string, message: string): void => void problems.push({ field, message });
  if (!isObj(config)) add('config', 'must be an object');
  if (!isObj(credentials)) add('credentials', 'must be an object');
  if (problems.length > 0) return problems;
  const c = config as Obj;
  const k = credentials as Obj;
  const known = KNOWN_KEYS[String(provider)];
  if (known) {
    unknownKeys(c, known.config, 'config', add);
    unknownKeys(k, known.credentials, 'credentials', add);
  }
  switch (provider) {
    case 'aws':
      validateAws(c, k, add);
      break;
    case 'github':
      validateGithub(c, k, add);
      break;
    case 'okta':
      validateOkta(c, k, add);
      break;
    case 'azure':
      validateAzure(c, k, add);
      break;
    default:
      add('provider', 'must be one of aws, github, okta, azure');
  }
  return problems;
}

type Add = (field: string, message: string) => void;

/**
 * The keys each provider reads. Anything else is refused rather than stored: a misspelt optional key
 * (`roleARN`) would otherwise be silently ignored and the scan would run without it.
 */
const KNOWN_KEYS: Record<string, { config: string[]; credentials: string[] }> = {
  aws: {
    config: [
      'accountId',
      'region',
      'endpoint',
      'services',
      'regions',
      'roleArn',
      'externalId',
      'useConfig',
      'configAggregator',
      'organization',
    ],
    credentials: ['accessKeyId', 'secretAccessKey', 'sessionToken'],
  },
  github: {
    config: ['organizations', 'baseUrl'],
    credentials: ['token', 'appId', 'privateKey', 'installationId'],
  },
  okta: { config: ['orgUrl'], credentials: ['token', 'clientId', 'privateKey'] },
  azure: {
    config: ['tenantId', 'subscriptionIds', 'endpoint', 'authorityHost'],
    credentials: ['clientId', 'clientSecret', 'certificate'],
  },
};

/** A key name short and plain enough to repeat; a pasted secret used as a key is not echoed back. */
const NAMEABLE_KEY = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

function unknownKeys(value: Obj, known: string[], part: string, add: Add): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    if (NAMEABLE_KEY.test(key)) add(`${part}.${key}`, `is not a known key (known: ${known.join(', ')})`);
    else add(part, `has an unknown key (known: ${known.join(', ')})`);
  }
}

/** An http(s) URL; with `httpsUnlessLocal`, plain http only for a loopback host (a local sandbox). */
function optionalUrl(value: unknown, field: string, add: Add, httpsUnlessLocal = false): void {
  if (value === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    // reported below
  }
  const local = url !== undefined && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  const ok = url?.protocol === 'https:' || (url?.protocol === 'http:' && (!httpsUnlessLocal || local));
  if (typeof value !== 'string' || !ok)
    add(field, httpsUnlessLocal ? 'must be an https URL' : 'must be an http(s) URL');
}

function secretString(value: unknown, field: string, add: Add, minLength: number): boolean {
  if (typeof value !== 'string' || value.length === 0) {
    add(field, 'is required');
    return false;
  }
  if (value.length < minLength || /\s/.test(value)) {
    add(field, `does not look like a valid value (at least ${minLength} characters, no spaces)`);
    return false;
  }
  return true;
}

function validateAws(c: Obj, k: Obj, add: Add): void {
  if (typeof c.accountId !== 'string' || !/^\d{12}$/.test(c.accountId))
    add('config.accountId', 'must be the 12-digit AWS account id');
  if (typeof c.region !== 'string' || !AWS_REGION.test(c.region))
    add('config.region', 'must be an AWS region code such as eu-west-1');
  optionalUrl(c.endpoint, 'config.endpoint', add);
  if (c.services !== undefined) {
    if (!Array.isArray(c.services) || c.services.some((s) => !AWS_SERVICE_NAMES.includes(String(s)))) {
      add('config.services', `must list services among ${AWS_SERVICE_NAMES.join(', ')}`);
    }
  }
  if (
    c.regions !== undefined &&
    (!Array.isArray(c.regions) || c.regions.some((r) => typeof r !== 'string' || !AWS_REGION.test(r)))
  ) {
    add('config.regions', 'must list AWS region codes');
  }
  if (
    c.roleArn !== undefined &&
    (typeof c.roleArn !== 'string' || !/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(c.roleArn))
  ) {
    add('config.roleArn', 'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  }
  if (
    c.externalId !== undefined &&
    (typeof c.externalId !== 'string' || !/^[\w+=,.@:/-]{2,1224}$/.test(c.externalId))
  ) {
    add('config.externalId', 'must be 2 to 1224 characters of letters, digits and +=,.@:/-');
  }
  validateAwsConfigSources(c, add);
  if (typeof k.accessKeyId !== 'string' || !/^(AKIA|ASIA)[A-Z0-9]{12,124}$/.test(k.accessKeyId)) {
    add(
      'credentials.accessKeyId',
      'must be an AWS access key id (AKIA… or ASIA…, upper-case letters and digits)',
    );
  }
  secretString(k.secretAccessKey, 'credentials.secretAccessKey', add, 16);
  if (
    typeof k.accessKeyId === 'string' &&
    k.accessKeyId.startsWith('ASIA') &&
    typeof k.sessionToken !== 'string'
  ) {
    add('credentials.sessionToken', 'is required with temporary (ASIA…) credentials');
  }
  if (k.sessionToken !== undefined && typeof k.sessionToken !== 'string')
    add('credentials.sessionToken', 'must be a string');
}

/** AWS Config use, an aggregator name, and the organization's member role. */
function validateAwsConfigSources(c: Obj, add: Add): void {
  if (c.useConfig !== undefined && typeof c.useConfig !== 'boolean')
    add('config.useConfig', 'must be true or false');
  if (
    c.configAggregator !== undefined &&
    (typeof c.configAggregator !== 'string' || !/^[\w-]{1,256}$/.test(c.configAggregator))
  ) {
    add('config.configAggregator', 'must be a Config aggregator name (letters, digits, _ and -)');
  }
  if (c.organization === undefined) return;
  const o = c.organization;
  if (!isObj(o)) {
    add('config.organization', 'must be an object with memberRoleName (and externalId)');
    return;
  }
  unknownKeys(o, ['memberRoleName', 'externalId'], 'config.organization', add);
  if (typeof o.memberRoleName !== 'string' || !/^[\w+=,.@-]{1,64}$/.test(o.memberRoleName))
    add('config.organization.memberRoleName', 'must be an IAM role name such as ComplyWiseAudit');
  if (
    o.externalId !== undefined &&
    (typeof o.externalId !== 'string' || !/^[\w+=,.@:/-]{2,1224}$/.test(o.externalId))
  ) {
    add('config.organization.externalId', 'must be 2 to 1224 characters of letters, digits and +=,.@:/-');
  }
}

function validateGithub(c: Obj, k: Obj, add: Add): void {
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

function validateOkta(c: Obj, k: Obj, add: Add): void {
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

function validateAzure(c: Obj, k: Obj, add: Add): void {
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
