import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem } from '../errors.ts';
import { DEFAULT_RULES_DIR } from '../paths.ts';
import { collectRulePacks } from './rule-packs.ts';
import { collectRuleSources } from './rule-sources.ts';

const RULE_IDS = ['CW-AWS-S3-001', 'CW-AWS-S3-002', 'CW-AWS-IAM-001'];

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cw-packs-'));
  await mkdir(join(root, 'packs'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

const pack = (id: string, rules: string) =>
  `id: ${id}\nversion: 1.0.0\ntitle: A pack\ndescription: Our words.\nreference_source: A benchmark 1.0\nrules:\n${rules}`;

async function problemsOf(files: Record<string, string>): Promise<string[]> {
  for (const [name, text] of Object.entries(files)) await writeFile(join(root, 'packs', name), text);
  const { problems } = await collectRulePacks(root, RULE_IDS);
  return problems.map((p) => formatProblem(p).replace(`${root}/`, ''));
}

describe('rule packs', () => {
  it('loads a pack with its references, source file and content hash', async () => {
    await writeFile(
      join(root, 'packs', 'good.yaml'),
      pack('good', "  - id: CW-AWS-S3-002\n    references: ['2.1.4']\n  - id: CW-AWS-IAM-001\n"),
    );
    const { packs, problems } = await collectRulePacks(root, RULE_IDS);
    expect(problems).toEqual([]);
    expect(packs).toEqual([
      expect.objectContaining({
        id: 'good',
        version: '1.0.0',
        reference_source: 'A benchmark 1.0',
        source: 'packs/good.yaml',
        rules: [
          { id: 'CW-AWS-S3-002', references: ['2.1.4'] },
          { id: 'CW-AWS-IAM-001', references: [] },
        ],
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      }),
    ]);
  });

  it('reports every problem of every pack in one run, each at its file and line, with a did-you-mean', async () => {
    const problems = await problemsOf({
      'a.yaml': pack('a', '  - id: CW-AWS-S3-002\n  - id: CW-AWS-S3-02\n  - id: CW-AWS-S3-002\n'),
      'broken.yaml': 'id: broken\nrules: [\n',
      'misnamed.yaml': pack('other', '  - id: CW-AWS-ZZZ-999\n'),
      'schema.yaml': 'id: schema\nversion: one\ntitle: x\ndescription: y\nrules: []\n',
    });
    expect(problems).toEqual([
      'packs/a.yaml:8: field rules[1].id: must match pattern "^CW-[A-Z0-9]+(-[A-Z0-9]+)*-[0-9]{3}$"',
      expect.stringMatching(/^packs\/broken\.yaml:\d+: YAML syntax: /),
      'packs/misnamed.yaml:1: field id: pack other must be in a file named other.yaml, not misnamed.yaml',
      'packs/misnamed.yaml:7: field rules[0].id: no rule CW-AWS-ZZZ-999 under rules/',
      'packs/schema.yaml:2: field version: must match pattern "^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$"',
      'packs/schema.yaml:5: field rules: must NOT have fewer than 1 items',
    ]);
  });

  it('names the closest rule id for a typo and the first line of a repeated rule', async () => {
    const problems = await problemsOf({
      'a.yaml': pack('a', '  - id: CW-AWS-S3-002\n  - id: CW-AWS-IAM-011\n  - id: CW-AWS-S3-002\n'),
    });
    expect(problems).toEqual([
      'packs/a.yaml:8: field rules[1].id: no rule CW-AWS-IAM-011 under rules/ (did you mean CW-AWS-IAM-001?)',
      'packs/a.yaml:9: field rules[2].id: CW-AWS-S3-002 is already listed at line 7',
    ]);
  });

  it('has no packs when the folder is missing', async () => {
    await rm(join(root, 'packs'), { recursive: true });
    expect(await collectRulePacks(root, RULE_IDS)).toEqual({ packs: [], problems: [] });
  });

  it('the shipped packs name only rules that exist, and reference outside ids only with a source', async () => {
    const { ids } = await collectRuleSources(DEFAULT_RULES_DIR, null);
    const { packs, problems } = await collectRulePacks(DEFAULT_RULES_DIR, [...ids]);
    expect(problems).toEqual([]);
    expect(packs.map((p) => p.id)).toEqual([
      'aws-foundational-best-practices',
      'azure-baseline',
      'cis-aws-foundations-5.0-l1',
      'cis-azure-foundations-6.0-l1',
      'cis-github-1.0',
      'github-baseline',
      'okta-baseline',
    ]);
    for (const p of packs) {
      const referenced = p.rules.some((r) => r.references.length > 0);
      expect(referenced, p.id).toBe(p.reference_source !== null);
    }
  });
});
