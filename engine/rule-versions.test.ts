import { execFileSync } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.ts';
import { loadPolicyEngine } from './evaluate.ts';
import { DEFAULT_BUNDLE_DIR, DEFAULT_RULES_DIR } from './paths.ts';
import { bundleGitCommit, deployedRuleVersions } from './rule-versions.ts';
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

  it('knows the commit of a bundle committed unchanged in a git checkout, and only then', async () => {
    const repo = await tempDir();
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: repo.path,
        encoding: 'utf8',
      }).trim();
    try {
      const bundle = join(repo.path, 'rules', 'dist');
      await cp(DEFAULT_BUNDLE_DIR, bundle, { recursive: true });
      expect(await bundleGitCommit(bundle)).toBeNull(); // not a checkout yet
      git('init', '-q');
      git('add', 'rules/dist/catalog.json');
      git('commit', '-q', '-m', 'part of the bundle');
      expect(await bundleGitCommit(bundle)).toBeNull(); // policy.wasm and the rest untracked
      git('add', 'rules');
      git('commit', '-q', '-m', 'the bundle');
      const head = git('rev-parse', 'HEAD');
      expect(await bundleGitCommit(bundle)).toBe(head);
      await repo.write('rules/dist/notes.txt', 'untracked files beside the bundle do not matter');
      expect(await bundleGitCommit(bundle)).toBe(head);
      await repo.write('rules/dist/catalog.json', `${await repo.read('rules/dist/catalog.json')}\n`);
      expect(await bundleGitCommit(bundle)).toBeNull(); // rebuilt or edited since the commit
      git('add', 'rules/dist/catalog.json');
      expect(await bundleGitCommit(bundle)).toBeNull(); // staged is not committed
    } finally {
      await repo.remove();
    }
  });
});
