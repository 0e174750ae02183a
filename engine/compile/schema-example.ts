/**
 * Example attribute values from a resource type's JSON Schema, for `complywise rules new`: the scaffolded
 * fixtures start as valid resources of the type instead of `attributes: {}`. A value comes from the schema's
 * `examples`, `default`, `const` or first `enum` value, else a placeholder of its type and format.
 */
import { branches, declaredTypes, type SchemaNode } from './attribute-schema.ts';

/** Placeholders for string formats, valid under ajv-formats. */
const FORMAT_EXAMPLES: Record<string, string> = {
  'date-time': '2026-01-01T00:00:00.000Z',
  date: '2026-01-01',
  time: '00:00:00Z',
  email: 'owner@example.com',
  uri: 'https://example.com/',
  url: 'https://example.com/',
  hostname: 'example.com',
  ipv4: '10.0.0.1',
  ipv6: 'fd00::1',
  uuid: '00000000-0000-4000-8000-000000000000',
};

/** The branch an example follows: the first one (through oneOf/anyOf/allOf) that is not just `null`. */
function concrete(node: SchemaNode): SchemaNode {
  const candidates = branches(node).filter((b) => declaredTypes(b).some((t) => t !== 'null') || b.properties);
  return candidates[0] ?? node;
}

/** An example value for `node`. Objects hold their required properties (every property when `all`). */
export function exampleValue(node: SchemaNode, all = false): unknown {
  const picked = [node, concrete(node)].find(
    (n) => n.examples?.length || n.default !== undefined || n.const !== undefined || n.enum?.length,
  );
  if (picked) {
    if (picked.examples?.length) return picked.examples[0];
    if (picked.default !== undefined) return picked.default;
    if (picked.const !== undefined) return picked.const;
    return picked.enum!.find((v) => v !== null) ?? picked.enum![0];
  }
  const schema = concrete(node);
  const type = declaredTypes(schema).find((t) => t !== 'null') ?? (schema.properties ? 'object' : 'null');
  switch (type) {
    case 'string': {
      const text = FORMAT_EXAMPLES[schema.format ?? ''] ?? 'example';
      return text.padEnd(schema.minLength ?? 0, 'x');
    }
    case 'integer':
    case 'number':
      return schema.minimum ?? 0;
    case 'boolean':
      return true;
    case 'array': {
      const count = schema.minItems ?? 0;
      return Array.from({ length: count }, () => exampleValue(schema.items ?? {}));
    }
    case 'object': {
      const properties = schema.properties ?? {};
      const names = all ? Object.keys(properties) : (schema.required ?? []).filter((n) => n in properties);
      return Object.fromEntries(names.map((n) => [n, exampleValue(properties[n]!)]));
    }
    default:
      return null;
  }
}

/**
 * The first boolean attribute, depth first through nested objects (not lists) that the example fills in,
 * e.g. `["encryption", "enabled"]`; null when the type has none.
 */
export function firstBooleanPath(schema: SchemaNode, all = true): string[] | null {
  const node = concrete(schema);
  const properties = node.properties ?? {};
  const names = all ? Object.keys(properties) : (node.required ?? []);
  for (const name of names) {
    const child = properties[name];
    if (!child) continue;
    const types = declaredTypes(concrete(child));
    if (types.includes('boolean')) return [name];
    if (types.includes('object') || concrete(child).properties) {
      const inner = firstBooleanPath(child, false);
      if (inner) return [name, ...inner];
    }
  }
  return null;
}

/** Sets the value at `path` in a copy of `attributes` (whose objects along the path exist). */
export function withValue(attributes: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const object = attributes as Record<string, unknown>;
  return { ...object, [head!]: withValue(object[head!], rest, value) };
}
