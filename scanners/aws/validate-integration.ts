/**
 * Shape checks of an AWS integration's config and credentials, run when it is created or updated, so a
 * wrong account id, region or access key is refused then, with the field named, instead of failing the
 * first scan.
 */
import { isFields, optionalUrl, secretString, unknownKeys, type AddProblem, type Fields } from '../fields.ts';
import { list, secret, settings, text } from '../settings-schema.ts';
import { AWS_SERVICES } from './account.ts';

/** What an AWS integration stores, for forms (validateAwsIntegration is the check). */
export const AWS_SETTINGS = {
  config: settings(
    {
      accountId: text('Account id', 'The 12-digit id of the AWS account to scan.', { pattern: '^\\d{12}$' }),
      region: text('Region', 'The home region, such as eu-west-1.', { examples: ['eu-west-1'] }),
      endpoint: text('Endpoint', 'Another API endpoint (an AWS-compatible sandbox); leave empty for AWS.', {
        format: 'uri',
      }),
      services: list('Services', 'The services to scan; none listed scans every one.', {
        type: 'string',
        enum: [...AWS_SERVICES],
      }),
      regions: list('Regions', 'More regions to scan beside the home region.'),
      roleArn: text('Role to assume', 'An IAM role ARN the keys assume before scanning (optional).'),
      externalId: text('External id', 'The external id the role trust policy asks for (optional).'),
      useConfig: {
        type: 'boolean',
        title: 'Read AWS Config',
        description: 'Read resources through AWS Config.',
      },
      configAggregator: text('Config aggregator', 'The AWS Config aggregator to read (optional).'),
      organization: {
        type: 'object',
        title: 'Organization',
        description: 'Scan every member account of the organization through this role (optional).',
        properties: {
          memberRoleName: text('Member role name', 'The role assumed in each member account.'),
          externalId: text('Member external id', 'The external id of the member role (optional).'),
        },
        required: ['memberRoleName'],
        additionalProperties: false,
      },
    },
    ['accountId', 'region'],
  ),
  credentials: settings(
    {
      accessKeyId: text('Access key id', 'AKIA… (long-term) or ASIA… (temporary) key id.'),
      secretAccessKey: secret('Secret access key', 'The secret of the access key.'),
      sessionToken: secret('Session token', 'Required with temporary (ASIA…) keys.'),
    },
    ['accessKeyId', 'secretAccessKey'],
  ),
};

const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Account, region, endpoint, services, regions, role and the access key. */
export function validateAwsIntegration(c: Fields, k: Fields, add: AddProblem): void {
  if (typeof c.accountId !== 'string' || !/^\d{12}$/.test(c.accountId))
    add('config.accountId', 'must be the 12-digit AWS account id');
  if (typeof c.region !== 'string' || !AWS_REGION.test(c.region))
    add('config.region', 'must be an AWS region code such as eu-west-1');
  optionalUrl(c.endpoint, 'config.endpoint', add);
  if (c.services !== undefined) {
    if (
      !Array.isArray(c.services) ||
      c.services.some((s) => !(AWS_SERVICES as readonly string[]).includes(String(s)))
    ) {
      add('config.services', `must list services among ${AWS_SERVICES.join(', ')}`);
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
function validateAwsConfigSources(c: Fields, add: AddProblem): void {
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
  if (!isFields(o)) {
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
