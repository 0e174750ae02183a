/**
 * Scanner efficiency on the demo sandbox: API calls per resource collected and resources per second,
 * per provider, with the per-integration rate limiter at its product default, next to a baseline
 * measured in the same run: the same scan with the limiter out of the way (the fixture servers' own
 * speed). The ratio shows what politeness costs; calls per resource shows how chatty each scanner is.
 *
 * Usage: node bench/scanners/run.ts [--providers aws,github,okta,azure] [--baseline-only]
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
  startAwsFixtureServer,
} from '../../scanners/aws/fixtures/aws-fixture-server.ts';
import {
  DEMO_GITHUB_ORGS,
  DEMO_GITHUB_TOKEN,
  startGithubFixtureServer,
} from '../../scanners/github/fixtures/github-fixture-server.ts';
import { scanGithub } from '../../scanners/github/github.ts';
import { DEMO_OKTA_TOKEN, startOktaFixtureServer } from '../../scanners/okta/fixtures/okta-fixture-server.ts';
import { scanOkta } from '../../scanners/okta/okta.ts';
import type { ScanOutcome } from '../../scanners/types.ts';

interface Provider {
  name: string;
  /** The limiter's product default (calls/s), as each scanner sets it. */
  defaultRate: number;
  run(callsPerSecond: number): Promise<ScanOutcome>;
}

const UNLIMITED = 1_000_000;

const providers: Provider[] = [
  {
    name: 'aws',
    defaultRate: 20,
    async run(callsPerSecond) {
      const server = await startAwsFixtureServer();
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
        await server.close();
      }
    },
  },
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
  const limited = baselineOnly ? null : await timed(provider, provider.defaultRate);
  const resources = baseline.outcome.resources.length;
  const calls = baseline.outcome.progress.calls_made;
  const baseRate = resources / baseline.seconds;
  const limitedRate = limited ? limited.outcome.resources.length / limited.seconds : NaN;
  console.log(
    `| ${provider.name} | ${resources} | ${calls} | ${(calls / resources).toFixed(2)} | ${baseRate.toFixed(0)} | ${
      limited ? `${limitedRate.toFixed(1)} (${provider.defaultRate} calls/s)` : '-'
    } | ${limited ? (limitedRate / baseRate).toFixed(3) : '-'} |`,
  );
}
