/**
 * What a deployment needs to register every rule version it puts in force (the auditors' registry): the bundle
 * carries `sources.json`, the exact sources of every rule (rule.yaml, and policy.rego for a Rego rule) next to
 * its version and content hash, so the registry never depends on a checkout of rules/.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Catalog } from './catalog.ts';
import { ruleHash } from './compile/rule-sources.ts';
import { EngineError, ERROR_CODES } from './errors.ts';
import { DEFAULT_BUNDLE_DIR } from './paths.ts';

export const RULE_SOURCES_FORMAT = 1;

const execFileAsync = promisify(execFile);

/** rules/dist/sources.json. */
export interface RuleSourcesFile {
  format: typeof RULE_SOURCES_FORMAT;
  revision: string;
  /** By rule id: the files in hashing order (rule.yaml, then policy.rego). */
  rules: Record<string, { version: string; hash: string; files: { name: string; text: string }[] }>;
}

/** One rule version as deployed, ready to upsert into a registry keyed by (rule_id, hash). */
export interface RuleVersionRecord {
  rule_id: string;
  version: string;
  hash: string;
  files: { name: string; text: string }[];
  bundle_revision: string;
  /** The commit the bundle was built from, when the deployer knows it. */
  git_commit: string | null;
}

/** Serialises sources.json exactly as the build commits it. */
export function serializeRuleSources(file: RuleSourcesFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The rule versions of a bundle (default rules/dist), each checked against its content hash and the bundle's
 * catalog. Throws BUNDLE_INVALID when sources.json is missing, from another build, or altered.
 */
export async function deployedRuleVersions(
  bundleDir: string = DEFAULT_BUNDLE_DIR,
  gitCommit: string | null = null,
): Promise<RuleVersionRecord[]> {
  const read = async <T>(name: string): Promise<T> => {
    try {
      return JSON.parse(await readFile(join(bundleDir, name), 'utf8')) as T;
    } catch (e) {
      throw new EngineError(ERROR_CODES.BUNDLE_INVALID, `${join(bundleDir, name)}: ${(e as Error).message}`);
    }
  };
  const [catalog, sources] = await Promise.all([
    read<Catalog>('catalog.json'),
    read<RuleSourcesFile>('sources.json'),
  ]);
  if (sources.revision !== catalog.revision) {
    throw new EngineError(
      ERROR_CODES.BUNDLE_INVALID,
      'sources.json and catalog.json come from different builds',
    );
  }
  return catalog.rules.map((rule) => {
    const entry = sources.rules[rule.id];
    if (
      !entry ||
      entry.hash !== rule.hash ||
      ruleHash(entry.files) !== rule.hash ||
      entry.version !== rule.version
    ) {
      throw new EngineError(
        ERROR_CODES.BUNDLE_INVALID,
        `sources.json does not hold the sources of ${rule.id} ${rule.version} (hash ${rule.hash})`,
      );
    }
    return {
      rule_id: rule.id,
      version: rule.version,
      hash: rule.hash,
      files: entry.files,
      bundle_revision: catalog.revision,
      git_commit: gitCommit,
    };
  });
}

const BUNDLE_FILES = ['.manifest', 'catalog.json', 'policy.wasm', 'sources.json'];

async function gitIn(cwd: string, args: string[]): Promise<string | null> {
  try {
    return (await execFileAsync('git', args, { cwd, encoding: 'utf8' })).stdout.trim();
  } catch {
    return null; // not a checkout, no git, or the file is not tracked: no commit to claim
  }
}

/**
 * The commit the bundle in `bundleDir` was built from, when that can be known without being told: the folder
 * is inside a git checkout and its bundle files are committed at HEAD exactly as they are on disk (tracked, no
 * change staged or not). Otherwise null: a bundle edited or rebuilt since the commit is not that commit's.
 */
export async function bundleGitCommit(bundleDir: string = DEFAULT_BUNDLE_DIR): Promise<string | null> {
  const dir = resolve(bundleDir);
  if ((await gitIn(dir, ['rev-parse', '--is-inside-work-tree'])) !== 'true') return null;
  const tracked = await gitIn(dir, ['ls-files', '--', ...BUNDLE_FILES]);
  if (tracked === null || tracked.split('\n').filter(Boolean).length !== BUNDLE_FILES.length) return null;
  const changed = await gitIn(dir, ['status', '--porcelain', '--untracked-files=no', '--', ...BUNDLE_FILES]);
  if (changed === null || changed !== '') return null;
  const head = await gitIn(dir, ['rev-parse', 'HEAD']);
  return head && /^[0-9a-f]{40,64}$/.test(head) ? head : null;
}
