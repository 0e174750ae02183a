/**
 * One build of the repository's whole rule tree per test run, shared by the test files that need the unchanged
 * tree compiled (engine/compile/build.test.ts, engine/differential.test.ts, bin/commands/rules.test.ts). A whole
 * build is OPA CLI work that grows with the rule tree (about 45 s of wall time at 335 rules on an idle 2-core
 * machine, most of it `opa check --strict` and `opa test`); each of these files used to run its own.
 *
 * The build is lazy: the first file that asks for it builds it, in its own worker, into the run's folder
 * (test/run-folder.ts provides it); files asking later wait for it, or find it done. A full run of
 * scripts/test.sh builds nothing here: its bundle check has just built the whole tree, and that build is
 * adopted before the first file starts (`adoptCheckedRuleBuild`). A run that selects none
 * of these files (`--fast`, a single other file) never builds. The output is read only: a test that changes or
 * breaks rules builds a small copy of its own (copyOfSomeRules in engine/testing.ts).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import type { Catalog } from '../engine/catalog.ts';
import {
  BUNDLE_FILES,
  CHECKED_BUNDLE_DIR,
  compileBundle,
  type BuildOutput,
} from '../engine/compile/build.ts';
import { formatProblem, SourceError } from '../engine/errors.ts';
// The run folder's type for inject() is declared there.
import type {} from './run-folder.ts';

export interface SharedRuleBuild {
  /** What compileBundle returned for the repository's rules/ (the committed sources). */
  output: BuildOutput;
  /** The build folder: `src/` holds the Rego the bundle was compiled from (what `opa eval -d` reads). */
  buildDir: string;
}

/** How long a file waits for the build another file started (a whole build under a loaded full run: minutes). */
const WAIT_MS = 280_000;

interface Done {
  revision: string;
  opaVersion: string;
  catalog: Catalog;
}

/** This process's build or wait, for the run folder it was made in (a worker may serve several runs). */
let shared: { runFolder: string; build: Promise<SharedRuleBuild> } | undefined;

/**
 * The repository's rules compiled once for the whole run. Rejects when the build fails (a rule, a fixture or
 * a hand-written test of the repository fails): every file that needs it fails with the same reason.
 */
export function sharedRuleBuild(): Promise<SharedRuleBuild> {
  const runFolder = inject('runFolder');
  if (!runFolder) {
    return Promise.reject(
      new Error('no run folder: run the tests through vitest.config.ts (test/run-folder.ts)'),
    );
  }
  if (shared?.runFolder !== runFolder) shared = { runFolder, build: ruleBuildIn(runFolder) };
  return shared.build;
}

/** Where a run folder holds its shared build. */
function layout(runFolder: string) {
  const dir = join(runFolder, 'rule-build');
  return {
    dir,
    buildDir: join(dir, 'build'),
    bundleDir: join(dir, 'bundle'),
    doneFile: join(dir, 'done.json'),
    failedFile: join(dir, 'failed.txt'),
    ownerFile: join(dir, 'owner'),
  };
}

/**
 * Makes the build of `rules build --check --build-dir <checkedBuildDir>` the run's shared build, so the run does
 * not build the whole tree a second time (scripts/test.sh checks the committed bundle just before the tests).
 * The bundle is the one the check built (kept in its CHECKED_BUNDLE_DIR), not the committed rules/dist, so
 * build.test.ts still compares a fresh build with what is committed; the check's staging folder is the build
 * folder (the Rego `opa eval -d` reads). Called by the run's global setup (test/run-folder.ts), before any file
 * asks for the build.
 */
export async function adoptCheckedRuleBuild(runFolder: string, checkedBuildDir: string): Promise<void> {
  const paths = layout(runFolder);
  const fresh = join(checkedBuildDir, CHECKED_BUNDLE_DIR);
  if (!existsSync(join(checkedBuildDir, 'src')) || !existsSync(fresh)) {
    throw new Error(`${checkedBuildDir} holds no checked rule build (src/ and ${CHECKED_BUNDLE_DIR}/)`);
  }
  await mkdir(paths.bundleDir, { recursive: true });
  await symlink(checkedBuildDir, paths.buildDir);
  for (const name of BUNDLE_FILES) await copyFile(join(fresh, name), join(paths.bundleDir, name));
  const catalog = JSON.parse(await readFile(join(paths.bundleDir, 'catalog.json'), 'utf8')) as Catalog;
  const done: Done = { revision: catalog.revision, opaVersion: catalog.opa_version, catalog };
  await writeFile(paths.doneFile, JSON.stringify(done));
}

/** The shared build in `runFolder`: built here if no file started it, else waited for or read back. */
export async function ruleBuildIn(runFolder: string): Promise<SharedRuleBuild> {
  const { dir, buildDir, bundleDir, doneFile, failedFile, ownerFile } = layout(runFolder);
  try {
    // mkdir is atomic: the one file that creates the folder builds, the others wait for its result.
    await mkdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return waitFor(dir, { buildDir, bundleDir, doneFile, failedFile, ownerFile });
  }
  await writeFile(ownerFile, String(process.pid));
  let output: BuildOutput;
  try {
    output = await compileBundle({ buildDir });
  } catch (e) {
    const reason =
      e instanceof SourceError ? e.problems.map(formatProblem).join('\n') : ((e as Error).stack ?? String(e));
    await writeFile(failedFile, reason);
    throw e;
  }
  await mkdir(bundleDir);
  for (const name of BUNDLE_FILES) await writeFile(join(bundleDir, name), output.files[name]);
  const done: Done = { revision: output.revision, opaVersion: output.opaVersion, catalog: output.catalog };
  // Written aside and renamed: a waiting file never reads half of it.
  await writeFile(`${doneFile}.part`, JSON.stringify(done));
  await rename(`${doneFile}.part`, doneFile);
  return { output, buildDir };
}

async function waitFor(
  dir: string,
  paths: { buildDir: string; bundleDir: string; doneFile: string; failedFile: string; ownerFile: string },
): Promise<SharedRuleBuild> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(paths.doneFile)) break;
    if (existsSync(paths.failedFile)) {
      throw new Error(`the shared rule build failed:\n${await readFile(paths.failedFile, 'utf8')}`);
    }
    const owner = Number(await readFile(paths.ownerFile, 'utf8').catch(() => '0'));
    if (owner && !alive(owner)) {
      throw new Error(`the process building the shared rules (pid ${owner}) ended without a result (${dir})`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the shared rule build (pid ${owner || '?'}) did not finish in ${WAIT_MS / 1000} s`);
    }
    await sleep(250);
  }
  const done = JSON.parse(await readFile(paths.doneFile, 'utf8')) as Done;
  const files = Object.fromEntries(
    await Promise.all(BUNDLE_FILES.map(async (name) => [name, await readFile(join(paths.bundleDir, name))])),
  ) as BuildOutput['files'];
  return { output: { ...done, files }, buildDir: paths.buildDir };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
