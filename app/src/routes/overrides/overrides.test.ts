import { describe, expect, it } from 'vitest';
import { overrideBody, overrideState, overrideSummary, type OverrideItem } from './overrides.ts';

const item = (over: Partial<OverrideItem>): OverrideItem => ({
  id: 'o1',
  kind: 'exception',
  rule_id: 'CW-AWS-S3-002',
  params: null,
  enabled: null,
  severity: null,
  selector: { resource_id: 'arn:aws:s3:::logs' },
  reason: 'public by design',
  approver: 'ciso@example.com',
  expires_at: '2027-01-01T00:00:00.000Z',
  created_at: '2026-11-26T10:00:00.000Z',
  retired_at: null,
  active: true,
  valid: true,
  problems: [],
  ...over,
});

describe('overrides page rules', () => {
  it('gives retired before invalid before expired', () => {
    const now = new Date('2026-12-01T00:00:00Z');
    expect(overrideState(item({}), now)).toBe('active');
    expect(overrideState(item({}), new Date('2027-01-01T00:00:00Z'))).toBe('expired');
    expect(overrideState(item({ valid: false }), new Date('2028-01-01T00:00:00Z'))).toBe('invalid');
    expect(overrideState(item({ valid: false, retired_at: '2026-11-27T00:00:00Z' }), now)).toBe('retired');
  });

  it('summarises what each kind sets', () => {
    expect(overrideSummary(item({}))).toBe(
      'except resource_id arn:aws:s3:::logs: public by design (approved by ciso@example.com)',
    );
    expect(overrideSummary(item({ kind: 'params', params: { max_key_age_days: 60 } }))).toBe(
      'max_key_age_days = 60',
    );
    expect(overrideSummary(item({ kind: 'enabled', enabled: false }))).toBe('disabled');
    expect(overrideSummary(item({ kind: 'severity', severity: 'low' }))).toBe('severity low');
  });

  it('builds the POST body, refusing parameters that are not JSON', () => {
    const form = {
      kind: 'exception' as const,
      rule_id: ' CW-AWS-S3-002 ',
      params: '',
      enabled: false,
      severity: 'low',
      resource_id: 'arn:aws:s3:::logs',
      reason: 'r',
      approver: 'a',
      expires_on: '2027-02-01',
    };
    expect(overrideBody(form)).toEqual({
      body: {
        kind: 'exception',
        rule_id: 'CW-AWS-S3-002',
        selector: { resource_id: 'arn:aws:s3:::logs' },
        reason: 'r',
        approver: 'a',
        expires_at: '2027-02-01T00:00:00Z',
      },
    });
    expect(overrideBody({ ...form, kind: 'params', params: '{oops' })).toEqual({
      problem: expect.stringContaining('JSON object'),
    });
    expect(overrideBody({ ...form, kind: 'params', params: '{"a":1}' })).toEqual({
      body: { kind: 'params', rule_id: 'CW-AWS-S3-002', params: { a: 1 } },
    });
  });
});
