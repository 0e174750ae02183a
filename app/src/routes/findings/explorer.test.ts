import { describe, expect, it } from 'vitest';
import { csvPath, filtersOf, filtersOfForm, findingsApiPath, queryOf, withFilters } from './explorer.ts';

describe('the explorer query', () => {
  it('keeps known, non-empty filters and drops the default sort', () => {
    const filters = filtersOf(
      new URLSearchParams('status=fail&region=&bogus=1&sort=severity&severity=high&new_since_last_scan=true'),
    );
    expect(filters).toEqual({ status: 'fail', severity: 'high', new_since_last_scan: 'true' });
    expect(filtersOf(new URLSearchParams('sort=rule_id')).sort).toBe('rule_id');
  });

  it('gives the API page and the CSV the same filters and sort, the CSV without paging', () => {
    const filters = { provider: 'aws', status: 'fail', sort: 'resource_id' };
    expect(findingsApiPath(filters, 'abc')).toBe(
      '/api/findings?provider=aws&status=fail&sort=resource_id&limit=50&cursor=abc',
    );
    expect(csvPath(filters)).toBe('/api/reports/findings.csv?provider=aws&status=fail&sort=resource_id');
    expect(csvPath({})).toBe('/api/reports/findings.csv');
  });

  it('changes one filter and goes back to page one', () => {
    expect(withFilters({ status: 'fail' }, { integration_id: 'i1' })).toBe('?integration_id=i1&status=fail');
    expect(withFilters({ status: 'fail' }, { status: null })).toBe('');
    expect(queryOf({ rule_id: 'CW AWS' })).toBe('rule_id=CW+AWS');
  });

  it('reads a submitted form, empty fields left out', () => {
    const form = new FormData();
    form.set('status', 'fail');
    form.set('account', ' ');
    form.set('sort', 'severity');
    expect(filtersOfForm(form)).toEqual({ status: 'fail' });
  });
});
