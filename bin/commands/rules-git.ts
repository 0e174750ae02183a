/**
 * A rule's history from git, for `complywise rules history` and `rules diff`: every commit that changed the
 * rule's sources (rule.yaml, policy.rego), with the version and content hash the rule had there. Until the
 * rule-version registry exists (issue 3, "Rule versions for auditors"), git is the record.
 */
import { execFile } from 'node:child_process';
import { relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { ruleHash } from '../../engine/compile/rule-sources.ts';
import { EngineError, ERROR_CODES } from '../../engine/errors.ts';

const execFileAsync = promisify(execFile);

/** One version of a rule as committed. */
export interface RuleRevision {
  commit: string;
  date: string;
  subject: string;
  /** The `version:` in rule.yaml at that commit. */
  version: string | null;
  /** The rule's content hash at that commit (the `rule_hash` findings carry). */
  hash: string;
}

async function git(cwd: string, args: string[]): Promise<string> {
  try {
    return (await execFileAsync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new EngineError(
      ERROR_CODES.OPA_FAILED,
      `git ${args[0]} failed: ${err.stderr?.trim() || err.message}`,
    );
  }
}

async function repoRoot(dir: string): Promise<string> {
  return (await git(dir, ['rev-parse', '--show-toplevel'])).trim();
}

async function showOptional(root: string, commit: string, path: string): Promise<string | null> {
  try {
    return (await execFileAsync('git', ['show', `${commit}:${path}`], { cwd: root, encoding: 'utf8' }))
      .stdout;
  } catch {
    return null;
  }
}

/** The paths (relative to the repository) of a rule folder's sources. */
async function sourcePaths(ruleDir: string): Promise<{ root: string; yaml: string; rego: string }> {
  const root = await repoRoot(ruleDir);
  const folder = relative(root, ruleDir).split(sep).join('/');
  return { root, yaml: `${folder}/rule.yaml`, rego: `${folder}/policy.rego` };
}

/** Every commit that changed the rule's sources, newest first. */
export async function ruleHistory(ruleDir: string): Promise<RuleRevision[]> {
  const { root, yaml, rego } = await sourcePaths(ruleDir);
  const log = await git(root, ['log', '--format=%H%x09%aI%x09%s', '--', yaml, rego]);
  const revisions: RuleRevision[] = [];
  for (const line of log.split('\n').filter(Boolean)) {
    const [commit, date, ...subject] = line.split('\t');
    const yamlText = await showOptional(root, commit!, yaml);
    if (yamlText === null) continue; // the commit deleted the rule
    const regoText = await showOptional(root, commit!, rego);
    const files = [{ name: 'rule.yaml', text: yamlText }];
    if (regoText !== null) files.push({ name: 'policy.rego', text: regoText });
    revisions.push({
      commit: commit!,
      date: date!,
      subject: subject.join('\t'),
      version: /^version:\s*['"]?([^'"\s]+)/m.exec(yamlText)?.[1] ?? null,
      hash: ruleHash(files),
    });
  }
  return revisions;
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * A unified diff of the rule's sources between two points: each a git revision, or a rule version (1.2.0:
 * the newest commit where the rule had it). `to` absent: the working tree.
 */
export async function ruleDiff(ruleDir: string, from: string, to?: string): Promise<string> {
  const { root, yaml, rego } = await sourcePaths(ruleDir);
  let history: RuleRevision[] | undefined;
  const resolve = async (point: string): Promise<string> => {
    if (!SEMVER.test(point)) return point;
    history ??= await ruleHistory(ruleDir);
    const found = history.find((r) => r.version === point);
    if (!found) {
      const known = [...new Set(history.map((r) => r.version))].join(', ') || 'none committed';
      throw new EngineError(
        ERROR_CODES.UNKNOWN_RULE,
        `the rule never had version ${point} (versions: ${known})`,
      );
    }
    return found.commit;
  };
  const points = [await resolve(from), ...(to ? [await resolve(to)] : [])];
  return git(root, ['diff', '--no-color', ...points, '--', yaml, rego]);
}
