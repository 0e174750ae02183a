/**
 * Lambda functions, per region: ListFunctions. The AWS::Lambda::Function item carries
 * GetFunctionConfiguration's answer (lower camel); it is put back into the SDK's FunctionConfiguration shape,
 * so both paths hand the same configuration to one builder.
 */
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import type { Resource } from '../../schemas/index.ts';
import { iso, type AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';

/** The region's functions, read directly. */
export async function scanLambdaFunctions(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ctx.client('lambda', region, (settings) => new LambdaClient(settings));
  const functions = await pages(
    ctx,
    'lambda:ListFunctions',
    (Marker, abortSignal) =>
      client.send(new ListFunctionsCommand({ Marker, MaxItems: ctx.pageSize(50) }), { abortSignal }),
    (o) => o.Functions,
    (o) => o.NextMarker,
  );
  return (functions ?? []).map((fn) => lambdaFunctionResource(ctx, region, fn, 'lambda'));
}

/** The part of @aws-sdk/client-lambda's FunctionConfiguration the scanner reads. */
export interface FunctionConfiguration {
  FunctionName?: string;
  FunctionArn?: string;
  Runtime?: string;
  PackageType?: string;
  Role?: string;
  VpcConfig?: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  TracingConfig?: { Mode?: string };
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  LastModified?: string;
  /** Only the names are kept: values never leave this function. */
  Environment?: { Variables?: Record<string, string> };
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
      dead_letter_target_arn: fn.DeadLetterConfig?.TargetArn ?? null,
      tracing_mode: fn.TracingConfig?.Mode ?? 'PassThrough',
      kms_key_arn: fn.KMSKeyArn ?? null,
      last_modified: iso(fn.LastModified),
      environment_variable_names: Object.keys(fn.Environment?.Variables ?? {}).sort(),
    },
  });
}
