/**
 * Makes sure app/build holds a build of the current app sources before the browser test serves it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const repositoryRoot = resolve(import.meta.dirname, '..', '..');
const appDir = join(repositoryRoot, 'app');

/** The folder the API serves at `/`. */
export const appBuildDir = join(appDir, 'build');

/** Newest modification time (ms) among the files that shape the build. */
function newestSourceMtime(): number {
  let newest = 0;
  const visit = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else if (!path.endsWith('.test.ts')) {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const source of ['src', 'static', 'vite.config.ts', 'package.json', 'tsconfig.json']) {
    const path = join(appDir, source);
    if (existsSync(path)) visit(path);
  }
  return newest;
}

/** True when app/build is missing or older than any app source file. */
export function appBuildIsStale(): boolean {
  const index = join(appBuildDir, 'index.html');
  return !existsSync(index) || statSync(index).mtimeMs < newestSourceMtime();
}

/** A lock older than this belongs to a build that died; builds take seconds. */
const STALE_LOCK_MS = 5 * 60_000;

/**
 * Runs `fn` while holding a lock shared by every process of this checkout: two test runs building at once
 * would delete each other's app/.svelte-kit output. A directory is the lock because mkdir is atomic.
 */
function withBuildLock<T>(fn: () => T): T {
  const key = createHash('sha256').update(appDir).digest('hex').slice(0, 16);
  const lock = join(tmpdir(), `complywise-app-build-${key}.lock`);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 200);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Runs `npm run build -w app` when the build is missing or stale (checked again under the lock, since
 * another process may just have built it). npm runs under the Node that runs this test, never an older
 * system Node, and builds for production whatever NODE_ENV the test runner set.
 */
export function ensureAppBuild(): void {
  if (!appBuildIsStale()) return;
  withBuildLock(() => {
    if (!appBuildIsStale()) return;
    execFileSync('npm', ['run', 'build', '-w', 'app'], {
      cwd: repositoryRoot,
      stdio: 'pipe',
      // vitest sets NODE_ENV=test, which would make Vite pick Svelte's development builds.
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
      },
    });
  });
}
