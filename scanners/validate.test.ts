// Integration shape checks: each wrong field is named, and no credential value is ever echoed.
import { describe, expect, it } from 'vitest';
import { DEMO_AWS_CREDENTIALS } from './aws/fixtures/s3-fixture-account.ts';
import { DEMO_GITHUB_TOKEN } from './github/fixtures/github-fixture-org.ts';
import { validateIntegration } from './validate.ts';

const fields = (problems: { field: string }[]): string[] => problems.map((p) => p.field);

describe('validateIntegration', () => {
  it('accepts the demo integrations', () => {
    expect(
      validateIntegration(
        'aws',
        {
          accountId: '123456789012',
          region: 'us-east-1',
          endpoint: 'http://127.0.0.1:4599',
          services: ['s3', 'iam'],
        },
        { ...DEMO_AWS_CREDENTIALS },
      ),
    ).toEqual([]);
    expect(
      validateIntegration(
        'github',
        { organizations: ['acme-corp'], baseUrl: 'http://127.0.0.1:4598' },
        { token: DEMO_GITHUB_TOKEN },
      ),
    ).toEqual([]);
    expect(
      validateIntegration(
        'okta',
        { orgUrl: 'https://acme.okta.com' },
        { token: '00abcdefghijklmnopqrstuvwxyz0123456789AB' },
      ),
    ).toEqual([]);
    expect(
      validateIntegration(
        'azure',
        {
          tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
          subscriptionIds: ['00000000-0000-4000-8000-000000000001'],
        },
        { clientId: '11111111-2222-4333-8444-555555555555', clientSecret: 'a-client-secret-value-1234' },
      ),
    ).toEqual([]);
  });

  it('names every malformed AWS field without quoting the secret', () => {
    const secret = 'short secret';
    const problems = validateIntegration(
      'aws',
      {
        accountId: '1234',
        region: 'Europe',
        services: ['s3', 'quantum'],
        roleArn: 'role/x',
        externalId: 'x',
      },
      { accessKeyId: 'akia-lower', secretAccessKey: secret },
    );
    expect(fields(problems)).toEqual([
      'config.accountId',
      'config.region',
      'config.services',
      'config.roleArn',
      'config.externalId',
      'credentials.accessKeyId',
      'credentials.secretAccessKey',
    ]);
    expect(JSON.stringify(problems)).not.toContain(secret);
  });

  it('accepts and checks the AWS Config and organization options', () => {
    const base = { accountId: '123456789012', region: 'us-east-1' };
    expect(
      validateIntegration(
        'aws',
        {
          ...base,
          useConfig: true,
          configAggregator: 'org-inventory',
          organization: { memberRoleName: 'ComplyWiseAudit', externalId: 'ext-id-1234' },
        },
        { ...DEMO_AWS_CREDENTIALS },
      ),
    ).toEqual([]);
    const problems = validateIntegration(
      'aws',
      {
        ...base,
        useConfig: 'yes',
        configAggregator: 'has spaces',
        organization: { memberRoleName: 'role/with/slash', externalID: 'x' },
      },
      { ...DEMO_AWS_CREDENTIALS },
    );
    expect(fields(problems)).toEqual([
      'config.useConfig',
      'config.configAggregator',
      'config.organization.externalID',
      'config.organization.memberRoleName',
    ]);
    expect(
      fields(
        validateIntegration('aws', { ...base, organization: 'ComplyWiseAudit' }, { ...DEMO_AWS_CREDENTIALS }),
      ),
    ).toEqual(['config.organization']);
  });

  it('accepts a GitHub App and names its wrong fields', () => {
    const org = { organizations: ['acme-corp'] };
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n';
    expect(
      validateIntegration('github', org, { appId: 424242, installationId: '9090', privateKey: pem }),
    ).toEqual([]);
    const problems = validateIntegration('github', org, { appId: 'my-app', privateKey: 'secret-not-a-pem' });
    expect(fields(problems)).toEqual([
      'credentials.appId',
      'credentials.installationId',
      'credentials.privateKey',
    ]);
    expect(JSON.stringify(problems)).not.toContain('secret-not-a-pem');
  });

  it('requires a session token with temporary AWS credentials', () => {
    const problems = validateIntegration(
      'aws',
      { accountId: '123456789012', region: 'us-east-1' },
      { accessKeyId: 'ASIAEXAMPLE000000001', secretAccessKey: 'x'.repeat(40) },
    );
    expect(fields(problems)).toEqual(['credentials.sessionToken']);
  });

  it('refuses a GitHub token of the wrong shape, and an empty organization list', () => {
    const problems = validateIntegration('github', { organizations: [] }, { token: 'AKIAIOSFODNN7EXAMPLE' });
    expect(fields(problems)).toEqual(['config.organizations', 'credentials.token']);
    expect(JSON.stringify(problems)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('requires https for Okta except on a local sandbox, and one of its two credential kinds', () => {
    expect(fields(validateIntegration('okta', { orgUrl: 'http://acme.okta.com' }, {}))).toEqual([
      'config.orgUrl',
      'credentials',
    ]);
    expect(
      validateIntegration(
        'okta',
        { orgUrl: 'http://127.0.0.1:4597' },
        { token: '00abcdefghijklmnopqrstuvwxyz' },
      ),
    ).toEqual([]);
    expect(
      fields(
        validateIntegration('okta', { orgUrl: 'https://a.okta.com' }, { clientId: 'x', privateKey: 'nope' }),
      ),
    ).toEqual(['credentials.clientId', 'credentials.privateKey']);
  });

  it('names Azure fields that are not UUIDs and a missing secret', () => {
    const problems = validateIntegration(
      'azure',
      { tenantId: 'contoso', subscriptionIds: ['sub'] },
      { clientId: 'app' },
    );
    expect(fields(problems)).toEqual([
      'config.tenantId',
      'config.subscriptionIds',
      'credentials.clientId',
      'credentials',
    ]);
  });

  it('refuses unknown providers and non-object parts', () => {
    expect(fields(validateIntegration('gitlab', {}, {}))).toEqual(['provider']);
    expect(fields(validateIntegration('aws', null, 'x'))).toEqual(['config', 'credentials']);
  });

  it('refuses unknown config and credential keys, naming each plain key and never echoing a secret-like one', () => {
    const pasted = 'ghp_' + 'a'.repeat(36);
    const problems = validateIntegration(
      'github',
      { organizations: ['acme-corp'], baseURL: 'http://127.0.0.1:1' },
      { token: 'ghp_' + 'b'.repeat(36), tokn: 'x', [pasted]: true },
    );
    expect(fields(problems)).toEqual(['config.baseURL', 'credentials.tokn', 'credentials']);
    expect(JSON.stringify(problems)).not.toContain(pasted);
    expect(
      fields(
        validateIntegration(
          'aws',
          { accountId: '123456789012', region: 'us-east-1', roleARN: 'arn' },
          { ...DEMO_AWS_CREDENTIALS },
        ),
      ),
    ).toEqual(['config.roleARN']);
  });
});
