/**
 * Secrets Manager secrets, per region: ListSecrets, whose entries carry what DescribeSecret would. Config
 * records this type in its CloudFormation-registry form: PascalCase keys (Name, RotationEnabled,
 * RotationRules…), close to DescribeSecret's answer, which is the shape the one builder takes.
 */
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** The region's secrets, read directly. */
export async function scanSecrets(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('secretsmanager', region, (settings) => new SecretsManagerClient(settings));
  const secrets = await pages(
    ctx,
    'secretsmanager:ListSecrets',
    (NextToken, abortSignal) =>
      client.send(new ListSecretsCommand({ NextToken, MaxResults: ctx.pageSize(100) }), { abortSignal }),
    (o) => o.SecretList,
    (o) => o.NextToken,
  );
  return (secrets ?? []).map((s) => secretResource(ctx, region, s, 'secretsmanager'));
}

/** The part of @aws-sdk/client-secrets-manager's DescribeSecretResponse the scanner reads. */
export interface SecretDescription {
  ARN?: string;
  Name?: string;
  KmsKeyId?: string;
  RotationEnabled?: boolean;
  RotationLambdaARN?: string;
  RotationRules?: { AutomaticallyAfterDays?: number; ScheduleExpression?: string };
}

/** Days between rotations: AutomaticallyAfterDays, or the N of a `rate(N days)` schedule; null for cron or none. */
export function rotationIntervalDays(rules: SecretDescription['RotationRules']): number | null {
  if (rules?.AutomaticallyAfterDays) return rules.AutomaticallyAfterDays;
  const rate = /^rate\((\d+) days?\)$/.exec(rules?.ScheduleExpression?.trim() ?? '');
  return rate ? Number(rate[1]) : null;
}

export function secretResource(
  ctx: AwsScanContext,
  region: string,
  secret: SecretDescription,
  api: string,
): Resource {
  const name = secret.Name ?? '';
  const enabled = secret.RotationEnabled ?? false;
  return ctx.accountResource({
    id: secret.ARN ?? `arn:aws:secretsmanager:${region}:${ctx.accountId}:secret:${name}`,
    region,
    type: 'aws.secretsmanager.secret',
    name,
    api,
    now: ctx.now(),
    attributes: {
      secret_name: name,
      // The AWS managed key is named by its alias (or the alias ARN) when it is named at all.
      kms_key_id:
        secret.KmsKeyId && !secret.KmsKeyId.endsWith('alias/aws/secretsmanager') ? secret.KmsKeyId : null,
      rotation_enabled: enabled,
      rotation_interval_days: enabled ? rotationIntervalDays(secret.RotationRules) : null,
      rotation_lambda_arn: secret.RotationLambdaARN ?? null,
    },
  });
}
