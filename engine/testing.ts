/**
 * Test support (used by *.test.ts only): temporary rule trees to build, so tests can break a rule on purpose
 * without touching rules/.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceError, type SourceProblem } from './errors.ts';
import { DEFAULT_FRAMEWORKS_DIR, DEFAULT_RULES_DIR } from './paths.ts';

export interface TempDir {
  path: string;
  /** Writes a file under the folder (creating parents). */
  write(relPath: string, text: string): Promise<string>;
  read(relPath: string): Promise<string>;
  remove(): Promise<void>;
}

/** A fresh temporary folder. */
export async function tempDir(prefix = 'complywise-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async write(relPath, text) {
      const file = join(path, relPath);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    read: (relPath) => readFile(join(path, relPath), 'utf8'),
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** A temporary copy of the repository's rules (without dist/ and .build/), under `<tmp>/rules`. */
export async function copyOfRules(): Promise<TempDir & { rules: string }> {
  const dir = await tempDir('complywise-rules-');
  const rules = join(dir.path, 'rules');
  await cp(DEFAULT_RULES_DIR, rules, {
    recursive: true,
    filter: (src) => !/[\\/](dist|\.build)([\\/]|$)/.test(src.slice(DEFAULT_RULES_DIR.length - 1)),
  });
  return { ...dir, rules };
}

/**
 * A temporary rules folder holding only `folders` (paths under rules/, e.g. `aws/s3/bucket-not-public`) of the
 * repository's rules. Tests that build broken or changed rules use one: what they check (problems, locations,
 * revisions, exit codes) does not depend on how many other rules build beside them, and OPA's work over a few
 * rules is a fraction of its work over all of them.
 */
export async function copyOfSomeRules(folders: readonly string[]): Promise<TempDir & { rules: string }> {
  const dir = await tempDir('complywise-some-rules-');
  const rules = join(dir.path, 'rules');
  for (const folder of folders) {
    await cp(join(DEFAULT_RULES_DIR, folder), join(rules, folder), { recursive: true });
  }
  return { ...dir, rules };
}

/** A temporary copy of the repository's frameworks/ folder; added to `track` (if given) for cleanup. */
export async function copyOfFrameworks(track?: TempDir[]): Promise<TempDir> {
  const dir = await tempDir('complywise-frameworks-');
  track?.push(dir);
  await cp(DEFAULT_FRAMEWORKS_DIR, dir.path, { recursive: true });
  return dir;
}

/**
 * Our own small OSCAL catalog, the same in both encodings (engine/testdata/oscal/): CSF-style ids in groups,
 * controls, an enhancement, a withdrawn control, params and item parts, all in invented wording. The always-on
 * tests import it where the reference tier imports NIST's real catalogs (test/reference.ts).
 */
export const EXAMPLE_OSCAL_CATALOG = {
  json: fileURLToPath(new URL('./testdata/oscal/example-catalog.json', import.meta.url)),
  xml: fileURLToPath(new URL('./testdata/oscal/example-catalog.xml', import.meta.url)),
} as const;

/** The problems of the SourceError `promise` rejects with; throws when it settles any other way. */
export async function problemsOf(promise: Promise<unknown>): Promise<SourceProblem[]> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof SourceError)) throw new Error(`expected a SourceError, got ${String(error)}`);
  return error.problems;
}

/** A normalized S3 bucket for tests: every attribute readable and compliant unless overridden. */
export function bucket(name: string, attributes: Record<string, unknown> = {}, absent: string[] = []) {
  const base: Record<string, unknown> = {
    creation_date: '2025-03-14T09:26:53.000Z',
    encryption: { enabled: true, algorithm: 'AES256', kms_key_id: null, bucket_key_enabled: false },
    public_access_block: {
      block_public_acls: true,
      ignore_public_acls: true,
      block_public_policy: true,
      restrict_public_buckets: true,
    },
    versioning: { status: 'Enabled', mfa_delete: false },
    logging: { enabled: true, target_bucket: 'acme-logs', target_prefix: `${name}/` },
    policy_status: { is_public: false, has_policy: true },
    ...attributes,
  };
  for (const key of absent) delete base[key];
  return {
    id: `arn:aws:s3:::${name}`,
    provider: 'aws' as const,
    account: '111122223333',
    region: 'eu-west-1',
    type: 'aws.s3.bucket',
    name,
    attributes: base,
    collected_at: '2026-11-26T10:00:00.000Z',
  };
}
