import { describe, expect, it } from 'vitest';
import { entryHash, GENESIS_HASH } from '../../../../api/src/ledger/chain.ts';
import type { AuditLedgerEntry, AuditRuleVersion } from '#lib/api/types.ts';
import {
  auditBody,
  checkLedgerEntries,
  inForceAt,
  ledgerFilters,
  ledgerQuery,
  ledgerSubject,
  listsAuditor,
  nextVersion,
  snapshotPage,
  snapshotPageQuery,
  versionsByRule,
} from './audits.ts';

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

describe('the period ledger', () => {
  /** A chain of entries hashed by the ledger's own writer (api/src/ledger/chain.ts). */
  function chain(events: { kind: string; payload?: Record<string, unknown>; artifact?: string }[]) {
    const entries: AuditLedgerEntry[] = [];
    let prev = GENESIS_HASH;
    events.forEach((event, index) => {
      const fields = {
        tenant_id: 't-1',
        seq: index + 1,
        kind: event.kind,
        occurred_at: new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString(),
        actor: 'user-1',
        payload: event.payload ?? {},
        artifact_sha256: event.artifact ?? null,
        prev_hash: prev,
      };
      prev = entryHash(fields);
      entries.push({ ...fields, entry_hash: prev });
    });
    return entries;
  }

  it('reads its filters from the URL and writes them back in the same order', () => {
    const filters = ledgerFilters(new URLSearchParams('actor=u-1&kind=scan.completed&before_seq=40'));
    expect(filters).toEqual({ kind: 'scan.completed', actor: 'u-1', before_seq: 40 });
    expect(ledgerQuery(filters)).toBe('kind=scan.completed&actor=u-1&before_seq=40');
    expect(ledgerFilters(new URLSearchParams('kind=&before_seq=-3&actor=%20'))).toEqual({});
    expect(ledgerQuery({})).toBe('');
  });

  it('links each entry to its subject', () => {
    const [scan, override, retired, marked, evidence, opened] = chain([
      { kind: 'scan.completed', payload: { scan_id: 'scan-1234567890' } },
      { kind: 'override.created', payload: { id: 'o-1', kind: 'exception', rule_id: 'CW-AWS-S3-001' } },
      { kind: 'override.retired', payload: { override_id: 'o-1', kind: 'severity', rule_id: 'R' } },
      {
        kind: 'audit.marked',
        payload: { framework_id: 'soc2', framework_version: '2017', requirement_id: 'CC6.1' },
      },
      { kind: 'evidence.recorded', artifact: 'f'.repeat(64) },
      { kind: 'audit.opened', payload: { audit_id: 'a-1', name: 'x' } },
    ]);
    expect(ledgerSubject('a-1', scan!)).toEqual({
      label: 'scan scan-123',
      path: '/findings?scan_id=scan-1234567890',
    });
    expect(ledgerSubject('a-1', override!)).toEqual({
      label: 'exception on CW-AWS-S3-001',
      path: '/audits/a-1/exceptions#x-o-1',
    });
    expect(ledgerSubject('a-1', retired!)?.path).toBe('/audits/a-1/exceptions#x-o-1');
    expect(ledgerSubject('a-1', marked!)).toEqual({
      label: 'soc2 CC6.1',
      path: '/audits/a-1/frameworks/soc2%402017/requirements/CC6.1',
    });
    expect(ledgerSubject('a-1', evidence!)?.path).toBe(`/evidence/${'f'.repeat(64)}`);
    expect(ledgerSubject('a-1', opened!)).toBeNull();
  });

  it("recomputes each entry's hash and its link to the entry before, as the ledger wrote them", async () => {
    const entries = chain([
      { kind: 'a' },
      { kind: 'b', payload: { n: 1, nested: { z: 1, a: [2] } } },
      { kind: 'c' },
    ]);
    const checks = await checkLedgerEntries(entries);
    expect([...checks.values()]).toEqual([
      { hashMatches: true, linked: null },
      { hashMatches: true, linked: true },
      { hashMatches: true, linked: true },
    ]);
    // A changed payload no longer hashes to its entry_hash; a replaced entry breaks the next one's link.
    const tampered = entries.map((e) => (e.seq === 2 ? { ...e, payload: { n: 2 } } : e));
    expect((await checkLedgerEntries(tampered)).get(2)).toEqual({ hashMatches: false, linked: true });
    const replaced = entries.map((e) => (e.seq === 2 ? { ...e, entry_hash: 'e'.repeat(64) } : e));
    expect((await checkLedgerEntries(replaced)).get(3)).toEqual({ hashMatches: true, linked: false });
    // Newest first, as the API lists them, and a gap (a filtered list): no link is judged across it.
    const gap = await checkLedgerEntries([entries[2]!, entries[0]!]);
    expect(gap.get(3)).toEqual({ hashMatches: true, linked: null });
  });
});

describe('snapshot pages of a requirement in an audit', () => {
  it('reads the cursor and limit from the URL, falling back to the default limit', () => {
    expect(snapshotPage(new URLSearchParams(''))).toEqual({ cursor: null, limit: 50, query: 'limit=50' });
    expect(snapshotPage(new URLSearchParams('limit=2&cursor=abc_-1'))).toEqual({
      cursor: 'abc_-1',
      limit: 2,
      query: 'limit=2&cursor=abc_-1',
    });
    for (const limit of ['0', '201', '2.5', 'x'])
      expect(snapshotPage(new URLSearchParams({ limit })).limit).toBe(50);
  });

  it('links the next and first pages keeping a limit other than the default', () => {
    expect(snapshotPageQuery(50, null)).toBe('');
    expect(snapshotPageQuery(50, 'abc')).toBe('?cursor=abc');
    expect(snapshotPageQuery(2, 'abc')).toBe('?limit=2&cursor=abc');
    expect(snapshotPageQuery(2, null)).toBe('?limit=2');
  });
});
