/**
 * Attribute paths against a resource type's JSON Schema (schemas/resources/<type>.schema.json), so a misspelt
 * attribute in a rule is refused at lint time instead of surfacing as fixtures that decide `error`. Follows
 * nested properties, array items and oneOf/anyOf/allOf branches; an object whose `additionalProperties` is a
 * schema or true (a map) takes any key.
 */
import { readdirSync } from 'node:fs';
import { validatorFor } from '../../schemas/index.ts';

/** The parts of a JSON Schema the lint reads. */
export interface SchemaNode {
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  minItems?: number;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  examples?: unknown[];
  default?: unknown;
  minimum?: number;
  minLength?: number;
}

/** Matches anything: the value under a map key or an untyped node. */
const ANY: SchemaNode = {};

/** The attributes schema of a resource type, or null when the type has none. */
export function attributesSchema(type: string): SchemaNode | null {
  return (validatorFor(`resources/${type}`)?.schema as SchemaNode | undefined) ?? null;
}

/** Every resource type that has a schema (schemas/resources/<type>.schema.json), sorted. */
export function resourceTypeNames(): string[] {
  return readdirSync(new URL('../../schemas/resources/', import.meta.url))
    .filter((f) => f.endsWith('.schema.json'))
    .map((f) => f.slice(0, -'.schema.json'.length))
    .sort();
}

/** The node and every branch it may take through oneOf/anyOf/allOf, flattened. */
export function branches(node: SchemaNode): SchemaNode[] {
  const nested = [...(node.oneOf ?? []), ...(node.anyOf ?? []), ...(node.allOf ?? [])];
  return [node, ...nested.flatMap(branches)];
}

/**
 * The JSON types a value at `node` may have (`integer` also counts as `number`), or null when the schema does
 * not restrict it.
 */
export function schemaTypes(node: SchemaNode): Set<string> | null {
  const types = new Set<string>();
  for (const b of branches(node)) {
    for (const t of declaredTypes(b)) types.add(t === 'integer' ? 'number' : t);
    if (b.const !== undefined || b.enum) for (const v of b.enum ?? [b.const]) types.add(jsonType(v));
  }
  return types.size ? types : null;
}

/** The JSON type of a value: null, boolean, number, string, array or object. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'an object',
  boolean: 'a boolean',
  null: 'null',
};

/** `a number or a string`, for messages. */
export function typeText(types: Iterable<string>): string {
  return [...types].map((t) => ARTICLE[t] ?? t).join(' or ');
}

/** The named properties of a node's object branches. */
export function propertyNames(node: SchemaNode): string[] {
  return [...new Set(branches(node).flatMap((b) => Object.keys(b.properties ?? {})))].sort();
}

/** The types one schema node declares (without looking into its branches). */
export function declaredTypes(node: SchemaNode): string[] {
  return node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
}

/** The schema of `key` under `node`, or null when no branch of `node` can hold such a key. */
function child(node: SchemaNode, key: string): SchemaNode | null {
  const found: SchemaNode[] = [];
  let open = false;
  for (const b of branches(node)) {
    const objectLike =
      b.properties !== undefined ||
      b.additionalProperties !== undefined ||
      declaredTypes(b).includes('object');
    if (!objectLike) continue;
    const property = b.properties?.[key];
    if (property) found.push(property);
    else if (typeof b.additionalProperties === 'object') found.push(b.additionalProperties);
    else if (b.additionalProperties !== false) open = true;
  }
  if (found.length === 0) return open || schemaTypes(node) === null ? ANY : null;
  return found.length === 1 ? found[0]! : { anyOf: found };
}

/** Where a path stops resolving: the step, and what `node` at that point offers instead. */
export interface PathProblem {
  /** Index in the path of the step that does not resolve. */
  index: number;
  message: string;
}

/**
 * Follows `path` (keys under `node`) and returns the schema it reaches, or why it does not resolve:
 * `has no attribute deletion_protectoin (did you mean deletion_protection?)`.
 */
export function resolvePath(
  node: SchemaNode,
  path: readonly string[],
  /** Shown before the path in messages, e.g. `access_keys[].` inside a quantifier. */
  prefix = '',
): { node: SchemaNode } | { problem: PathProblem } {
  let at = node;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const next = child(at, key);
    if (!next) {
      const parent = `${prefix}${path.slice(0, i).join('.')}`.replace(/\.$/, '');
      const where = parent ? ` under ${parent}` : '';
      const names = propertyNames(at);
      const types = schemaTypes(at);
      if (names.length === 0) {
        const type = typeText([...(types ?? [])].filter((t) => t !== 'null')) || 'not an object';
        return { problem: { index: i, message: `has no attribute ${key}: ${parent} is ${type}` } };
      }
      const guess = didYouMean(key, names);
      const hint = guess ? ` (did you mean ${guess}?)` : ` (known: ${names.join(', ')})`;
      return { problem: { index: i, message: `has no attribute ${key}${where}${hint}` } };
    }
    at = next;
  }
  return { node: at };
}

/** The schema of one element of the list at `node`, or null when `node` is not a list. */
export function elementSchema(node: SchemaNode): SchemaNode | null {
  const items = branches(node)
    .map((b) => b.items)
    .filter((i): i is SchemaNode => i !== undefined);
  if (items.length) return items.length === 1 ? items[0]! : { anyOf: items };
  const types = schemaTypes(node);
  return types === null || types.has('array') ? ANY : null;
}

/** Levenshtein distance between two strings. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest of `candidates` to `word`, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}
