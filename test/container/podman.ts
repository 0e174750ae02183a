/**
 * Podman as the container test uses it, and the answer to "can this machine run containers at all?".
 *
 * Found on our machines (Debian 12, podman 4.3): the default crun cannot start a container (setrlimit is
 * not permitted, cgroups are hybrid). Debian's runc with the cgroupfs manager and explicit file and process
 * limits runs them, with networking, so every call goes through those flags.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Global flags (before the subcommand) and the limits a build or a run needs on these machines. */
const GLOBAL_FLAGS = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
export const LIMIT_FLAGS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

/** The Debian packages the test needs, by the command each one provides. */
const REQUIRED_COMMANDS: Record<string, string> = {
  podman: 'podman',
  runc: 'runc',
  mmdebstrap: 'mmdebstrap',
};

/** Output of a command that succeeded; a failure throws with the command's stderr in the message. */
export async function command(file: string, args: string[], timeoutMs = 600_000): Promise<string> {
  try {
    const { stdout } = await run(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const tail = `${stdout ?? ''}\n${stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${file} ${args.slice(0, 6).join(' ')} failed: ${tail || String(error)}`, {
      cause: error,
    });
  }
}

/** Runs podman with the flags this machine needs. */
export function podman(args: string[], timeoutMs?: number): Promise<string> {
  return command('podman', [...GLOBAL_FLAGS, ...args], timeoutMs);
}

async function hasCommand(name: string): Promise<boolean> {
  return command('sh', ['-c', `command -v ${name}`]).then(
    () => true,
    () => false,
  );
}

/**
 * Installs podman, runc and mmdebstrap with apt when one is missing. Returns why the test cannot run
 * (no apt, not root, the install failed), or null when every tool is there.
 */
export async function ensureContainerTools(): Promise<string | null> {
  const missing: string[] = [];
  for (const [name, pkg] of Object.entries(REQUIRED_COMMANDS))
    if (!(await hasCommand(name))) missing.push(pkg);
  if (missing.length === 0) return null;
  if (!(await hasCommand('apt-get'))) return `${missing.join(', ')} missing and apt-get is not available`;
  if (process.getuid?.() !== 0) return `${missing.join(', ')} missing and installing needs root`;
  try {
    await command('apt-get', ['update', '-q']);
    await command('env', ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', ...missing]);
    return null;
  } catch (error) {
    return `could not install ${missing.join(', ')} with apt: ${(error as Error).message}`;
  }
}
