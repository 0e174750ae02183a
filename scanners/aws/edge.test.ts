// The edge and certificate services of the AWS scanner (ACM, WAFv2, Elastic Load Balancing v2, API
// Gateway, CloudFront) through their real SDK v3 clients over HTTP against the fixture server, which
// answers each in its own wire protocol: the direct APIs and AWS Config must give the same resources, and a
// refused call becomes a ScanError naming the permission while the scan goes on.
import { describe, expect, it } from 'vitest';
import { AwsScanContext } from './aws-context.ts';
import { resourcesFromItems, type RegionalConfigType } from './config.ts';
import {
  byType,
  CONFIG_ITEM_FILES,
  configItemFixture,
  directAndConfig,
  FAST_SCAN,
  fixtureServersClosedAfterEach,
  SCAN_NOW,
  withoutSource,
  scanWithDeniedOperations,
} from './testing.ts';
import { DEMO_AWS_CREDENTIALS, demoAwsAccount } from './fixtures/aws-fixture-server.ts';

const start = fixtureServersClosedAfterEach();

describe('ACM certificates', () => {
  it('reads every key type directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['acm']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    const certs = byType(direct.resources, 'aws.acm.certificate');
    expect(certs).toHaveLength(12);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(new Set(viaConfig.resources.map((r) => r.source?.api))).toEqual(new Set(['config']));
    expect(configServer.requests.filter((r) => r.service === 'acm')).toEqual([]);
    const legacy = certs.find((r) => r.name === 'legacy-east.example.com');
    expect(legacy?.attributes).toMatchObject({
      type: 'IMPORTED',
      status: 'ISSUED',
      key_algorithm: 'RSA_1024',
      key_family: 'RSA',
      key_bits: 1024,
      days_to_expiry: 11,
      in_use: true,
      renewal_eligibility: 'INELIGIBLE',
    });
    expect(certs.find((r) => r.name === '*.shop-east.example.com')?.attributes).toHaveProperty(
      'domain_name',
      '*.shop-east.example.com',
    );
    expect(certs.find((r) => r.name === 'api-east.example.com')?.attributes).toMatchObject({
      key_family: 'EC',
      key_bits: 256,
      in_use: false,
    });
  });

  it('records a refused DescribeCertificate with its permission and keeps scanning', async () => {
    const outcome = await scanWithDeniedOperations(start, 'acm', 'acm:DescribeCertificate@eu-west-1');
    expect(outcome.errors).toHaveLength(4);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'acm:DescribeCertificate',
      code: 'AccessDeniedException',
      missing_permission: 'acm:DescribeCertificate',
    });
    expect(
      byType(outcome.resources, 'aws.acm.certificate')
        .map((r) => r.region)
        .sort(),
    ).toEqual([...Array(4).fill('us-east-1'), ...Array(4).fill('us-west-2')]);
  });
});

describe('WAFv2 web ACLs', () => {
  it('reads regional ACLs everywhere and global ones in us-east-1, directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['wafv2']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    const acls = byType(direct.resources, 'aws.wafv2.web_acl');
    expect(acls).toHaveLength(7);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    // Logging is not in the item: one GetLoggingConfiguration per ACL on the Config path too.
    const wafCalls = configServer.requests.filter((r) => r.service === 'wafv2').map((r) => r.operation);
    expect(wafCalls).toEqual(Array(7).fill('GetLoggingConfiguration'));
    expect(acls.find((r) => r.name === 'cdn-protect')).toMatchObject({
      region: 'us-east-1',
      attributes: { scope: 'CLOUDFRONT', rule_count: 1, logging_enabled: false },
    });
    expect(acls.find((r) => r.name === 'app-protect-west' && r.region === 'eu-west-1')?.attributes).toEqual({
      web_acl_id: expect.any(String),
      scope: 'REGIONAL',
      default_action: 'ALLOW',
      rule_count: 3,
      rule_names: ['common', 'bad-inputs', 'rate-limit'],
      managed_rule_groups: ['AWS:AWSManagedRulesCommonRuleSet', 'AWS:AWSManagedRulesKnownBadInputsRuleSet'],
      logging_enabled: true,
      log_destinations: ['arn:aws:logs:eu-west-1:123456789012:log-group:aws-waf-logs-app-west'],
    });
  });

  it('records a refused GetLoggingConfiguration with its permission and keeps the ACL', async () => {
    const outcome = await scanWithDeniedOperations(start, 'wafv2', 'wafv2:GetLoggingConfiguration@us-west-2');
    expect(outcome.errors).toHaveLength(2);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'wafv2:GetLoggingConfiguration',
      code: 'AccessDeniedException',
      missing_permission: 'wafv2:GetLoggingConfiguration',
    });
    const west = byType(outcome.resources, 'aws.wafv2.web_acl').filter((r) => r.region === 'us-west-2');
    expect(west).toHaveLength(2);
    expect(west.every((r) => !('logging_enabled' in r.attributes))).toBe(true);
  });
});

describe('Elastic Load Balancing v2', () => {
  it('reads load balancers and listeners (awsQuery) directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['elbv2']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    expect(byType(direct.resources, 'aws.elbv2.load_balancer')).toHaveLength(9);
    expect(byType(direct.resources, 'aws.elbv2.listener')).toHaveLength(18);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    // The WAF association is not in the item: one GetWebACLForResource per application load balancer.
    const calls = configServer.requests
      .filter((r) => r.service !== 'config' && r.operation !== 'DescribeRegions')
      .map((r) => r.operation);
    expect(calls).toEqual(Array(6).fill('GetWebACLForResource'));
    const web = direct.resources.find((r) => r.name === 'web-west' && r.region === 'eu-west-1');
    expect(web?.attributes).toMatchObject({
      type: 'application',
      scheme: 'internet-facing',
      deletion_protection: true,
      cross_zone_enabled: true,
      access_logs_enabled: true,
      access_logs_bucket: 'acme-elb-logs-west',
      drop_invalid_header_fields: true,
      desync_mitigation_mode: 'defensive',
      web_acl_arn: expect.stringMatching(/:regional\/webacl\/app-protect-west\//),
    });
    expect(
      direct.resources.find((r) => r.name === 'internal-west' && r.region === 'eu-west-1')?.attributes,
    ).toMatchObject({
      type: 'network',
      cross_zone_enabled: false,
      drop_invalid_header_fields: null,
      desync_mitigation_mode: null,
      web_acl_arn: null,
    });
    const listeners = byType(direct.resources, 'aws.elbv2.listener').filter((r) => r.region === 'eu-west-1');
    expect(
      listeners.map((r) => [r.name, r.attributes.protocol, r.attributes.redirects_to_https]).sort(),
    ).toEqual([
      ['internal-west:443', 'TLS', false],
      ['internal-west:5432', 'TCP', false],
      ['legacy-west:443', 'HTTPS', false],
      ['legacy-west:80', 'HTTP', false],
      ['web-west:443', 'HTTPS', false],
      ['web-west:80', 'HTTP', true],
    ]);
  });

  it('records refused attribute and WAF reads with their permissions and keeps what it read', async () => {
    const outcome = await scanWithDeniedOperations(
      start,
      'elbv2',
      'elasticloadbalancing:DescribeLoadBalancerAttributes@eu-west-1',
      'wafv2:GetWebACLForResource@us-west-2',
    );
    expect(new Set(outcome.errors.map((e) => `${e.operation} ${e.code} ${e.missing_permission}`))).toEqual(
      new Set([
        'elasticloadbalancing:DescribeLoadBalancerAttributes AccessDenied elasticloadbalancing:DescribeLoadBalancerAttributes',
        'wafv2:GetWebACLForResource AccessDeniedException wafv2:GetWebACLForResource',
      ]),
    );
    const lbs = byType(outcome.resources, 'aws.elbv2.load_balancer');
    expect(lbs).toHaveLength(9);
    const west = lbs.find((r) => r.name === 'legacy-west' && r.region === 'eu-west-1');
    expect(west?.attributes).not.toHaveProperty('deletion_protection');
    expect(west?.attributes).toHaveProperty('web_acl_arn', null);
    expect(lbs.find((r) => r.name === 'web-west' && r.region === 'us-west-2')?.attributes).not.toHaveProperty(
      'web_acl_arn',
    );
  });
});

describe('API Gateway stages', () => {
  it('reads REST API stages (restJson1) directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['apigateway']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    const stages = byType(direct.resources, 'aws.apigateway.stage');
    expect(stages).toHaveLength(6);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(configServer.requests.filter((r) => r.service === 'apigateway')).toEqual([]);
    const prod = stages.find((r) => r.region === 'eu-west-1' && r.attributes.stage_name === 'prod');
    expect(prod).toMatchObject({
      id: 'arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod',
      name: 'a1b2c3d4e5/prod',
      attributes: {
        access_log_destination_arn: expect.stringContaining(':log-group:'),
        execution_logging_level: 'ERROR',
        data_trace_enabled: false,
        tracing_enabled: true,
        cache_cluster_enabled: true,
        cache_data_encrypted: true,
        client_certificate_id: 'cc1x9y8z7',
        web_acl_arn: expect.stringContaining(':regional/webacl/app-protect-west/'),
      },
    });
    const dev = stages.find((r) => r.region === 'eu-west-1' && r.attributes.stage_name === 'dev');
    expect(dev?.attributes).toMatchObject({
      access_log_destination_arn: null,
      execution_logging_level: 'OFF',
      cache_data_encrypted: false,
      web_acl_arn: null,
    });
    const tracedBodies = stages.find((r) => r.region === 'us-west-2' && r.attributes.stage_name === 'prod');
    expect(tracedBodies?.attributes).toHaveProperty('data_trace_enabled', true);
  });

  it('records a refused GetStages as apigateway:GET and keeps the other regions', async () => {
    const outcome = await scanWithDeniedOperations(start, 'apigateway', 'apigateway:GetStages@us-east-1');
    expect(outcome.errors).toEqual([
      expect.objectContaining({
        operation: 'apigateway:GetStages',
        code: 'AccessDeniedException',
        missing_permission: 'apigateway:GET',
      }),
    ]);
    expect(
      byType(outcome.resources, 'aws.apigateway.stage')
        .map((r) => r.region)
        .sort(),
    ).toEqual(['eu-west-1', 'eu-west-1', 'us-west-2', 'us-west-2']);
  });
});

describe('CloudFront distributions', () => {
  it('reads distributions (restXml) once, as global, directly and through Config alike', async () => {
    const { direct, viaConfig, configServer } = await directAndConfig(start, ['cloudfront']);
    expect(direct.errors).toEqual([]);
    expect(viaConfig.errors).toEqual([]);
    const distributions = byType(direct.resources, 'aws.cloudfront.distribution');
    expect(distributions.map((r) => [r.name, r.region])).toEqual([
      ['E1A2B3C4D5E6F7', 'global'],
      ['E9Z8Y7X6W5V4U3', 'global'],
    ]);
    expect(withoutSource(viaConfig.resources)).toEqual(withoutSource(direct.resources));
    expect(configServer.requests.filter((r) => r.service === 'cloudfront')).toEqual([]);
    expect(distributions[0]?.attributes).toMatchObject({
      aliases: ['www.example.com'],
      viewer_protocol_policies: ['redirect-to-https', 'https-only'],
      uses_default_certificate: false,
      minimum_protocol_version: 'TLSv1.2_2021',
      logging_enabled: true,
      default_root_object: 'index.html',
      web_acl_id: expect.stringContaining(':global/webacl/cdn-protect/'),
      origins: [
        expect.objectContaining({ type: 's3', origin_access_control_id: 'E3OAC0SITE0001' }),
        expect.objectContaining({
          type: 'custom',
          protocol_policy: 'https-only',
          ssl_protocols: ['TLSv1.2'],
        }),
      ],
    });
    expect(distributions[1]?.attributes).toMatchObject({
      default_viewer_protocol_policy: 'allow-all',
      uses_default_certificate: true,
      minimum_protocol_version: 'TLSv1',
      logging_enabled: false,
      logging_bucket: null,
      default_root_object: null,
      web_acl_id: null,
      origins: [
        expect.objectContaining({ type: 's3', origin_access_control_id: null, origin_access_identity: null }),
        expect.objectContaining({ type: 'custom', protocol_policy: 'http-only' }),
        expect.objectContaining({
          type: 'custom',
          protocol_policy: 'match-viewer',
          ssl_protocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
        }),
      ],
    });
  });

  it('records a refused GetDistributionConfig (restXml error) with its permission', async () => {
    const outcome = await scanWithDeniedOperations(start, 'cloudfront', 'cloudfront:GetDistributionConfig');
    expect(outcome.errors).toHaveLength(2);
    expect(outcome.errors[0]).toMatchObject({
      operation: 'cloudfront:GetDistributionConfig',
      code: 'AccessDenied',
      missing_permission: 'cloudfront:GetDistributionConfig',
    });
    expect(outcome.resources).toEqual([]);
  });
});

describe('our committed configuration items of the edge types', () => {
  it('normalizes each, its configuration as an object or as JSON text', async () => {
    // A web ACL's logging is not in its item: the fixture server answers that call (no configuration there).
    const server = await start(demoAwsAccount({ asOf: SCAN_NOW }));
    const ctx = new AwsScanContext('123456789012', { ...DEMO_AWS_CREDENTIALS }, server.url, FAST_SCAN);
    const normalize = async (type: RegionalConfigType, asText: boolean) => {
      const item = configItemFixture(CONFIG_ITEM_FILES[type as keyof typeof CONFIG_ITEM_FILES][0]);
      const configuration = asText ? JSON.stringify(item.configuration) : item.configuration;
      return (await resourcesFromItems(ctx, 'eu-west-1', type, [{ ...item, configuration }], 'config'))[0];
    };
    for (const asText of [false, true]) {
      expect(await normalize('AWS::ACM::Certificate', asText)).toMatchObject({
        id: 'arn:aws:acm:eu-west-1:123456789012:certificate/4f0e8c61-2b7d-4a35-9e1c-7d2a5b8c3f90',
        type: 'aws.acm.certificate',
        name: 'ledger.example.com',
        attributes: {
          status: 'ISSUED',
          type: 'AMAZON_ISSUED',
          key_algorithm: 'RSA_2048',
          key_family: 'RSA',
          key_bits: 2048,
          not_after: '2026-12-31T23:59:59.000Z',
          days_to_expiry: 241,
          in_use: true,
          renewal_eligibility: 'ELIGIBLE',
        },
      });
    }
    for (const asText of [false, true]) {
      expect(await normalize('AWS::WAFv2::WebACL', asText)).toMatchObject({
        id: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/ledger-edge/7c1e4a2b-9d3f-4b6a-8e0c-2f5a7b9d1c3e',
        type: 'aws.wafv2.web_acl',
        name: 'ledger-edge',
        attributes: {
          scope: 'REGIONAL',
          default_action: 'BLOCK',
          rule_count: 2,
          managed_rule_groups: ['AWS:AWSManagedRulesCommonRuleSet'],
          logging_enabled: false,
        },
      });
    }
    for (const asText of [false, true]) {
      expect(await normalize('AWS::ElasticLoadBalancingV2::LoadBalancer', asText)).toMatchObject({
        type: 'aws.elbv2.load_balancer',
        name: 'ledger-public',
        attributes: {
          type: 'application',
          scheme: 'internet-facing',
          deletion_protection: false,
          access_logs_enabled: false,
          access_logs_bucket: null,
          drop_invalid_header_fields: false,
          desync_mitigation_mode: 'monitor',
          web_acl_arn: null,
        },
      });
      expect(await normalize('AWS::ElasticLoadBalancingV2::Listener', asText)).toMatchObject({
        type: 'aws.elbv2.listener',
        name: 'web-west:443',
        attributes: {
          port: 443,
          protocol: 'HTTPS',
          ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificate_arns: [expect.stringContaining(':certificate/')],
          default_action_types: ['forward'],
          redirects_to_https: false,
        },
      });
    }
    for (const asText of [false, true]) {
      expect(await normalize('AWS::ApiGateway::Stage', asText)).toMatchObject({
        id: 'arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod',
        type: 'aws.apigateway.stage',
        attributes: {
          rest_api_id: 'a1b2c3d4e5',
          execution_logging_level: 'ERROR',
          cache_data_encrypted: true,
        },
      });
    }
    for (const asText of [false, true]) {
      expect(await normalize('AWS::CloudFront::Distribution', asText)).toMatchObject({
        id: 'arn:aws:cloudfront::123456789012:distribution/E9Z8Y7X6W5V4U3',
        type: 'aws.cloudfront.distribution',
        region: 'global',
        attributes: {
          uses_default_certificate: true,
          viewer_protocol_policies: ['allow-all', 'https-only'],
          default_root_object: 'index.html',
        },
      });
    }
    ctx.close();
  });
});
