import { describe, expect, it } from 'vitest';
import { filtersOf } from '../../../findings/explorer.ts';
import {
  resourceFiltersOf,
  resourceFindingsQuery,
  resourcesQuery,
  scanResourcesApiPath,
} from './resources.ts';

describe("the list of a scan's resources", () => {
  it('keeps its filters and cursor in the URL, empty ones left out', () => {
    expect(resourceFiltersOf(new URLSearchParams('part=s3&type=+aws.s3.bucket+&x=1'))).toEqual({
      part: 's3',
      type: 'aws.s3.bucket',
    });
    expect(resourceFiltersOf(new URLSearchParams('part=&type='))).toEqual({});
    expect(resourcesQuery({})).toBe('');
    expect(resourcesQuery({ part: 'ec2@eu-west-1' }, 'abc')).toBe('?part=ec2%40eu-west-1&cursor=abc');
    const filters = { part: 'iam', type: 'aws.iam.role' };
    expect(resourceFiltersOf(new URLSearchParams(resourcesQuery(filters, 'c')))).toEqual(filters);
  });

  it('asks the API for one page under the same filters', () => {
    expect(scanResourcesApiPath('s-1', {}, null)).toBe('/api/scans/s-1/resources?limit=50');
    expect(scanResourcesApiPath('s-1', { type: 'aws.s3.bucket' }, 'next')).toBe(
      '/api/scans/s-1/resources?limit=50&type=aws.s3.bucket&cursor=next',
    );
  });

  it("links a row's counts to the explorer filtered to that scan and resource", () => {
    const arn = 'arn:aws:iam::123456789012:role/admin';
    const all = resourceFindingsQuery('s-1', arn);
    // The explorer reads back exactly these filters.
    expect(filtersOf(new URLSearchParams(all.slice(1)))).toEqual({ scan_id: 's-1', resource_id: arn });
    expect(filtersOf(new URLSearchParams(resourceFindingsQuery('s-1', arn, true).slice(1)))).toEqual({
      scan_id: 's-1',
      resource_id: arn,
      status: 'fail',
      excepted: 'false',
    });
  });
});
