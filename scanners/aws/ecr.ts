/**
 * ECR private repositories, per region: DescribeRepositories. Config records them in their
 * CloudFormation-registry form (PascalCase keys), put back into DescribeRepositories' Repository shape, so
 * both paths hand the same repository to one builder.
 */
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** The region's repositories, read directly. */
export async function scanEcrRepositories(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('ecr', region, (settings) => new ECRClient(settings));
  const repos = await pages(
    ctx,
    'ecr:DescribeRepositories',
    (nextToken, abortSignal) =>
      client.send(new DescribeRepositoriesCommand({ nextToken, maxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.repositories,
    (o) => o.nextToken,
  );
  return (repos ?? []).map((r) => ecrRepositoryResource(ctx, region, r, 'ecr'));
}

/** The part of @aws-sdk/client-ecr's Repository the scanner reads. */
export interface Repository {
  repositoryArn?: string;
  repositoryName?: string;
  imageTagMutability?: string;
  imageScanningConfiguration?: { scanOnPush?: boolean };
  encryptionConfiguration?: { encryptionType?: string; kmsKey?: string };
}

export function ecrRepositoryResource(
  ctx: AwsScanContext,
  region: string,
  repo: Repository,
  api: string,
): Resource {
  const name = repo.repositoryName ?? '';
  return ctx.accountResource({
    id: repo.repositoryArn ?? `arn:aws:ecr:${region}:${ctx.accountId}:repository/${name}`,
    region,
    type: 'aws.ecr.repository',
    name,
    api,
    now: ctx.now(),
    attributes: {
      repository_name: name,
      scan_on_push: repo.imageScanningConfiguration?.scanOnPush ?? false,
      image_tag_mutability: repo.imageTagMutability ?? 'MUTABLE',
      // Left out (undecided) when the encryption was not read, never guessed.
      ...(repo.encryptionConfiguration?.encryptionType
        ? {
            encryption_type: repo.encryptionConfiguration.encryptionType,
            kms_key_arn: repo.encryptionConfiguration.kmsKey ?? null,
          }
        : {}),
    },
  });
}
