// A scan split into parts collects exactly what the whole scan collects: the AWS account scanner, through
// the real SDK clients over HTTP against the fixture server, once whole and once part by part (as workers
// would collect a split scan), on the Config path and on the direct APIs, with and without listed regions.
import { afterEach, describe, expect, it } from 'vitest';
import type { Resource, ScanError } from '../../schemas/index.ts';
import { scanIntegration, scanParts, ScanFailedError, WHOLE_SCAN } from '../index.ts';
import { AWS_CONFIG_ONLY_SERVICES, AWS_SERVICES } from './account.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  DEMO_AWS_LEGACY,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFixtureServer,
} from './fixtures/aws-fixture-server.ts';
import type { AwsIntegration, AwsIntegrationConfig } from './provider.ts';

const NOW = new Date('2026-05-04T12:00:00.000Z');
const options = { now: () => NOW, callsPerSecond: 10_000 };

let server: AwsFixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const byKey = (r: Resource) => `${r.type} ${r.id}`;
const sorted = (resources: Resource[]) =>
  [...resources].sort((a, b) => byKey(a).localeCompare(byKey(b))).map((r) => JSON.stringify(r));
const errorSet = (errors: ScanError[]) => [...new Set(errors.map((e) => JSON.stringify(e)))].sort();

/** Whole, then part by part: the resources (sorted) and the distinct errors of each. */
async function wholeAndSplit(integration: AwsIntegration) {
  const whole = await scanIntegration(integration, options);
  const parts = scanParts(integration);
  const outcomes = [];
  for (const part of parts) outcomes.push(await scanIntegration(integration, { ...options, part }));
  return {
    parts,
    whole: { resources: sorted(whole.resources), errors: errorSet(whole.errors) },
    split: {
      resources: sorted(outcomes.flatMap((o) => o.resources)),
      errors: errorSet(outcomes.flatMap((o) => o.errors)),
    },
  };
}

function integration(config: Partial<AwsIntegrationConfig>, legacy = false): AwsIntegration {
  return {
    provider: 'aws',
    config: {
      accountId: legacy ? DEMO_AWS_LEGACY.accountId : DEMO_AWS_ACCOUNT_ID,
      region: 'us-east-1',
      endpoint: server!.url,
      ...config,
    },
    credentials: { ...(legacy ? DEMO_AWS_LEGACY.credentials : DEMO_AWS_CREDENTIALS) },
  };
}

describe('an AWS scan split into parts', () => {
  it('collects the resources and errors of the whole scan through AWS Config, one part per service', async () => {
    server = await startAwsFixtureServer({ account: withConfigRecording(demoAwsAccount({ asOf: NOW })) });
    const { parts, whole, split } = await wholeAndSplit(integration({ services: [...AWS_SERVICES] }));
    expect(parts).toEqual([...AWS_SERVICES]);
    expect(whole.resources.length).toBeGreaterThan(20);
    expect(split).toEqual(whole);
  }, 60_000);

  it('collects the resources and errors of the whole scan on the direct APIs, per service and region', async () => {
    const account = demoAwsAccount({ asOf: NOW, variant: 'legacy' });
    server = await startAwsFixtureServer({ account });
    const regions = account.regions.map((r) => r.name);
    expect(regions.length).toBeGreaterThan(1);
    const services = AWS_SERVICES.filter((s) => !AWS_CONFIG_ONLY_SERVICES.includes(s));
    const { parts, whole, split } = await wholeAndSplit(integration({ services, regions }, true));
    // S3, IAM, Organizations and Account are global: one part each; every other service one part per region.
    expect(parts).toContain('s3');
    expect(parts).toContain('iam');
    expect(parts).toContain(`ec2@${regions[1]}`);
    expect(parts).toHaveLength(4 + (services.length - 4) * regions.length);
    expect(whole.resources.length).toBeGreaterThan(20);
    expect(split).toEqual(whole);
  }, 60_000);

  it('keeps an organization scan and the legacy S3-only scan whole, and refuses a part it does not list', async () => {
    server = await startAwsFixtureServer({ account: demoAwsAccount({ asOf: NOW }) });
    expect(scanParts(integration({}))).toEqual([WHOLE_SCAN]);
    expect(scanParts(integration({ services: ['s3'], organization: { memberRoleName: 'Audit' } }))).toEqual([
      WHOLE_SCAN,
    ]);
    const refused = scanIntegration(integration({ services: ['s3'] }), { ...options, part: 'ec2@mars-1' });
    await expect(refused).rejects.toBeInstanceOf(ScanFailedError);
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });
});
