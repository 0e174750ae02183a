// The managed database services of the AWS scanner beyond RDS (ElastiCache replication groups) through their
// real SDK v3 clients over HTTP against the fixture server, which answers in the service's own wire protocol
// (awsQuery): the normalized attributes the rules read, paging, a service that is not in the scan's list, and
// a refused call that becomes a ScanError naming the permission while the scan goes on.
import { describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import {
  byType,
  demoTarget,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
  scanWithDeniedOperations,
} from './testing.ts';
import { demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

describe('ElastiCache replication groups', () => {
  it('reads every group of every region through DescribeReplicationGroups', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const server = await start(account);
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['elasticache'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toEqual([]);
    const groups = byType(outcome.resources, 'aws.elasticache.replication_group');
    expect(groups).toHaveLength(account.regions.length * 3);
    const calls = server.requests.filter((r) => r.service === 'elasticache');
    expect(new Set(calls.map((r) => r.operation))).toEqual(new Set(['DescribeReplicationGroups']));
    const region = account.regions[0]?.name ?? '';
    const short = region.split('-')[1];
    const sessions = groups.find((g) => g.name === `sessions-${short}` && g.region === region);
    expect(sessions).toMatchObject({
      id: `arn:aws:elasticache:${region}:${account.accountId}:replicationgroup:sessions-${short}`,
      source: { api: 'elasticache' },
      attributes: {
        engine: 'valkey',
        cluster_enabled: true,
        at_rest_encryption_enabled: true,
        transit_encryption_enabled: true,
        transit_encryption_mode: 'required',
        auth_token_enabled: true,
        user_group_ids: [],
        automatic_failover: 'enabled',
        multi_az: 'enabled',
        snapshot_retention_limit: 7,
      },
    });
    expect(sessions?.attributes.kms_key_id).toMatch(/^arn:aws:kms:/);
    expect(groups.find((g) => g.name === `pagecache-${short}`)?.attributes).toEqual({
      replication_group_id: `pagecache-${short}`,
      description: 'Rendered page cache',
      engine: 'redis',
      status: 'available',
      cluster_enabled: false,
      at_rest_encryption_enabled: false,
      kms_key_id: null,
      transit_encryption_enabled: false,
      transit_encryption_mode: null,
      auth_token_enabled: false,
      user_group_ids: [],
      automatic_failover: 'disabled',
      multi_az: 'disabled',
      snapshot_retention_limit: 0,
      auto_minor_version_upgrade: false,
    });
    expect(groups.find((g) => g.name === `jobs-${short}`)?.attributes).toMatchObject({
      at_rest_encryption_enabled: true,
      kms_key_id: null, // the service's own key
      transit_encryption_mode: 'preferred',
      user_group_ids: [`jobs-users-${short}`],
      snapshot_retention_limit: 1,
    });
  });

  it('follows the Marker over pages of one group', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const server = await start(account);
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['elasticache'], useConfig: false }),
      { ...FAST_SCAN, pageSize: 1 },
    );
    expect(outcome.errors).toEqual([]);
    expect(byType(outcome.resources, 'aws.elasticache.replication_group')).toHaveLength(
      account.regions.length * 3,
    );
    expect(server.requests.filter((r) => r.service === 'elasticache')).toHaveLength(
      account.regions.length * 3,
    );
  });

  it('records a refused DescribeReplicationGroups with its permission and keeps scanning the other regions', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const denied = account.regions[0]?.name ?? '';
    account.deniedOperations.push(`elasticache:DescribeReplicationGroups@${denied}`);
    const outcome = await scanAwsAccount(
      demoTarget(await start(account), { services: ['elasticache'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'elasticache:DescribeReplicationGroups',
      code: 'AccessDenied',
      missing_permission: 'elasticache:DescribeReplicationGroups',
    });
    const regions = byType(outcome.resources, 'aws.elasticache.replication_group').map((r) => r.region);
    expect(regions).toHaveLength((account.regions.length - 1) * 3);
    expect(regions).not.toContain(denied);
  });
});

describe('Redshift clusters', () => {
  it('reads each cluster and its audit logging status', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const server = await start(account);
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['redshift'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toEqual([]);
    const clusters = byType(outcome.resources, 'aws.redshift.cluster');
    expect(clusters).toHaveLength(demoAwsAccount({ asOf: SCAN_NOW }).regions.length * 2);
    const calls = server.requests.filter((r) => r.service === 'redshift').map((r) => r.operation);
    expect(calls.filter((o) => o === 'DescribeLoggingStatus')).toHaveLength(clusters.length);
    const region = account.regions[0]?.name ?? '';
    const short = region.split('-')[1];
    const warehouse = clusters.find((c) => c.name === `warehouse-${short}` && c.region === region);
    expect(warehouse).toMatchObject({
      id: `arn:aws:redshift:${region}:${account.accountId}:cluster:warehouse-${short}`,
      attributes: {
        node_type: 'ra3.xlplus',
        encrypted: true,
        publicly_accessible: false,
        enhanced_vpc_routing: true,
        audit_logging: {
          enabled: true,
          destination: 'cloudwatch',
          log_exports: ['connectionlog', 'userlog', 'useractivitylog'],
        },
      },
    });
    expect(warehouse?.attributes.kms_key_id).toMatch(/^arn:aws:kms:/);
    expect(clusters.find((c) => c.name === `marketing-bi-${short}`)?.attributes).toEqual({
      cluster_identifier: `marketing-bi-${short}`,
      node_type: 'dc2.large',
      status: 'available',
      encrypted: false,
      kms_key_id: null,
      publicly_accessible: true,
      enhanced_vpc_routing: false,
      tags: { owner: 'marketing' },
      audit_logging: { enabled: false, destination: null, log_exports: [] },
    });
  });

  it('keeps a cluster whose logging status is refused, without the logging key, and names the permission', async () => {
    const outcome = await scanWithDeniedOperations(start, 'redshift', 'redshift:DescribeLoggingStatus');
    const clusters = byType(outcome.resources, 'aws.redshift.cluster');
    expect(clusters).toHaveLength(demoAwsAccount({ asOf: SCAN_NOW }).regions.length * 2);
    expect(
      clusters.every((c) => !('audit_logging' in c.attributes) && c.attributes.encrypted !== undefined),
    ).toBe(true);
    expect(outcome.errors).toHaveLength(clusters.length);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'redshift:DescribeLoggingStatus',
      code: 'AccessDenied',
      missing_permission: 'redshift:DescribeLoggingStatus',
    });
  });
});
