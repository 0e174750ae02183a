// docs/rules.md must list every rule exactly as the rule files and the UCF define it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadRuleSources } from '../engine/compile/rule-sources.ts';
import { DEFAULT_RULES_DIR } from '../engine/paths.ts';
import { generateSection } from './gen-rules-docs.ts';

describe('rule list documentation', () => {
  it('keeps the rule list in docs/rules.md generated from the rules', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/gen-rules-docs.ts', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('lists every rule once with its severity, types and the requirements its controls map to', async () => {
    const section = await generateSection();
    const rows = section.split('\n').filter((l) => l.startsWith('| `CW-'));
    const rules = await loadRuleSources(DEFAULT_RULES_DIR, null);
    expect(rows).toHaveLength(rules.length);
    for (const rule of rules) {
      const row = rows.find((r) => r.startsWith(`| \`${rule.id}\` |`));
      expect(row, rule.id).toBeDefined();
      const m = rule.metadata;
      expect(row).toContain(`| ${m.severity} |`);
      for (const type of m.resource_types) expect(row).toContain(`\`${type}\``);
      expect(row).toContain(`| ${m.ucf_controls.join(', ')} |`);
    }
    // The pack column names each pack listing the rule with the ids it answers there.
    expect(rows.find((r) => r.startsWith('| `CW-AWS-IAM-002` |'))).toMatch(
      /\| aws-foundational-best-practices \(IAM\.4\); cis-aws-foundations-5\.0-l1 \(1\.3\) +\|/,
    );
    expect(rows.find((r) => r.startsWith('| `CW-AWS-S3-001` |'))).toMatch(/\| — +\|/);
    expect(section).toMatch(/^\| `cis-aws-foundations-5\.0-l1` +\| 1\.1\.0 /m);
    expect(section).toMatch(
      /^\| `cis-azure-foundations-6\.0-l1` +\| 1\.0\.0 +\| [^|]+\| CIS Microsoft Azure Foundations Benchmark v6\.0\.0 +\|/m,
    );
    // CW-AWS-S3-001 evidences UCF-DP-01, which maps to SOC 2 CC6.1 (and so on).
    expect(rows.find((r) => r.includes('CW-AWS-S3-001'))).toMatch(/soc2 2017: [^;|]*CC6\.1/);
  });
});
