/**
 * Lambda functions. The Lambda SDK client is not among the scanner's dependencies yet, so functions are read
 * through AWS Config only: the AWS::Lambda::Function item carries GetFunctionConfiguration's answer (lower
 * camel). The item is first put back into the SDK's FunctionConfiguration shape, so the direct path, once
 * the client is added, hands ListFunctions answers to the same builder.
 */
import type { Resource } from '../../schemas/index.ts';
import { iso, type AwsScanContext } from './aws-context.ts';

/** The part of @aws-sdk/client-lambda's FunctionConfiguration the scanner reads. */
export interface FunctionConfiguration {
  FunctionName?: string;
  FunctionArn?: string;
  Runtime?: string;
  PackageType?: string;
  Role?: string;
  VpcConfig?: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  TracingConfig?: { Mode?: string };
  KMSKeyArn?: string;
  LastModified?: string;
}

export function lambdaFunctionResource(
  ctx: AwsScanContext,
  region: string,
  fn: FunctionConfiguration,
  api: string,
): Resource {
  const name = fn.FunctionName ?? '';
  return ctx.accountResource({
    id: fn.FunctionArn ?? `arn:aws:lambda:${region}:${ctx.accountId}:function:${name}`,
    region,
    type: 'aws.lambda.function',
    name,
    api,
    now: ctx.now(),
    attributes: {
      function_name: name,
      runtime: fn.Runtime ?? null,
      package_type: fn.PackageType ?? 'Zip',
      role_arn: fn.Role ?? null,
      vpc_subnet_ids: fn.VpcConfig?.SubnetIds ?? [],
      vpc_security_group_ids: fn.VpcConfig?.SecurityGroupIds ?? [],
      tracing_mode: fn.TracingConfig?.Mode ?? 'PassThrough',
      kms_key_arn: fn.KMSKeyArn ?? null,
      last_modified: iso(fn.LastModified),
    },
  });
}
