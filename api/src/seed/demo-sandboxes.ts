/**
 * The bundled sandboxes the demo tenant scans instead of real accounts: the main AWS account (every
 * service, S3 included, with AWS Config recording in every region so its scans take the Config path),
 * a second "legacy" AWS account whose account-level settings differ (direct APIs only), two GitHub
 * organizations, an Okta org and an Azure subscription. Each is a local fixture server on 127.0.0.1
 * answering the providers' real wire protocols, so the real SDKs scan them.
 */
import {
  DEMO_AWS_LEGACY,
  demoAwsAccount,
  startAwsFixtureServer,
  withConfigRecording,
} from '../../../scanners/aws/fixtures/aws-fixture-server.ts';
import { demoS3Account } from '../../../scanners/aws/fixtures/s3-fixture-account.ts';
import { startAzureFixtureServer } from '../../../scanners/azure/fixtures/azure-fixture-server.ts';
import { startGithubFixtureServer } from '../../../scanners/github/fixtures/github-fixture-server.ts';
import { startOktaFixtureServer } from '../../../scanners/okta/fixtures/okta-fixture-server.ts';

/** Where each sandbox answers. */
export interface DemoSandboxUrls {
  aws: string;
  awsLegacy: string;
  github: string;
  okta: string;
  azure: string;
}

export interface DemoSandboxes {
  urls: DemoSandboxUrls;
  /** Closes every sandbox (waits for all of them, even when one fails). */
  close(): Promise<void>;
}

/**
 * Starts every demo sandbox on 127.0.0.1; the main AWS one on `awsPort` (0: a free port), the others on
 * free ports. If one cannot start, those already started are closed before the error is thrown.
 */
export async function startDemoSandboxes(awsPort = 0): Promise<DemoSandboxes> {
  const host = '127.0.0.1';
  const started: { url: string; close(): Promise<void> }[] = [];
  const start = async <T extends { url: string; close(): Promise<void> }>(server: Promise<T>) => {
    const running = await server;
    started.push(running);
    return running.url;
  };
  const close = async () => {
    await Promise.allSettled(started.map((s) => s.close()));
  };
  try {
    const urls: DemoSandboxUrls = {
      aws: await start(
        startAwsFixtureServer({ port: awsPort, host, account: withConfigRecording(demoAwsAccount()) }),
      ),
      // Its own account id and keys; no buckets, so S3 findings come from the main account only.
      awsLegacy: await start(
        startAwsFixtureServer({
          port: 0,
          host,
          account: demoAwsAccount({ variant: 'legacy' }),
          s3Account: { ...demoS3Account(), accountId: DEMO_AWS_LEGACY.accountId, buckets: [] },
        }),
      ),
      github: await start(startGithubFixtureServer({ port: 0, host })),
      okta: await start(startOktaFixtureServer({ port: 0, host })),
      azure: await start(startAzureFixtureServer({ port: 0, host })),
    };
    return { urls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
