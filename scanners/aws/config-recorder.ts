/**
 * AWS Config recorders, one resource per region (DescribeConfigurationRecorders and
 * DescribeConfigurationRecorderStatus). A region without a recorder is reported too, as a resource with no
 * recorder, so that rules can fail it: an absent recorder is the finding. Always read directly.
 */
import {
  DescribeConfigurationRecorderStatusCommand,
  DescribeConfigurationRecordersCommand,
  type ConfigurationRecorder,
  type ConfigurationRecorderStatus,
} from '@aws-sdk/client-config-service';
import type { Resource } from '../../schemas/index.ts';
import { iso, type AwsScanContext } from './aws-context.ts';
import { client } from './config.ts';

export async function scanConfigRecorders(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const recorders = await ctx.call('config:DescribeConfigurationRecorders', (abortSignal) =>
    client(ctx, region).send(new DescribeConfigurationRecordersCommand({}), { abortSignal }),
  );
  if (!recorders.ok) {
    ctx.recordFailure(
      'config:DescribeConfigurationRecorders',
      'config:DescribeConfigurationRecorders',
      null,
      recorders,
    );
    return [];
  }
  const listed = recorders.value.ConfigurationRecorders ?? [];
  if (listed.length === 0) return [recorderResource(ctx, region, undefined, undefined)];
  const status = await ctx.call('config:DescribeConfigurationRecorderStatus', (abortSignal) =>
    client(ctx, region).send(new DescribeConfigurationRecorderStatusCommand({}), { abortSignal }),
  );
  if (!status.ok)
    ctx.recordFailure(
      'config:DescribeConfigurationRecorderStatus',
      'config:DescribeConfigurationRecorderStatus',
      null,
      status,
    );
  return listed.map((r) =>
    recorderResource(
      ctx,
      region,
      r,
      status.ok ? (status.value.ConfigurationRecordersStatus ?? []).find((s) => s.name === r.name) : null,
    ),
  );
}

/**
 * One recorder (or, when `r` is undefined, the region's lack of one). `status` null: the status call failed,
 * so the attributes it gives are left out.
 */
export function recorderResource(
  ctx: AwsScanContext,
  region: string,
  r: ConfigurationRecorder | undefined,
  status: ConfigurationRecorderStatus | null | undefined,
): Resource {
  const name = r?.name ?? null;
  const group = r?.recordingGroup;
  const strategy =
    group?.recordingStrategy?.useOnly ??
    (group?.allSupported === false ? 'INCLUSION_BY_RESOURCE_TYPES' : 'ALL_SUPPORTED_RESOURCE_TYPES');
  const attributes: Record<string, unknown> = {
    recorder_name: name,
    role_arn: r?.roleARN ?? null,
    // A recorder without a recording group records every supported type (AWS's default).
    all_supported: r ? (group?.allSupported ?? true) : false,
    recording_strategy: r ? strategy : null,
    include_global_resource_types: r ? (group?.includeGlobalResourceTypes ?? false) : false,
    resource_types: (group?.resourceTypes ?? []).map(String),
    excluded_resource_types: (group?.exclusionByResourceTypes?.resourceTypes ?? []).map(String),
  };
  if (!r) {
    attributes.recording = false;
    attributes.last_status = null;
    attributes.last_status_change_time = null;
  } else if (status !== null) {
    attributes.recording = status?.recording ?? false;
    // The API spells the status SUCCESS, PENDING or FAILURE (its model says Success…): compare lowercased.
    attributes.last_status = status?.lastStatus ? String(status.lastStatus).toLowerCase() : null;
    attributes.last_status_change_time = iso(status?.lastStatusChangeTime);
  }
  return ctx.accountResource({
    id: `arn:aws:config:${region}:${ctx.accountId}:configuration-recorder/${name ?? 'none'}`,
    region,
    type: 'aws.config.recorder',
    name: name ? `${name} (${region})` : `Config ${region} (no recorder)`,
    api: 'config',
    now: ctx.now(),
    attributes,
  });
}
