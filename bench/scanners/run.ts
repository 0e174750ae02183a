/**
 * Scanner efficiency on the demo sandbox: API calls per resource collected and resources per second,
 * per provider, with the per-integration rate limiter at its product default, next to a baseline
 * measured in the same run: the same scan with the limiter out of the way (the fixture servers' own
 * speed). The ratio shows what politeness costs; calls per resource shows how chatty each scanner is.
 *
 * The AWS Config rows scan with Config recording: `aws-config` the demo account, `aws-org-direct` and
 * `aws-org-config` a sandbox organization grown to thousands of resources, read through the direct APIs
 * and through one aggregator. A second table splits the AWS calls: the six types Config can stand in
 * for (S3 buckets included) against everything else (IAM, EC2 settings, GuardDuty), always read directly.
 *
 * Usage: node bench/scanners/run.ts [--providers aws,aws-config,aws-org-direct,aws-org-config,github,okta,azure]
 *        [--baseline-only]
 */
import { scanAwsAccount } from '../../scanners/aws/account.ts';
import { scanAzure } from '../../scanners/azure/azure.ts';
import {
  DEMO_AZURE_CLIENT,
  DEMO_AZURE_SUBSCRIPTION_ID,
  DEMO_AZURE_TENANT_ID,
  startAzureFixtureServer,
} from '../../scanners/azure/fixtures/azure-fixture-server.ts';
import {
  DEMO_AWS_ACCOUNT_ID,
  DEMO_AWS_CREDENTIALS,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
  type AwsFixtureAccount,
  type AwsRecordedRequest,
} from '../../scanners/aws/fixtures/aws-fixture-server.ts';
import { DEMO_ORG_MEMBER_ROLE } from '../../scanners/aws/fixtures/aws-fixture-organization.ts';
import { scanAwsOrganization } from '../../scanners/aws/organization.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
  startGithubFixtureServer,
} from '../../scanners/github/fixtures/github-fixture-server.ts';
import { scanGithub } from '../../scanners/github/github.ts';
import { DEMO_OKTA_TOKEN, startOktaFixtureServer } from '../../scanners/okta/fixtures/okta-fixture-server.ts';
import { scanOkta } from '../../scanners/okta/okta.ts';
import type { ScanOutcome } from '../../scanners/types.ts';
import { freshReport, ORG_AGGREGATOR, recordingOrganization } from './organization.ts';

interface Provider {
  name: string;
  /** The limiter's product default (calls/s), as each scanner sets it. */
  defaultRate: number;
  /** Too many calls to wait for at the default rate: baseline only. */
  baselineOnly?: boolean;
  run(callsPerSecond: number): Promise<ScanOutcome>;
}

const UNLIMITED = 1_000_000;

/** Requests the AWS fixture answered during the last run of each AWS provider, for the split below. */
const awsRequests = new Map<string, AwsRecordedRequest[]>();
/** Members cloned from the demo account, and how many times their security groups and volumes are copied. */
const ORG_MEMBERS = 3;
const ORG_SCALE = 6;

function awsOrganization(name: string, viaConfig: boolean): Provider {
  return {
    name,
    defaultRate: 20,
    baselineOnly: true,
    async run(callsPerSecond) {
      const org = recordingOrganization({ members: ORG_MEMBERS, scale: ORG_SCALE });
      const server = await startAwsFixtureServer({ account: org.management, members: org.members });
      try {
        return await scanAwsOrganization(
          {
            accountId: DEMO_AWS_ACCOUNT_ID,
            region: 'us-east-1',
            endpoint: server.url,
            credentials: { ...DEMO_AWS_CREDENTIALS },
            ...(viaConfig ? { configAggregator: ORG_AGGREGATOR } : { useConfig: false }),
          },
          { memberRoleName: DEMO_ORG_MEMBER_ROLE.name, externalId: DEMO_ORG_MEMBER_ROLE.externalId },
          { callsPerSecond },
        );
      } finally {
        awsRequests.set(name, [...server.requests, ...server.s3.requests.map(() => s3Request)]);
        await server.close();
      }
    },
  };
}

/** Every S3 request reads buckets, a Config type; which operation it was does not matter here. */
const s3Request: AwsRecordedRequest = {
  service: 's3',
  operation: 'S3',
  region: null,
  accessKeyId: null,
  status: 200,
  errorCode: null,
};

/** The demo account on its own; without recorders the scan probes Config once per region, then goes direct. */
function awsAccount(name: string, account: () => AwsFixtureAccount): Provider {
  return {
    name,
    defaultRate: 20,
    async run(callsPerSecond) {
      const server = await startAwsFixtureServer({ account: freshReport(account()) });
      try {
        return await scanAwsAccount(
          {
            accountId: DEMO_AWS_ACCOUNT_ID,
            region: 'us-east-1',
            endpoint: server.url,
            credentials: { ...DEMO_AWS_CREDENTIALS },
          },
          { callsPerSecond },
        );
      } finally {
        awsRequests.set(name, [...server.requests, ...server.s3.requests.map(() => s3Request)]);
        await server.close();
      }
    },
  };
}

const providers: Provider[] = [
  awsAccount('aws', () => demoAwsAccount()),
  awsAccount('aws-config', () => withConfigRecording(demoAwsAccount())),
  awsOrganization('aws-org-direct', false),
  awsOrganization('aws-org-config', true),
  {
    name: 'github',
    defaultRate: 10,
    async run(callsPerSecond) {
      const server = await startGithubFixtureServer();
      try {
        return await scanGithub(
          { organizations: [...DEMO_GITHUB_ORGS], baseUrl: server.url, token: DEMO_GITHUB_TOKEN },
          { callsPerSecond },
        );
      } finally {
        await server.close();
      }
    },
  },
  {
    name: 'okta',
    defaultRate: 8,
    async run(callsPerSecond) {
      const server = await startOktaFixtureServer();
      try {
        return await scanOkta({ orgUrl: server.url, token: DEMO_OKTA_TOKEN }, { callsPerSecond });
      } finally {
        await server.close();
      }
    },
  },
  {
    name: 'azure',
    defaultRate: 20,
    async run(callsPerSecond) {
      const server = await startAzureFixtureServer();
      try {
        return await scanAzure(
          {
            tenantId: DEMO_AZURE_TENANT_ID,
            subscriptionIds: [DEMO_AZURE_SUBSCRIPTION_ID],
            ...DEMO_AZURE_CLIENT,
            endpoint: server.url,
          },
          { callsPerSecond },
        );
      } finally {
        await server.close();
      }
    },
  },
];

async function timed(provider: Provider, rate: number): Promise<{ outcome: ScanOutcome; seconds: number }> {
  const started = process.hrtime.bigint();
  const outcome = await provider.run(rate);
  return { outcome, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

interface Split {
  name: string;
  covered: number;
  coveredCalls: number;
  other: number;
  otherCalls: number;
}
const splits: Split[] = [];

/** Operations that read the six Config types on either path (listings, per-item reads, Config itself). */
const COVERED_TYPES = new Set([
  'aws.s3.bucket',
  'aws.ec2.security_group',
  'aws.ec2.volume',
  'aws.rds.db_instance',
  'aws.kms.key',
  'aws.cloudtrail.trail',
]);
const COVERED_CALLS = new Set([
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVolumes',
  'rds:DescribeDBInstances',
  'kms:ListKeys',
  'kms:DescribeKey',
  'kms:GetKeyRotationStatus',
  'cloudtrail:DescribeTrails',
  'cloudtrail:GetTrailStatus',
  'cloudtrail:GetEventSelectors',
]);

function split(name: string, outcome: ScanOutcome): Split {
  const requests = awsRequests.get(name) ?? [];
  // One logical call per request the fixture saw, less the throttled/failed retries (none in these runs).
  const coveredCalls = requests.filter(
    (r) => r.service === 'config' || r.service === 's3' || COVERED_CALLS.has(`${r.service}:${r.operation}`),
  ).length;
  const covered = outcome.resources.filter((r) => COVERED_TYPES.has(r.type)).length;
  return {
    name,
    covered,
    coveredCalls,
    other: outcome.resources.length - covered,
    otherCalls: requests.length - coveredCalls,
  };
}

const args = process.argv.slice(2);
const only = args.includes('--providers') ? (args[args.indexOf('--providers') + 1] ?? '').split(',') : null;
const baselineOnly = args.includes('--baseline-only');

console.log(
  '| provider | resources | API calls | calls/resource | baseline resources/s (no limiter) | resources/s (limiter at default) | limited / baseline |',
);
console.log(
  '| -------- | --------- | --------- | -------------- | --------------------------------- | -------------------------------- | ------------------ |',
);
for (const provider of providers) {
  if (only && !only.includes(provider.name)) continue;
  await timed(provider, UNLIMITED); // warm-up: module loading and first connections
  const baseline = await timed(provider, UNLIMITED);
  const limited = baselineOnly || provider.baselineOnly ? null : await timed(provider, provider.defaultRate);
  const resources = baseline.outcome.resources.length;
  const calls = baseline.outcome.progress.calls_made;
  const baseRate = resources / baseline.seconds;
  const limitedRate = limited ? limited.outcome.resources.length / limited.seconds : NaN;
  console.log(
    `| ${provider.name} | ${resources} | ${calls} | ${(calls / resources).toFixed(3)} | ${baseRate.toFixed(0)} | ${
      limited ? `${limitedRate.toFixed(1)} (${provider.defaultRate} calls/s)` : '-'
    } | ${limited ? (limitedRate / baseRate).toFixed(3) : '-'} |`,
  );
  if (provider.name.startsWith('aws')) splits.push(split(provider.name, baseline.outcome));
}

if (splits.length > 0) {
  console.log('');
  console.log(
    '| AWS run | Config-type resources | their calls | calls/resource | other resources | their calls | calls/resource |',
  );
  console.log(
    '| ------- | --------------------- | ----------- | -------------- | --------------- | ----------- | -------------- |',
  );
  for (const s of splits) {
    console.log(
      `| ${s.name} | ${s.covered} | ${s.coveredCalls} | ${(s.coveredCalls / s.covered).toFixed(3)} | ${s.other} | ${s.otherCalls} | ${(s.otherCalls / s.other).toFixed(3)} |`,
    );
  }
}
