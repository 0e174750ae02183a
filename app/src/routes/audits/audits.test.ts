import { describe, expect, it } from 'vitest';
import type { AuditRuleVersion } from '#lib/api/types.ts';
import { auditBody, inForceAt, listsAuditor, nextVersion, versionsByRule } from './audits.ts';

const version = (over: Partial<AuditRuleVersion>): AuditRuleVersion => ({
  rule_id: 'CW-AWS-S3-001',
  version: '1.0.0',
  hash: 'a'.repeat(64),
  bundle_revision: 'r1',
  git_commit: null,
  first_in_force_at: '2026-01-01T00:00:00.000Z',
  last_in_force_at: '2026-03-01T00:00:00.000Z',
  ...over,
});

describe('rule versions in force', () => {
  const v1 = version({});
  const v2 = version({
    version: '1.1.0',
    hash: 'b'.repeat(64),
    first_in_force_at: '2026-03-01T00:00:00.000Z',
    last_in_force_at: null,
  });
  const other = version({ rule_id: 'CW-AWS-IAM-001', hash: 'c'.repeat(64), last_in_force_at: null });

  it('is in force from its first moment up to, not including, its last', () => {
    expect(inForceAt(v1, new Date('2025-12-31T23:59:59Z'))).toBe(false);
    expect(inForceAt(v1, new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(inForceAt(v1, new Date('2026-03-01T00:00:00Z'))).toBe(false);
    expect(inForceAt(v2, new Date('2026-03-01T00:00:00Z'))).toBe(true);
    expect(inForceAt(v2, new Date('2099-01-01T00:00:00Z'))).toBe(true);
  });

  it('groups by rule in id order, versions oldest first, and names the next version', () => {
    const grouped = versionsByRule([v2, other, v1]);
    expect([...grouped.keys()]).toEqual(['CW-AWS-IAM-001', 'CW-AWS-S3-001']);
    expect(grouped.get('CW-AWS-S3-001')!.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);
    expect(nextVersion(grouped.get('CW-AWS-S3-001')!, v1.hash)).toBe(v2);
    expect(nextVersion(grouped.get('CW-AWS-S3-001')!, v2.hash)).toBeNull();
    expect(nextVersion(grouped.get('CW-AWS-S3-001')!, 'unknown')).toBeNull();
  });
});

describe('the open-an-audit form', () => {
  const form = { name: ' SOC 2 2026 ', frameworks: ['soc2@2017'], start: '2026-01-01', end: '2026-06-30' };

  it('sends whole days in UTC and each framework with its version', () => {
    expect(auditBody(form)).toEqual({
      body: {
        name: 'SOC 2 2026',
        frameworks: [{ framework_id: 'soc2', framework_version: '2017' }],
        period_start: '2026-01-01T00:00:00.000Z',
        period_end: '2026-06-30T23:59:59.999Z',
      },
    });
  });

  it('says what is missing or wrong before sending', () => {
    expect(auditBody({ ...form, name: ' ' })).toEqual({ problem: 'Give the audit a name.' });
    expect(auditBody({ ...form, frameworks: [] })).toEqual({ problem: 'Choose at least one framework.' });
    expect(auditBody({ ...form, end: '' })).toHaveProperty('problem');
    expect(auditBody({ ...form, end: '2025-12-31' })).toEqual({
      problem: 'The period must not end before it starts.',
    });
  });
});

describe('which audits list an auditor', () => {
  const audit = {
    auditors: [
      {
        email: 'Ann@cpa.example',
        user_id: null,
        status: 'invited' as const,
        invitation_id: 'i',
        added_by: null,
        added_at: '',
      },
      {
        email: 'bob@cpa.example',
        user_id: 'u-bob',
        status: 'active' as const,
        invitation_id: null,
        added_by: null,
        added_at: '',
      },
    ],
  };
  it('matches by user id or by e-mail, whatever its case', () => {
    expect(listsAuditor(audit, 'u-bob', 'other@x.example')).toBe(true);
    expect(listsAuditor(audit, 'u-ann', 'ann@cpa.example')).toBe(true);
    expect(listsAuditor(audit, 'u-eve', 'eve@cpa.example')).toBe(false);
  });
});
