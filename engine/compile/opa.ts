/**
 * Runs the pinned OPA CLI. The binary comes from COMPLYWISE_OPA, else scripts/install-opa.sh (which caches it).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EngineError, ERROR_CODES } from '../errors.ts';

const execFileAsync = promisify(execFile);
const installScript = fileURLToPath(new URL('../../scripts/install-opa.sh', import.meta.url));

export interface OpaResult {
  code: number;
  stdout: string;
  stderr: string;
}

let resolved: Promise<string> | undefined;

/** Path of the opa binary (COMPLYWISE_OPA, or the one scripts/install-opa.sh installs). */
export function resolveOpa(): Promise<string> {
  const fromEnv = process.env.COMPLYWISE_OPA;
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      return Promise.reject(
        new EngineError(ERROR_CODES.OPA_FAILED, `COMPLYWISE_OPA=${fromEnv} does not exist`),
      );
    }
    return Promise.resolve(fromEnv);
  }
  resolved ??= execFileAsync('bash', [installScript], { encoding: 'utf8' }).then(
    (r) => r.stdout.trim(),
    (e: Error & { stderr?: string }) => {
      resolved = undefined;
      throw new EngineError(
        ERROR_CODES.OPA_FAILED,
        `could not install OPA: ${e.stderr?.trim() || e.message}`,
      );
    },
  );
  return resolved;
}

/** Runs opa with args in cwd; never throws on a non-zero exit (callers read code/stdout/stderr). */
export function runOpa(
  opa: string,
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<OpaResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(opa, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) =>
      reject(new EngineError(ERROR_CODES.OPA_FAILED, `could not run ${opa}: ${e.message}`)),
    );
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    // opa may exit before reading its stdin (most commands never do): EPIPE on that pipe is expected and
    // must not surface as an unhandled error; the exit code and stderr tell what happened.
    child.stdin.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') reject(new EngineError(ERROR_CODES.OPA_FAILED, `writing to opa: ${e.message}`));
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs opa and throws OPA_FAILED unless it exits 0. */
export async function runOpaOk(
  opa: string,
  args: string[],
  options: { cwd?: string; stdin?: string } = {},
): Promise<string> {
  const r = await runOpa(opa, args, options);
  if (r.code !== 0) {
    throw new EngineError(ERROR_CODES.OPA_FAILED, `opa ${args[0]} failed: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

/** The version of the opa binary, e.g. "1.22.3". */
export async function opaVersion(opa: string): Promise<string> {
  const out = await runOpaOk(opa, ['version']);
  const match = /^Version: (\S+)$/m.exec(out);
  if (!match?.[1]) throw new EngineError(ERROR_CODES.OPA_FAILED, `cannot read the version of ${opa}`);
  return match[1];
}

/** One error from `opa check|test|parse --format json`. */
export interface OpaJsonError {
  message: string;
  code: string;
  location?: { file: string; row: number; col: number };
}

/** Parses the `{ "errors": [...] }` document OPA prints with --format json; null when it is not one. */
export function parseOpaErrors(text: string): OpaJsonError[] | null {
  try {
    const parsed = JSON.parse(text) as { errors?: OpaJsonError[] };
    return Array.isArray(parsed.errors) ? parsed.errors : null;
  } catch {
    return null;
  }
}
