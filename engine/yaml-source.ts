/**
 * YAML (and JSON, which YAML 1.2 reads too) with positions: parse once, then map any JSON path or schema error
 * back to the line it came from, so every problem can be reported as file:line.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ERROR_CODES, SourceError, type ErrorCode, type SourceProblem } from './errors.ts';

export type JsonPath = readonly (string | number)[];

/** A parsed document that remembers where each value came from. */
export interface YamlSource {
  file: string;
  text: string;
  data: unknown;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** Parses YAML or JSON text; syntax errors (including duplicate keys) throw a SourceError with their lines. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new SourceError(
      doc.errors.map((e) => ({
        code: ERROR_CODES.YAML_SYNTAX,
        file,
        line: e.linePos?.[0].line ?? lineCounter.linePos(e.pos[0]).line,
        message: `YAML syntax: ${firstLine(e.message)}`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // An alias bomb ("Excessive alias count") or a document nested too deep to build: the input's fault.
    throw new SourceError([
      {
        code: ERROR_CODES.YAML_SYNTAX,
        file,
        line: 1,
        message: `YAML cannot be expanded: ${firstLine((error as Error).message)} (aliases are limited to 100 expansions)`,
      },
    ]);
  }
  return { file, text, data, doc, lineCounter };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** The node at a path, or the deepest ancestor that exists; `keyOf` returns the key node of the last step. */
function walk(src: YamlSource, path: JsonPath, keyOf: boolean): Node | null {
  let node: unknown = src.doc.contents;
  let found: Node | null = (node as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) break;
      if (last && keyOf && isScalar(pair.key)) return pair.key;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(step)];
      if (item === undefined) break;
      node = item;
    } else break;
    if (node && typeof node === 'object' && 'range' in node) found = node as Node;
  }
  return found;
}

function lineOfNode(src: YamlSource, node: Node | null): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : src.lineCounter.linePos(offset).line;
}

/** Line of the value at `path` (or of its deepest existing ancestor). */
export function lineAt(src: YamlSource, path: JsonPath): number {
  return lineOfNode(src, walk(src, path, false));
}

/** Line of the key that introduces the value at `path` (falls back to lineAt). */
export function keyLineAt(src: YamlSource, path: JsonPath): number {
  return lineOfNode(src, walk(src, path, true));
}

/** `a.b[0].c` for people, from a JSON path. */
export function fieldName(path: JsonPath): string {
  let out = '';
  for (const step of path) out += typeof step === 'number' ? `[${step}]` : out ? `.${step}` : step;
  return out || '(document)';
}

/** Splits an ajv instancePath (a JSON pointer) into steps; numeric steps become numbers. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function describeSchemaError(e: ErrorObject): { path: (string | number)[]; message: string; atKey: boolean } {
  const path = pointerToPath(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required', atKey: false };
    case 'additionalProperties':
      return {
        path: [...path, String(params.additionalProperty)],
        message: 'is not a known field',
        atKey: true,
      };
    case 'enum':
      return {
        path,
        message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        atKey: false,
      };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}`, atKey: false };
    default:
      return { path, message: e.message ?? 'is invalid', atKey: false };
  }
}

/**
 * Validates `src.data` (or `data` when given) and returns one problem per schema error, each at the line of
 * the field it is about, naming that field.
 */
export function schemaProblems(
  src: YamlSource,
  validate: ValidateFunction,
  code: ErrorCode = ERROR_CODES.SCHEMA_INVALID,
  data: unknown = src.data,
  basePath: JsonPath = [],
): SourceProblem[] {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const problems: SourceProblem[] = [];
  const errors = validate.errors ?? [];
  // A value that fails oneOf/anyOf gets a summary error plus one per branch. When some branch got further
  // (an error deeper inside the value), the other branches' "must be <type>" errors are noise.
  const alternatives = new Set(
    errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath),
  );
  const deeper = (path: string) => errors.some((e) => e.instancePath.startsWith(`${path}/`));
  for (const e of errors) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    if (e.keyword === 'type' && alternatives.has(e.instancePath) && deeper(e.instancePath)) continue;
    const { path, message, atKey } = describeSchemaError(e);
    const full = [...basePath, ...path];
    const text = `field ${fieldName(full)}: ${message}`;
    if (seen.has(text)) continue;
    seen.add(text);
    const line = atKey ? keyLineAt(src, full) : lineAt(src, full);
    problems.push({ code, file: src.file, line, message: text });
  }
  return problems;
}
