/**
 * The scan.completed entry's findings hash (scans/pipeline.ts, findingsSha256) is hashed row by row; its
 * bytes must stay those of its definition, the canonical JSON of every finding's [rule_id, resource_id,
 * status, evidence_sha256] sorted by the tuple's text, or ledgers written before would no longer verify.
 */
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../schemas/index.ts';
import { canonicalJson, sha256Hex } from '../canonical.ts';
import { findingsSha256 } from './pipeline.ts';

/** The definition, as the hash was first computed: the whole JSON text, sorted by String(tuple). */
function definition(findings: readonly Finding[]): string {
  const rows = findings
    .map((f) => [f.rule_id, f.resource_id, f.status, f.evidence_sha256])
    .sort((a, b) => String(a).localeCompare(String(b)));
  return sha256Hex(Buffer.from(canonicalJson(rows)));
}

function finding(
  rule: string,
  resource: string,
  status: Finding['status'],
  evidence?: string | null,
): Finding {
  return {
    rule_id: rule,
    rule_version: '1',
    rule_hash: 'h',
    bundle_revision: 'b',
    resource_id: resource,
    resource_type: 'aws.ec2.security_group',
    status,
    severity: 'high',
    message: 'm',
    ...(evidence === undefined ? {} : { evidence_sha256: evidence }),
  };
}

describe('findingsSha256', () => {
  it('hashes the same bytes as the canonical JSON of the sorted tuples', () => {
    const statuses: Finding['status'][] = ['pass', 'fail', 'not_applicable', 'error'];
    const findings: Finding[] = [];
    // Mixed case, digits, punctuation and non-ASCII ids, where a locale order and a code-unit order differ;
    // evidence present, null and absent.
    const resources = [
      'arn:aws:ec2:eu-west-1:1:sg/B',
      'arn:aws:ec2:eu-west-1:1:sg/a',
      'Zeta',
      'éclair',
      'b-2',
      'b_1',
    ];
    for (const [i, resource] of resources.entries()) {
      for (const [j, rule] of ['CW-AWS-EC2-010', 'cw-aws-ec2-002', 'CW-AWS-EC2-1'].entries()) {
        const evidence = (i + j) % 3 === 0 ? null : (i + j) % 3 === 1 ? undefined : `${i}${j}`.repeat(32);
        findings.push(finding(rule, resource, statuses[(i * 3 + j) % 4]!, evidence));
      }
    }
    findings.reverse();
    expect(findingsSha256(findings)).toBe(definition(findings));
    expect(findingsSha256([])).toBe(definition([]));
  });

  it('changes when a status or an evidence hash changes', () => {
    const a = [finding('r1', 'x', 'pass', 'e'.repeat(64)), finding('r2', 'x', 'fail', null)];
    const b = [finding('r1', 'x', 'pass', 'e'.repeat(64)), finding('r2', 'x', 'pass', null)];
    const c = [finding('r1', 'x', 'pass', 'f'.repeat(64)), finding('r2', 'x', 'fail', null)];
    expect(new Set([findingsSha256(a), findingsSha256(b), findingsSha256(c)]).size).toBe(3);
  });
});
