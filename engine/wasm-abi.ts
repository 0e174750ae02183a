/**
 * What a compiled policy.wasm needs from its host, read through the OPA wasm ABI (`builtins` and
 * `opa_json_dump` are exports every OPA wasm module has).
 */
import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

interface AbiExports {
  builtins(): number;
  opa_json_dump(addr: number): number;
}

/** Names of the builtins the module expects the host (JavaScript) to implement. */
export function requiredHostBuiltins(policy: LoadedPolicy): string[] {
  // The SDK types these with the DOM's WebAssembly namespace, which our Node-only typings lack.
  const { wasmInstance, mem } = policy as unknown as {
    wasmInstance: { exports: AbiExports };
    mem: { buffer: ArrayBuffer };
  };
  const exports = wasmInstance.exports;
  const addr = exports.opa_json_dump(exports.builtins());
  const bytes = new Uint8Array(mem.buffer);
  let end = addr;
  while (bytes[end] !== 0) end++;
  const map = JSON.parse(new TextDecoder().decode(bytes.subarray(addr, end))) as Record<string, number>;
  return Object.keys(map).sort();
}

/** A readable reason from whatever the wasm SDK threw (an Error, a string from opa_abort, or {message}). */
export function describeWasmError(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}
