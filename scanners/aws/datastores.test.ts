// OpenSearch Service domains and Redshift clusters through their real SDK v3 clients over HTTP against the
// fixture server (OpenSearch in restJson1, Redshift in awsQuery): the direct APIs and AWS Config give the same
// resources (tags included), the committed Config items normalize to what the rules read, and a refused call
// becomes a ScanError naming the permission while the scan goes on.
import { describe, expect, it } from 'vitest';
import { scanAwsAccount } from './account.ts';
import { AwsScanContext } from './aws-context.ts';
import { resourcesFromItems } from './config.ts';
import {
  byType,
  CONFIG_ITEM_FILES,
  configItemFixture,
  demoTarget,
  directAndConfig,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
  scanWithDeniedOperations,
  withoutSource,
} from './testing.ts';
import { DEMO_AWS_ACCOUNT_ID, DEMO_AWS_CREDENTIALS, demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

describe('OpenSearch Service domains', () => {
  it('reads domains directly and through Config alike, asking only ListTags on the Config path', async () => {
    const { direct, viaConfig, directServer, configServer } = await directAndConfig(start, ['opensearch']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(byType(direct.resources, 'aws.opensearch.domain')).toHaveLength(9);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(viaConfig.resources.map((r) => r.source?.api))).toEqual(new Set(['config']));
    expect(new Set(configServer.requests.filter((r) => r.service === 'es').map((r) => r.operation))).toEqual(
      new Set(['ListTags']),
    );
    expect(new Set(directServer.requests.filter((r) => r.service === 'es').map((r) => r.operation))).toEqual(
      new Set(['ListDomainNames', 'DescribeDomains', 'ListTags']),
    );
    const legacy = direct.resources.find((r) => r.name === 'logs-legacy-west');
    expect(legacy?.attributes).toEqual({
      domain_name: 'logs-legacy-west',
      engine_version: 'Elasticsearch_7.10',
      encryption_at_rest_enabled: false,
      kms_key_id: null,
      customer_managed_key: false,
      node_to_node_encryption_enabled: false,
      enforce_https: false,
      tls_security_policy: 'Policy-Min-TLS-1-0-2019-07',
      in_vpc: false,
      access_policy_public: true,
      fine_grained_access_control_enabled: false,
      anonymous_auth_enabled: false,
      enabled_log_types: [],
      instance_count: 1,
      zone_awareness_enabled: false,
      dedicated_master_enabled: false,
      auto_software_update_enabled: false,
      tags: {},
    });
    // A wildcard principal narrowed to an address range is not public; the AWS managed key is not the account's.
    expect(direct.resources.find((r) => r.name === 'analytics-west')?.attributes).toMatchObject({
      access_policy_public: false,
      in_vpc: false,
      customer_managed_key: false,
      encryption_at_rest_enabled: true,
      enabled_log_types: ['ES_APPLICATION_LOGS'],
    });
    expect(direct.resources.find((r) => r.name === 'search-west')?.attributes).toMatchObject({
      in_vpc: true,
      customer_managed_key: true,
      tags: { 'data-classification': 'confidential', team: 'search' },
    });
  });

  it('describes at most five domains a call', async () => {
    const account = demoAwsAccount({ asOf: SCAN_NOW });
    const west = account.regions.find((r) => r.name === 'eu-west-1')!;
    const [template] = west.openSearchDomains!;
    west.openSearchDomains = Array.from({ length: 7 }, (_, i) => ({ ...template!, name: `domain-${i}` }));
    const server = await start(account);
    const outcome = await scanAwsAccount(
      demoTarget(server, { services: ['opensearch'], regions: ['eu-west-1'], useConfig: false }),
      FAST_SCAN,
    );
    expect(outcome.errors).toEqual([]);
    expect(outcome.resources).toHaveLength(7);
    expect(server.requests.filter((r) => r.operation === 'DescribeDomains')).toHaveLength(2);
  });

  it('keeps a domain whose tags are refused, without its tags, and names the permission', async () => {
    const outcome = await scanWithDeniedOperations(start, 'opensearch', 'es:ListTags@eu-west-1');
    expect(outcome.errors).toHaveLength(3);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'es:ListTags',
      code: 'AccessDeniedException',
      missing_permission: 'es:ListTags',
    });
    const west = outcome.resources.filter((r) => r.region === 'eu-west-1');
    expect(west).toHaveLength(3);
    for (const r of west) {
      expect(r.attributes).not.toHaveProperty('tags');
      expect(r.attributes).toHaveProperty('encryption_at_rest_enabled');
    }
    expect(
      outcome.resources.filter((r) => r.region !== 'eu-west-1').every((r) => 'tags' in r.attributes),
    ).toBe(true);
  });

  it('records a refused DescribeDomains and keeps scanning the other regions', async () => {
    const outcome = await scanWithDeniedOperations(start, 'opensearch', 'es:DescribeDomains@eu-west-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({ operation: 'es:DescribeDomains', missing_permission: 'es:DescribeDomains' }),
    ]);
    expect(outcome.resources.map((r) => r.region)).not.toContain('eu-west-1');
    expect(outcome.resources).toHaveLength(6);
  });
});

describe('Redshift clusters through AWS Config', () => {
  it('reads clusters directly and through Config alike, logging status from the item', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['redshift']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(direct.resources).toHaveLength(6);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(configServer.requests.filter((r) => r.service === 'redshift')).toEqual([]);
    expect(direct.resources.find((r) => r.name === 'warehouse-west')?.attributes.tags).toEqual({
      'data-classification': 'restricted',
      owner: 'finance',
    });
  });
});

describe('the committed Config items of these types', () => {
  it('normalize to the attributes the rules read', async () => {
    const s = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const ctx = new AwsScanContext(DEMO_AWS_ACCOUNT_ID, { ...DEMO_AWS_CREDENTIALS }, s.url, FAST_SCAN);
    const [domain] = await resourcesFromItems(
      ctx,
      'eu-west-1',
      'AWS::OpenSearch::Domain',
      [configItemFixture(CONFIG_ITEM_FILES['AWS::OpenSearch::Domain'][0])],
      'config',
    );
    // The sandbox has no domain of this name: ListTags fails, so the tags are left out and the error kept.
    expect(domain?.attributes).toMatchObject({
      domain_name: 'ledger-search',
      customer_managed_key: true,
      in_vpc: true,
      access_policy_public: false,
      enforce_https: true,
      fine_grained_access_control_enabled: true,
      // The slow logs are configured but not enabled; a wildcard principal narrowed to an address range is not public.
      enabled_log_types: ['AUDIT_LOGS', 'ES_APPLICATION_LOGS'],
      zone_awareness_enabled: true,
      dedicated_master_enabled: true,
      auto_software_update_enabled: true,
    });
    expect(domain?.attributes).not.toHaveProperty('tags');
    const [cluster] = await resourcesFromItems(
      ctx,
      'eu-west-1',
      'AWS::Redshift::Cluster',
      [configItemFixture(CONFIG_ITEM_FILES['AWS::Redshift::Cluster'][0])],
      'config',
    );
    expect(cluster?.attributes).toMatchObject({
      encrypted: true,
      publicly_accessible: false,
      enhanced_vpc_routing: true,
      tags: { 'data-classification': 'restricted' },
      audit_logging: {
        enabled: true,
        destination: 'cloudwatch',
        log_exports: ['connectionlog', 'userlog', 'useractivitylog'],
      },
    });
  });
});
