/**
 * ECR repositories. The ECR SDK client is not among the scanner's dependencies yet, so repositories are read
 * through AWS Config only, whose item records them in their CloudFormation-registry form (PascalCase keys).
 * The builder takes DescribeRepositories' Repository shape, so the direct path can reuse it.
 */
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';

/** The part of @aws-sdk/client-ecr's Repository the scanner reads. */
export interface Repository {
  repositoryArn?: string;
  repositoryName?: string;
  imageTagMutability?: string;
  imageScanningConfiguration?: { scanOnPush?: boolean };
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
    },
  });
}
