// The pure mappings from provider answers to attributes, on the cases the sandboxes do not reach.
import { describe, expect, it } from 'vitest';
import { parseCredentialReport, trustAttributes } from './aws/iam.ts';
import { managementEvents, ruleFrom } from './aws/regional.ts';
import { portRanges, resourceGroupOf } from './azure/azure.ts';
import { effectiveProtection } from './github/github.ts';

describe('AWS mappings', () => {
  it('reads management events from advanced event selectors too', () => {
    const management = { Field: 'eventCategory', Equals: ['Management'] };
    expect(managementEvents(undefined, [{ FieldSelectors: [management] }])).toBe('All');
    expect(
      managementEvents(undefined, [
        { FieldSelectors: [management, { Field: 'readOnly', Equals: ['true'] }] },
      ]),
    ).toBe('ReadOnly');
    expect(
      managementEvents(undefined, [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }]),
    ).toBeNull();
    expect(managementEvents([{ ReadWriteType: 'ReadOnly' }, { ReadWriteType: 'WriteOnly' }], undefined)).toBe(
      'All',
    );
    expect(
      managementEvents([{ ReadWriteType: 'All', IncludeManagementEvents: false }], undefined),
    ).toBeNull();
  });

  it('reads a trust policy with a bare "*" principal and single statements', () => {
    expect(
      trustAttributes({ Statement: { Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' } }),
    ).toMatchObject({
      trusted_aws_principals: ['*'],
      trust_requires_external_id: false,
    });
    expect(
      trustAttributes({
        Statement: [
          { Effect: 'Deny', Principal: { AWS: '*' } },
          { Effect: 'Allow', Principal: { Federated: 'arn:aws:iam::1:saml-provider/okta' } },
        ],
      }),
    ).toMatchObject({
      trusted_aws_principals: [],
      trusted_federated: ['arn:aws:iam::1:saml-provider/okta'],
      trust_requires_external_id: false,
    });
  });

  it('spells protocol -1 as all over every port, and keeps ICMP type/code', () => {
    expect(ruleFrom({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })).toMatchObject({
      protocol: 'all',
      from_port: 0,
      to_port: 65535,
    });
    expect(ruleFrom({ IpProtocol: 'icmp', FromPort: -1, ToPort: -1 })).toMatchObject({
      protocol: 'icmp',
      from_port: -1,
      to_port: -1,
    });
  });

  it('parses the credential report into rows by user', () => {
    const rows = parseCredentialReport(
      'user,arn,password_enabled\n<root_account>,arn:aws:iam::1:root,not_supported\nbob,arn:aws:iam::1:user/bob,true\n',
    );
    expect(rows.get('bob')).toEqual({
      user: 'bob',
      arn: 'arn:aws:iam::1:user/bob',
      password_enabled: 'true',
    });
    expect(rows.size).toBe(2);
  });
});

describe('Azure mappings', () => {
  it('turns NSG port specs into ranges', () => {
    expect(portRanges('*', undefined)).toEqual([{ from: 0, to: 65535 }]);
    expect(portRanges(undefined, ['22', '1000-2000'])).toEqual([
      { from: 22, to: 22 },
      { from: 1000, to: 2000 },
    ]);
    expect(portRanges('', [])).toEqual([]);
  });
  it('reads the resource group from an ARM id, whatever its case', () => {
    expect(resourceGroupOf('/subscriptions/s/resourcegroups/RG-Prod/providers/x/y/z')).toBe('RG-Prod');
  });
});

describe('GitHub mappings', () => {
  it('protects a branch through rulesets alone, and takes the stricter of both layers', () => {
    expect(
      effectiveProtection(null, [{ type: 'non_fast_forward' }, { type: 'required_signatures' }]),
    ).toMatchObject({
      protected: true,
      allows_force_pushes: false,
      allows_deletions: true,
      requires_signed_commits: true,
      required_approving_review_count: 0,
    });
    expect(
      effectiveProtection(
        {
          required_pull_request_reviews: { required_approving_review_count: 1 },
          allow_force_pushes: { enabled: true },
          allow_deletions: { enabled: false },
        },
        [
          {
            type: 'pull_request',
            parameters: { required_approving_review_count: 3, require_code_owner_review: true },
          },
        ],
      ),
    ).toMatchObject({
      required_approving_review_count: 3,
      require_code_owner_reviews: true,
      allows_force_pushes: true,
      allows_deletions: false,
    });
  });
});
