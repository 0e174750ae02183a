/**
 * POST /api/integrations for every scannable provider: good shapes are stored (AWS with every service by
 * default), a credential of the wrong shape is refused with 400 VALIDATION_ERROR naming the field, and
 * the refusal never repeats the secret that was sent. GET /api/integrations/providers answers the schema of
 * each provider's settings, which the valid shapes satisfy and the secrets are write-only in.
 */
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_SERVICES } from '../../../../scanners/index.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
} from '../../../../scanners/aws/fixtures/s3-fixture-server.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
} from '../../../../scanners/azure/fixtures/azure-fixture-server.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
} from '../../../../scanners/github/fixtures/github-fixture-org.ts';
import { DEMO_OKTA_TOKEN } from '../../../../scanners/okta/fixtures/okta-fixture-server.ts';
import { databaseBackends } from '../../../../test/db.ts';
import { bearer, login, seedTenant, startTestApp, type TestApp } from '../../../test/helpers.ts';

// ajv-formats is CommonJS: under Node type stripping its default export is the function itself.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

interface Case {
  provider: string;
  config: Record<string, unknown>;
  credentials: Record<string, unknown>;
}

/** A valid integration per provider (the sandboxes' own values). */
const valid: Record<string, Case> = {
  aws: {
    provider: 'aws',
    config: { accountId: DEMO_AWS_ACCOUNT_ID, region: 'us-east-1' },
    credentials: { ...DEMO_AWS_CREDENTIALS },
  },
  github: {
    provider: 'github',
    config: { organizations: [...DEMO_GITHUB_ORGS] },
    credentials: { token: DEMO_GITHUB_TOKEN },
  },
  okta: {
    provider: 'okta',
    config: { orgUrl: 'https://acme.okta.com' },
    credentials: { token: DEMO_OKTA_TOKEN },
  },
  azure: {
    provider: 'azure',
    config: { tenantId: DEMO_AZURE_TENANT_ID, subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID] },
    credentials: { ...DEMO_AZURE_CLIENT },
  },
};

/** A credential of the wrong shape per provider: the field the answer must name and the secret it must not echo. */
const badCredentials: { provider: string; credentials: Record<string, unknown>; field: string }[] = [
  {
    provider: 'aws',
    credentials: { accessKeyId: 'not-an-access-key-id-Secret1', secretAccessKey: 'short secret' },
    field: 'credentials.accessKeyId',
  },
  { provider: 'github', credentials: { token: 'pat-with-wrong-prefix-Secret2' }, field: 'credentials.token' },
  { provider: 'okta', credentials: { token: 'tok Secret3' }, field: 'credentials.token' },
  {
    provider: 'azure',
    credentials: { clientId: DEMO_AZURE_CLIENT.clientId, clientSecret: 'Secret4 with spaces' },
    field: 'credentials.clientSecret',
  },
];

describe.each(databaseBackends())('POST /api/integrations on $name', (backend) => {
  let test: TestApp;
  let token: string;

  const create = (payload: Record<string, unknown>) =>
    test.app.inject({ method: 'POST', url: '/api/integrations', headers: bearer(token), payload });

  beforeAll(async () => {
    test = await startTestApp(backend);
    const admin = await seedTenant(test.database.knex);
    token = (await login(test.app, admin.email, admin.password)).access_token;
  });
  afterAll(async () => {
    await test?.close();
  });

  it.each(Object.values(valid))('stores a valid $provider integration', async (input) => {
    const created = await create({ ...input, name: `valid ${input.provider}` });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ provider: input.provider, demo: false });
    expect(created.body).not.toContain(String(Object.values(input.credentials)[0]));
  });

  it('gives a new AWS integration every service unless it lists its own', async () => {
    const listed = (await test.app.inject({ url: '/api/integrations', headers: bearer(token) })).json();
    const aws = listed.items.find((i: { name: string }) => i.name === 'valid aws');
    expect(aws.config.services).toEqual([...AWS_SERVICES]);

    const s3Only = await create({
      ...valid.aws,
      name: 'S3 only',
      config: { ...valid.aws!.config, services: ['s3'] },
    });
    expect(s3Only.statusCode).toBe(201);
    expect(s3Only.json().config.services).toEqual(['s3']);
  });

  it.each(badCredentials)(
    'refuses a $provider credential of the wrong shape, naming $field without echoing it',
    async ({ provider, credentials, field }) => {
      const refused = await create({ ...valid[provider], name: `bad ${provider}`, credentials });
      expect(refused.statusCode).toBe(400);
      const { error } = refused.json();
      expect(error.code).toBe('VALIDATION_ERROR');
      expect(error.details).toContainEqual({ field, message: expect.any(String) });
      for (const value of Object.values(credentials)) expect(refused.body).not.toContain(String(value));
      const listed = (await test.app.inject({ url: '/api/integrations', headers: bearer(token) })).json();
      expect(listed.items.map((i: { name: string }) => i.name)).not.toContain(`bad ${provider}`);
    },
  );

  it('refuses unknown config and credential keys with 400 naming each key', async () => {
    const refused = await create({
      ...valid.aws,
      name: 'typo aws',
      config: { ...valid.aws!.config, roleARN: 'arn:aws:iam::123456789012:role/x' },
      credentials: { ...valid.aws!.credentials, sessionTokn: 'x' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details.map((d: { field: string }) => d.field)).toEqual([
      'config.roleARN',
      'credentials.sessionTokn',
    ]);
  });

  it('names every bad config field and refuses unknown providers', async () => {
    const refused = await create({
      ...valid.azure,
      name: 'bad azure config',
      config: { tenantId: 'not-a-uuid', subscriptionIds: [] },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details.map((d: { field: string }) => d.field)).toEqual([
      'config.tenantId',
      'config.subscriptionIds',
    ]);
    const unknown = await create({ ...valid.aws, provider: 'gcp', name: 'gcp' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('VALIDATION_ERROR');
  });
});

describe.each(databaseBackends())('GET /api/integrations/providers on $name', (backend) => {
  let test: TestApp;
  let token: string;

  beforeAll(async () => {
    test = await startTestApp(backend);
    const admin = await seedTenant(test.database.knex);
    token = (await login(test.app, admin.email, admin.password)).access_token;
  });
  afterAll(async () => {
    await test?.close();
  });

  it("answers every provider with schemas its valid settings satisfy and its bad ones don't", async () => {
    const answer = await test.app.inject({ url: '/api/integrations/providers', headers: bearer(token) });
    expect(answer.statusCode).toBe(200);
    const items: { id: string; name: string; config: object; credentials: object }[] = answer.json().items;
    expect(items.map((p) => p.id)).toEqual(['aws', 'github', 'okta', 'azure']);
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    for (const provider of items) {
      const input = valid[provider.id]!;
      expect(ajv.validate(provider.config, input.config), `${provider.id} config`).toBe(true);
      expect(ajv.validate(provider.credentials, input.credentials), `${provider.id} credentials`).toBe(true);
      expect(ajv.validate(provider.config, { ...input.config, typo: 1 }), `${provider.id} typo`).toBe(false);
    }
    const aws = items.find((p) => p.id === 'aws')!;
    expect(ajv.validate(aws.config, { region: 'us-east-1' }), 'account id required').toBe(false);
    expect(aws.credentials).toMatchObject({
      required: ['accessKeyId', 'secretAccessKey'],
      properties: {
        accessKeyId: { type: 'string' },
        secretAccessKey: { type: 'string', writeOnly: true },
        sessionToken: { type: 'string', writeOnly: true },
      },
    });
    expect(JSON.stringify(aws.config)).not.toContain('writeOnly');
  });

  it('refuses an anonymous caller', async () => {
    const answer = await test.app.inject({ url: '/api/integrations/providers' });
    expect(answer.statusCode).toBe(401);
  });
});
