import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../../../scanners/registry.ts';
import {
  changesOf,
  fieldsOf,
  initialValues,
  problemsByField,
  settingsOf,
  splitList,
} from './settings-form.ts';

const aws = PROVIDERS.aws.settings;
const awsFields = [...fieldsOf('config', aws.config), ...fieldsOf('credentials', aws.credentials)];

describe('integration form from the provider schemas', () => {
  it('makes an input per setting, nested ones flattened, secrets marked', () => {
    const byPath = Object.fromEntries(awsFields.map((f) => [f.path, f]));
    expect(byPath['config.accountId']).toMatchObject({ kind: 'text', required: true, secret: false });
    expect(byPath['config.endpoint']?.kind).toBe('url');
    expect(byPath['config.services']).toMatchObject({ kind: 'choices', required: false });
    expect(byPath['config.services']?.options).toContain('s3');
    expect(byPath['config.regions']?.kind).toBe('list');
    expect(byPath['config.useConfig']?.kind).toBe('flag');
    expect(byPath['config.organization.memberRoleName']?.label).toBe('Organization: Member role name');
    expect(byPath['credentials.secretAccessKey']).toMatchObject({
      kind: 'secret',
      secret: true,
      required: true,
    });
    expect(byPath['credentials.accessKeyId']?.secret).toBe(false);
    const github = fieldsOf('credentials', PROVIDERS.github.settings.credentials);
    expect(github.find((f) => f.path === 'credentials.privateKey')).toMatchObject({
      kind: 'multiline',
      secret: true,
    });
  });

  it('turns the values into config and credentials, leaving empty fields out', () => {
    const values = {
      ...initialValues(awsFields),
      'config.accountId': ' 123456789012 ',
      'config.region': 'eu-west-1',
      'config.regions': 'us-east-1, eu-central-1\nus-west-2',
      'config.services': ['s3', 'iam'],
      'credentials.accessKeyId': 'AKIAEXAMPLE000000000',
      'credentials.secretAccessKey': 'secret-value ',
    };
    expect(settingsOf(awsFields, values)).toEqual({
      config: {
        accountId: '123456789012',
        region: 'eu-west-1',
        regions: ['us-east-1', 'eu-central-1', 'us-west-2'],
        services: ['s3', 'iam'],
      },
      credentials: { accessKeyId: 'AKIAEXAMPLE000000000', secretAccessKey: 'secret-value ' },
    });
    expect(
      settingsOf(awsFields, { ...values, 'config.organization.memberRoleName': 'Audit' }).config.organization,
    ).toEqual({ memberRoleName: 'Audit' });
  });

  it('starts an edit from the stored config and never from credentials', () => {
    const values = initialValues(awsFields, {
      accountId: '123456789012',
      services: ['s3'],
      useConfig: true,
      organization: { memberRoleName: 'Audit' },
    });
    expect(values['config.accountId']).toBe('123456789012');
    expect(values['config.services']).toEqual(['s3']);
    expect(values['config.useConfig']).toBe(true);
    expect(values['config.organization.memberRoleName']).toBe('Audit');
    expect(values['credentials.secretAccessKey']).toBe('');
  });

  it('keeps the stored credentials unless some are entered, which then replace them (rotation)', () => {
    const stored = initialValues(awsFields, { accountId: '123456789012', region: 'us-east-1' });
    expect(changesOf(awsFields, stored, 'Prod', 'Prod')).toEqual({
      config: { accountId: '123456789012', region: 'us-east-1' },
    });
    const rotated = {
      ...stored,
      'credentials.accessKeyId': 'AKIANEW0000000000000',
      'credentials.secretAccessKey': 'new',
    };
    expect(changesOf(awsFields, rotated, ' Production ', 'Prod')).toEqual({
      name: 'Production',
      config: { accountId: '123456789012', region: 'us-east-1' },
      credentials: { accessKeyId: 'AKIANEW0000000000000', secretAccessKey: 'new' },
    });
  });

  it('reads the fields an API refusal names, in either shape', () => {
    expect(problemsByField([{ field: 'config.accountId', message: 'must be 12 digits' }])).toEqual({
      'config.accountId': 'must be 12 digits',
    });
    expect(problemsByField({ problems: [{ field: 'x', message: 'bad' }] })).toEqual({ x: 'bad' });
    expect(problemsByField(undefined)).toEqual({});
    expect(splitList(' a,,b \n')).toEqual(['a', 'b']);
  });
});
