/**
 * Secrets Manager secrets. The Secrets Manager SDK client is not among the scanner's dependencies yet, so
 * secrets are read through AWS Config only. Unlike the older types, Config records this one in its
 * CloudFormation-registry form: PascalCase keys (Name, RotationEnabled, RotationRules…), close to
 * DescribeSecret's answer, which is the shape the builder takes so the direct path can reuse it.
 */
import type { Resource } from '../../schemas/index.ts';
import type { AwsScanContext } from './aws-context.ts';

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
      // The AWS managed key is named by its alias when it is named at all.
      kms_key_id: secret.KmsKeyId && secret.KmsKeyId !== 'alias/aws/secretsmanager' ? secret.KmsKeyId : null,
      rotation_enabled: enabled,
      rotation_interval_days: enabled ? rotationIntervalDays(secret.RotationRules) : null,
      rotation_lambda_arn: secret.RotationLambdaARN ?? null,
    },
  });
}
