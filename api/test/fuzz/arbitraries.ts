/**
 * fast-check arbitraries derived from the JSON schemas our routes declare (the keywords they use: type, and
 * arrays of types, const, enum, format uuid/date-time, pattern, min/maxLength, minimum/maximum, properties,
 * required, additionalProperties, maxProperties, items, and the empty "anything" schema). `valid` aims at
 * values the schema accepts, so requests reach the handlers; `invalid` breaks one thing at a time (wrong
 * type, huge or odd unicode string, missing required field, extra field). Strings also come from a pool of
 * values seen in real answers (ids, hashes, rule and control ids of both tenants), so a fuzzed id names a
 * real object of the caller's or the other tenant now and then.
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;

/**
 * Strings seen in real answers: `all` of them, and those a property of this name held (an `integration_id`
 * body field draws from integration ids, a `:controlId` path parameter from control ids).
 */
export interface Pool {
  all: readonly string[];
  forKey?(key: string): readonly string[];
}

const EMPTY_POOL: Pool = { all: [] };

/** Classic SQL-injection strings, sent verbatim in every string parameter by the injection test. */
export const SQL_INJECTION_PAYLOADS = [
  "' OR 1=1 --",
  "' OR '1'='1",
  "'; DROP TABLE findings; --",
  "'; DELETE FROM scans; --",
  "1'; UPDATE integrations SET name = 'pwned'; --",
  "' UNION SELECT id, tenant_id::text FROM tenants --",
  "admin'--",
  "\\'; SELECT pg_sleep(5); --",
  "'); SET ROLE postgres; --",
  "' AND set_config('app.tenant_id', '00000000-0000-0000-0000-000000000000', false) IS NOT NULL --",
  '" OR ""="',
  '%27%20OR%201%3D1--',
];

/** Strings that tend to break parsers, encoders and text columns. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '💥🔥',
  'ǅ̸̡̛',
  '../../etc/passwd',
  '%00',
  '%',
  '{}',
  'null',
  '-1',
  '1e309',
  'NaN',
  '\r\n',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
];

function types(schema: JsonSchema): string[] {
  const t = schema.type;
  if (Array.isArray(t)) return t as string[];
  if (typeof t === 'string') return [t];
  if (schema.properties) return ['object'];
  return [];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a pooled string fits the schema's format and pattern (so valid input stays mostly valid). */
function fitsFormat(schema: JsonSchema, value: string): boolean {
  if (schema.format === 'uuid' && !UUID.test(value)) return false;
  if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) return false;
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) return false;
  return true;
}

function stringArbitrary(schema: JsonSchema, pool: Pool): fc.Arbitrary<string> {
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = Math.min((schema.maxLength as number | undefined) ?? 40, 300);
  let base: fc.Arbitrary<string>;
  if (schema.format === 'uuid') base = fc.uuid();
  else if (schema.format === 'date-time')
    base = fc
      .date({
        min: new Date('1970-01-01T00:00:00Z'),
        max: new Date('2200-01-01T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
  else if (typeof schema.pattern === 'string') base = fc.stringMatching(new RegExp(schema.pattern as string));
  else
    base = fc.oneof(fc.string({ minLength, maxLength }), fc.string({ minLength, maxLength, unit: 'binary' }));
  const seen = pool.all.filter(
    (s) => s.length >= minLength && s.length <= maxLength && fitsFormat(schema, s),
  );
  if (seen.length === 0) return base;
  // An id or hash is worth more when it names a real object: favour seen values for formatted strings.
  const formatted = schema.format !== undefined || schema.pattern !== undefined;
  return fc.oneof(
    { arbitrary: base, weight: formatted ? 1 : 2 },
    { arbitrary: fc.constantFrom(...seen), weight: formatted ? 3 : 1 },
  );
}

/** Values the schema accepts (best effort: the checks below never depend on validity). */
export function valid(schema: JsonSchema, pool: Pool = EMPTY_POOL): fc.Arbitrary<unknown> {
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const options = types(schema);
  if (options.length === 0) return fc.jsonValue({ maxDepth: 2 });
  return fc.oneof(...options.map((type) => validOfType(type, schema, pool)));
}

function validOfType(type: string, schema: JsonSchema, pool: Pool): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringArbitrary(schema, pool);
    case 'integer':
    case 'number': {
      const min = (schema.minimum as number | undefined) ?? -1_000_000;
      const max = (schema.maximum as number | undefined) ?? 1_000_000;
      return type === 'integer' ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valid((schema.items as JsonSchema | undefined) ?? {}, pool), { maxLength: 3 });
    case 'object':
      return objectArbitrary(schema, pool);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

const OMIT = Symbol('omit');

/** The pool for one property: the values seen under its name when there are any, else all of them. */
function poolFor(pool: Pool, key: string): Pool {
  const named = pool.forKey?.(key) ?? [];
  return named.length > 0 ? { ...pool, all: named } : pool;
}

function objectArbitrary(schema: JsonSchema, pool: Pool): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const keys = Object.keys(properties);
  if (keys.length === 0) {
    const maxKeys = (schema.maxProperties as number | undefined) ?? 5;
    return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys });
  }
  const required = new Set((schema.required as string[] | undefined) ?? []);
  // Optional properties are left out two times in three: each one is another chance to be refused.
  const values = keys.map((key) => {
    const value = valid(properties[key]!, poolFor(pool, key));
    return required.has(key)
      ? value
      : fc.oneof({ arbitrary: fc.constant<unknown>(OMIT), weight: 2 }, { arbitrary: value, weight: 1 });
  });
  return fc
    .tuple(...values)
    .map((drawn) => Object.fromEntries(keys.map((key, i) => [key, drawn[i]]).filter(([, v]) => v !== OMIT)));
}

/** A value of another JSON type than the schema allows (or a nasty value of the same type). */
function wrongValue(schema: JsonSchema): fc.Arbitrary<unknown> {
  const allowed = new Set(types(schema));
  const candidates: fc.Arbitrary<unknown>[] = [];
  if (!allowed.has('string')) candidates.push(fc.string({ maxLength: 20 }));
  if (!allowed.has('integer') && !allowed.has('number')) candidates.push(fc.oneof(fc.integer(), fc.double()));
  if (!allowed.has('boolean')) candidates.push(fc.boolean());
  if (!allowed.has('null')) candidates.push(fc.constant(null));
  if (!allowed.has('object')) candidates.push(fc.dictionary(fc.string({ maxLength: 5 }), fc.integer()));
  if (!allowed.has('array')) candidates.push(fc.array(fc.integer(), { maxLength: 3 }));
  candidates.push(
    fc.constantFrom(...NASTY_STRINGS),
    fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
    // Huge: past every maxLength, some past the 256 KiB body limit.
    fc.constantFrom(2_000, 70_000, 300_000).map((n) => 'x'.repeat(n)),
    fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 0, 1e300, 2 ** 31),
  );
  return fc.oneof(...candidates);
}

/**
 * An object for an object schema (params, querystring, body) with exactly one thing wrong: a property of
 * the wrong type or with a nasty value, a required property missing, an unknown property added, or the
 * whole value not an object at all.
 */
export function invalid(schema: JsonSchema, pool: Pool = EMPTY_POOL): fc.Arbitrary<unknown> {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const keys = Object.keys(properties);
  const required = ((schema.required as string[] | undefined) ?? []).filter((key) => key in properties);
  const base = objectArbitrary(schema, pool);
  const mutations: fc.Arbitrary<unknown>[] = [
    fc
      .tuple(base, fc.string({ minLength: 1, maxLength: 20 }), fc.jsonValue({ maxDepth: 1 }))
      .map(([value, key, extra]) => ({ ...value, [key]: extra })),
    fc.oneof(fc.constant([]), fc.string(), fc.integer(), fc.constant(null)),
  ];
  if (keys.length > 0) {
    mutations.push(
      fc
        .constantFrom(...keys)
        .chain((key) => fc.tuple(base, fc.constant(key), wrongValue(properties[key]!)))
        .map(([value, key, wrong]) => ({ ...value, [key]: wrong })),
    );
  }
  if (required.length > 0) {
    mutations.push(
      fc.tuple(base, fc.constantFrom(...required)).map(([value, key]) => {
        const copy = { ...value };
        delete copy[key];
        return copy;
      }),
    );
  }
  return fc.oneof(...mutations);
}

/** Valid most of the time, invalid otherwise. */
export function anyInput(schema: JsonSchema | undefined, pool: Pool): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined);
  return fc.oneof(
    { arbitrary: valid(schema, pool), weight: 3 },
    { arbitrary: invalid(schema, pool), weight: 2 },
  );
}

/** Every path to a string-typed property of an object schema (nested objects included), for injection. */
export function stringPaths(schema: JsonSchema | undefined, prefix: string[] = []): string[][] {
  if (!schema) return [];
  const out: string[][] = [];
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  for (const [key, property] of Object.entries(properties)) {
    const own = types(property);
    // The empty schema accepts a string too (override fields are checked by the engine, not the schema).
    if (own.includes('string') || own.length === 0 || Array.isArray(property.enum))
      out.push([...prefix, key]);
    if (own.includes('object')) out.push(...stringPaths(property, [...prefix, key]));
  }
  return out;
}
