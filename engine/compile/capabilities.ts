/**
 * The capabilities file the rules compile against: OPA's own capabilities cut down to the builtins the
 * WebAssembly target implements natively. A rule calling anything else (time.now_ns, http.send, sprintf...)
 * then fails `opa check` at build time, naming the builtin and its line, instead of throwing at evaluation.
 */

/**
 * Builtins compiled into the wasm module by OPA v1.22.3 (the keys of `builtinsFunctions` in
 * internal/compiler/wasm/wasm.go). Re-derive this list when the pinned OPA version changes.
 *
 * Deliberately absent: the builtins the JS SDK implements itself (sprintf, regex.split, yaml.*): they
 * differ from Go OPA, so `opa test` and the engine could disagree.
 */
// prettier-ignore
export const WASM_NATIVE_BUILTINS: readonly string[] = [
  'abs', 'all', 'and', 'any', 'array.concat', 'array.flatten', 'array.reverse', 'array.slice',
  'base64.decode', 'base64.encode', 'base64.is_valid', 'base64url.decode', 'base64url.encode', 'bits.and',
  'bits.lsh', 'bits.negate', 'bits.or', 'bits.rsh', 'bits.xor', 'ceil', 'concat', 'contains', 'count', 'div',
  'endswith', 'equal', 'floor', 'format_int', 'glob.match', 'graph.reachable', 'gt', 'gte', 'indexof',
  'internal.member_2', 'internal.member_3', 'internal.template_string', 'intersection', 'is_array',
  'is_boolean', 'is_null', 'is_number', 'is_object', 'is_set', 'is_string', 'json.filter', 'json.is_valid',
  'json.marshal', 'json.remove', 'json.unmarshal', 'lower', 'lt', 'lte', 'max', 'min', 'minus', 'mul', 'neq',
  'net.cidr_contains', 'net.cidr_intersects', 'net.cidr_overlap', 'numbers.range', 'object.filter',
  'object.get', 'object.keys', 'object.remove', 'object.union', 'object.union_n', 'or', 'plus', 'product',
  're_match', 'regex.find_all_string_submatch_n', 'regex.is_valid', 'regex.match', 'rem', 'replace', 'round',
  'set_diff', 'sort', 'split', 'startswith', 'strings.replace_n', 'strings.reverse', 'substring', 'sum',
  'to_number', 'trim', 'trim_left', 'trim_prefix', 'trim_right', 'trim_space', 'trim_suffix', 'type_name',
  'union', 'upper', 'walk',
];

/** `=` and `:=`: lowered by the compiler itself, never called as functions. */
const LANGUAGE_BUILTINS = ['eq', 'assign'];

/** Builtins the engine implements in JS and passes to loadPolicy (none yet; time.* would go here). */
export const ENGINE_HOST_BUILTINS: Record<string, (...args: unknown[]) => unknown> = {};

export interface Capabilities {
  builtins: { name: string }[];
  [key: string]: unknown;
}

/** Names a rule may call. */
export function allowedBuiltins(): Set<string> {
  return new Set([...WASM_NATIVE_BUILTINS, ...LANGUAGE_BUILTINS, ...Object.keys(ENGINE_HOST_BUILTINS)]);
}

/**
 * Restricts `opa capabilities --current` to the allowed builtins; keeps features and future keywords.
 * Fails when the allow-list names a builtin this OPA does not have (the list went stale).
 */
export function wasmCapabilities(full: Capabilities): Capabilities {
  const allowed = allowedBuiltins();
  const builtins = full.builtins.filter((b) => allowed.has(b.name));
  const known = new Set(full.builtins.map((b) => b.name));
  const unknown = [...allowed].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new Error(`the wasm builtin allow-list names builtins this OPA lacks: ${unknown.join(', ')}`);
  }
  return { ...full, builtins };
}
