import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../testing.ts';
import { requiredHostBuiltins } from '../wasm-abi.ts';
import { WASM_NATIVE_BUILTINS, wasmCapabilities, type Capabilities } from './capabilities.ts';
import { resolveOpa, runOpa, runOpaOk } from './opa.ts';
import { readTarGz } from './tar.ts';

interface Builtin {
  name: string;
  deprecated?: boolean;
  decl: { args?: unknown[] };
}

interface FullCapabilities extends Capabilities {
  builtins: Builtin[];
}

/** Compiles one rule per builtin call to wasm (with `caps`) and returns what the module needs from its host. */
async function hostBuiltinsFor(
  dir: TempDir,
  opa: string,
  names: string[],
  caps: Capabilities,
  full: Builtin[],
) {
  const decl = new Map(full.map((b) => [b.name, b]));
  const rules = names.map((name, i) => {
    const args = (decl.get(name)!.decl.args ?? []).map((_, k) => `input.a${k}`).join(', ');
    return `r${i} := ${name}(${args}) if true`;
  });
  await dir.write('src/probe.rego', `package probe\n\n${rules.join('\n\n')}\n`);
  await dir.write('caps.json', JSON.stringify(caps));
  const entrypoints = names.flatMap((_, i) => ['-e', `probe/r${i}`]);
  await runOpaOk(
    opa,
    ['build', '-t', 'wasm', '--capabilities', 'caps.json', ...entrypoints, '-o', 'b.tar.gz', 'src'],
    {
      cwd: dir.path,
    },
  );
  const wasm = readTarGz(await readFile(join(dir.path, 'b.tar.gz'))).get('policy.wasm')!;
  return requiredHostBuiltins(await loadPolicy(wasm));
}

describe('wasm capabilities', () => {
  let dir: TempDir;
  let opa: string;
  let full: FullCapabilities;
  beforeAll(async () => {
    dir = await tempDir();
    opa = await resolveOpa();
    full = JSON.parse((await runOpa(opa, ['capabilities', '--current'])).stdout);
  });
  afterAll(() => dir.remove());

  it('allows exactly builtins the wasm module implements itself (none needs the JS host)', async () => {
    // Deprecated builtins are refused by Rego v1 anyway; internal.* are the `in` operator and templates.
    const callable = WASM_NATIVE_BUILTINS.filter(
      (name) => !name.startsWith('internal.') && !full.builtins.find((b) => b.name === name)?.deprecated,
    );
    expect(callable.length).toBeGreaterThan(80);
    expect(await hostBuiltinsFor(dir, opa, callable, wasmCapabilities(full), full.builtins)).toEqual([]);
  });

  it('would notice a builtin that needs the host (the check above can fail)', async () => {
    const names = ['sprintf', 'upper'];
    expect(await hostBuiltinsFor(dir, opa, names, full, full.builtins)).toEqual(['sprintf']);
  });
});
