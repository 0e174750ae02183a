/**
 * EC2 instances, VPCs (with their flow logs) and network ACLs, scanned once per enabled region. Each type has
 * one builder that takes the EC2 SDK's shape: the direct path hands it DescribeInstances, DescribeVpcs and
 * DescribeNetworkAcls answers, the AWS Config path (config.ts) the AWS::EC2::Instance, AWS::EC2::VPC and
 * AWS::EC2::NetworkAcl items put back into that shape. A VPC's flow logs are not part of its description nor
 * of its Config item, so both paths read them with DescribeFlowLogs (one listing per region). Likewise whether
 * Systems Manager manages an instance is in neither, so both paths list the region's managed nodes once
 * (ssm:DescribeInstanceInformation) to join them to the instances.
 */
import {
  DescribeFlowLogsCommand,
  DescribeInstancesCommand,
  DescribeNetworkAclsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type FlowLog,
  type Instance,
  type NetworkAcl,
  type NetworkAclEntry,
  type Reservation,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { Resource } from '../../schemas/index.ts';
import { iso, type AwsScanContext } from './aws-context.ts';
import { pages } from './regional.ts';
import { ssmInstanceInformation } from './ssm.ts';

function ec2(ctx: AwsScanContext, region: string): EC2Client {
  return ctx.client('ec2', region, (settings) => new EC2Client(settings));
}

// ---------------- instances ----------------

export async function scanInstances(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const reservations = await pages<{ Reservations?: Reservation[]; NextToken?: string }, Reservation>(
    ctx,
    'ec2:DescribeInstances',
    (NextToken, abortSignal) =>
      client.send(new DescribeInstancesCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.Reservations,
    (o) => o.NextToken,
  );
  return instanceResources(
    ctx,
    region,
    (reservations ?? []).flatMap((r) => r.Instances ?? []),
    'ec2',
  );
}

/**
 * The region's instances as resources (terminated ones left out), each joined with whether Systems Manager
 * manages it; the Config path hands in its configuration items in the same shape.
 */
export async function instanceResources(
  ctx: AwsScanContext,
  region: string,
  instances: Instance[],
  api: string,
): Promise<Resource[]> {
  const live = instances.filter((i) => i.State?.Name !== 'terminated');
  if (live.length === 0) return [];
  const nodes = await ssmInstanceInformation(ctx, region);
  const managed = nodes ? new Set(nodes.map((n) => n.InstanceId)) : null;
  return live.map((i) => instanceResource(ctx, region, i, managed, api));
}

function instanceResource(
  ctx: AwsScanContext,
  region: string,
  i: Instance,
  ssmManaged: Set<string | undefined> | null,
  api: string,
): Resource {
  const id = i.InstanceId ?? '';
  const metadata = i.MetadataOptions;
  return ctx.accountResource({
    id: `arn:aws:ec2:${region}:${ctx.accountId}:instance/${id}`,
    region,
    type: 'aws.ec2.instance',
    name: i.Tags?.find((t) => t.Key === 'Name')?.Value || id,
    api,
    now: ctx.now(),
    attributes: {
      instance_id: id,
      instance_type: i.InstanceType ?? '',
      state: i.State?.Name ?? 'unknown',
      image_id: i.ImageId ?? '',
      vpc_id: i.VpcId ?? null,
      subnet_id: i.SubnetId ?? null,
      public_ip_address: i.PublicIpAddress ?? null,
      iam_instance_profile_arn: i.IamInstanceProfile?.Arn ?? null,
      // EC2 leaves the options out only for instances it has not finished launching: unknown, not "optional".
      metadata_http_endpoint: metadata?.HttpEndpoint ?? null,
      metadata_http_tokens: metadata?.HttpTokens ?? null,
      metadata_hop_limit: metadata?.HttpPutResponseHopLimit ?? null,
      monitoring_state: i.Monitoring?.State ?? 'disabled',
      security_group_ids: (i.SecurityGroups ?? []).map((g) => g.GroupId ?? '').filter(Boolean),
      launch_time: iso(i.LaunchTime),
      // Absent when the managed nodes could not be listed (the failure is recorded).
      ...(ssmManaged ? { ssm_managed: ssmManaged.has(id) } : {}),
    },
  });
}

// ---------------- VPCs and flow logs ----------------

/** The region's flow logs by the id of the resource (VPC, subnet, interface) they capture; null when unread. */
export async function flowLogsByResource(
  ctx: AwsScanContext,
  region: string,
): Promise<Map<string, FlowLog[]> | null> {
  const client = ec2(ctx, region);
  const logs = await pages<{ FlowLogs?: FlowLog[]; NextToken?: string }, FlowLog>(
    ctx,
    'ec2:DescribeFlowLogs',
    (NextToken, abortSignal) =>
      client.send(new DescribeFlowLogsCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.FlowLogs,
    (o) => o.NextToken,
  );
  if (!logs) return null;
  const byResource = new Map<string, FlowLog[]>();
  for (const log of logs) {
    const key = log.ResourceId ?? '';
    byResource.set(key, [...(byResource.get(key) ?? []), log]);
  }
  return byResource;
}

export async function scanVpcs(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const vpcs = await pages<{ Vpcs?: Vpc[]; NextToken?: string }, Vpc>(
    ctx,
    'ec2:DescribeVpcs',
    (NextToken, abortSignal) =>
      client.send(new DescribeVpcsCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), { abortSignal }),
    (o) => o.Vpcs,
    (o) => o.NextToken,
  );
  if (!vpcs) return [];
  return vpcResources(ctx, region, vpcs, 'ec2');
}

/** The VPCs of one region as resources, with the flow logs each has (one DescribeFlowLogs listing for all). */
export async function vpcResources(
  ctx: AwsScanContext,
  region: string,
  vpcs: Vpc[],
  api: string,
): Promise<Resource[]> {
  const logs = vpcs.length > 0 ? await flowLogsByResource(ctx, region) : new Map<string, FlowLog[]>();
  return vpcs.map((v) => {
    const id = v.VpcId ?? '';
    const attributes: Record<string, unknown> = {
      vpc_id: id,
      cidr_block: v.CidrBlock ?? null,
      is_default: v.IsDefault ?? false,
      state: v.State ?? 'unknown',
    };
    // Without the listing nothing is known of the VPC's flow logs: the attribute stays absent.
    if (logs)
      attributes.flow_logs = (logs.get(id) ?? []).map((f) => ({
        flow_log_id: f.FlowLogId ?? '',
        status: f.FlowLogStatus ?? 'unknown',
        traffic_type: f.TrafficType ?? 'unknown',
        destination_type: f.LogDestinationType ?? 'cloud-watch-logs',
        deliver_logs_status: f.DeliverLogsStatus ?? null,
      }));
    return ctx.accountResource({
      id: `arn:aws:ec2:${region}:${ctx.accountId}:vpc/${id}`,
      region,
      type: 'aws.ec2.vpc',
      name: v.Tags?.find((t) => t.Key === 'Name')?.Value || id,
      api,
      now: ctx.now(),
      attributes,
    });
  });
}

// ---------------- network ACLs ----------------

export async function scanNetworkAcls(ctx: AwsScanContext, region: string): Promise<Resource[]> {
  const client = ec2(ctx, region);
  const acls = await pages<{ NetworkAcls?: NetworkAcl[]; NextToken?: string }, NetworkAcl>(
    ctx,
    'ec2:DescribeNetworkAcls',
    (NextToken, abortSignal) =>
      client.send(new DescribeNetworkAclsCommand({ NextToken, MaxResults: ctx.pageSize(1000) }), {
        abortSignal,
      }),
    (o) => o.NetworkAcls,
    (o) => o.NextToken,
  );
  return (acls ?? []).map((a) => networkAclResource(ctx, region, a, 'ec2'));
}

/** IANA protocol numbers network ACL entries use, by the names security group rules use. */
const PROTOCOLS: Record<string, string> = {
  '-1': 'all',
  '6': 'tcp',
  '17': 'udp',
  '1': 'icmp',
  '58': 'icmpv6',
};

/** One entry; protocol -1 (all) and entries without a port range span every port, so rules need no special case. */
export function aclEntryFrom(e: NetworkAclEntry): Record<string, unknown> {
  const protocol = PROTOCOLS[e.Protocol ?? '-1'] ?? e.Protocol ?? 'all';
  const ported = (protocol === 'tcp' || protocol === 'udp') && e.PortRange;
  return {
    rule_number: e.RuleNumber ?? 32767,
    egress: e.Egress ?? false,
    action: e.RuleAction ?? 'deny',
    protocol,
    from_port: ported ? (e.PortRange?.From ?? 0) : 0,
    to_port: ported ? (e.PortRange?.To ?? 65535) : 65535,
    ipv4_cidr: e.CidrBlock ?? null,
    ipv6_cidr: e.Ipv6CidrBlock ?? null,
  };
}

export function networkAclResource(
  ctx: AwsScanContext,
  region: string,
  a: NetworkAcl,
  api: string,
): Resource {
  const id = a.NetworkAclId ?? '';
  const entries = (a.Entries ?? []).map(aclEntryFrom);
  const sorted = (egress: boolean) =>
    entries
      .filter((e) => e.egress === egress)
      .sort((x, y) => (x.rule_number as number) - (y.rule_number as number))
      .map(({ egress: _egress, ...rest }) => rest);
  return ctx.accountResource({
    id: `arn:aws:ec2:${region}:${ctx.accountId}:network-acl/${id}`,
    region,
    type: 'aws.ec2.network_acl',
    name: a.Tags?.find((t) => t.Key === 'Name')?.Value || id,
    api,
    now: ctx.now(),
    attributes: {
      network_acl_id: id,
      vpc_id: a.VpcId ?? null,
      is_default: a.IsDefault ?? false,
      subnet_ids: (a.Associations ?? []).map((s) => s.SubnetId ?? '').filter(Boolean),
      ingress_entries: sorted(false),
      egress_entries: sorted(true),
    },
  });
}
