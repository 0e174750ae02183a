import { cp, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.ts';
import { loadPolicyEngine } from './evaluate.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_RULES_DIR } from './paths.ts';
import { deployedRuleVersions } from './rule-versions.ts';
import { tempDir } from './testing.ts';

describe('rule versions carried by the bundle', () => {
  it('lists every rule of the committed bundle with its exact sources, version and hash', async () => {
    const engine = await loadPolicyEngine();
    const versions = await deployedRuleVersions(undefined, 'abc123');
    expect(versions.map((v) => [v.rule_id, v.version, v.hash])).toEqual(
      engine.catalog.rules.map((r) => [r.id, r.version, r.hash]),
    );
    const s3002 = versions.find((v) => v.rule_id === 'CW-AWS-S3-002')!;
    expect(s3002).toMatchObject({ bundle_revision: engine.revision, git_commit: 'abc123' });
    expect(s3002.files.map((f) => f.name)).toEqual(['rule.yaml', 'policy.rego']);
    expect(s3002.files[1]!.text).toBe(
      await readFile(`${DEFAULT_RULES_DIR}aws/s3/bucket-not-public/policy.rego`, 'utf8'),
    );
  });

  it('refuses altered sources', async () => {
    const dir = await tempDir();
    try {
      await cp(DEFAULT_BUNDLE_DIR, dir.path, { recursive: true });
      const text = await dir.read('sources.json');
      await dir.write('sources.json', text.replace('severity: critical', 'severity: low'));
      await expect(deployedRuleVersions(dir.path)).rejects.toMatchObject({
        code: ERROR_CODES.BUNDLE_INVALID,
        message: expect.stringMatching(/^sources\.json does not hold the sources of CW-/),
      });
    } finally {
      await dir.remove();
    }
  });
});
