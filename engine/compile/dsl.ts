/**
 * The rules DSL: the `check:` block of a rule.yaml, parsed into an expression tree that remembers the line
 * of every node. The grammar is in docs/rules-dsl.md; operators live in one table so new ones slot in.
 *
 * Every expression is three-valued: it holds, it is violated, or it cannot be decided because an attribute it
 * reads is absent (the scanner could not read it). See dsl-rego.ts for how that compiles.
 */
import { ERROR_CODES, type SourceProblem } from '../errors.ts';
import { keyLineAt, lineAt, fieldName, type JsonPath, type YamlSource } from '../yaml-source.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A literal from the YAML, or a `$params.<name>` reference to one of the rule's parameters. */
export type Operand = { kind: 'value'; value: JsonValue } | { kind: 'param'; name: string };

/** The comparisons `length:` and `age_days:` take: `{ gte: 1 }`. */
export const COMPARISONS = ['equals', 'gt', 'gte', 'lt', 'lte'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** attribute <path> <operator> <operand>: one test on one attribute of the resource (or list element). */
export interface LeafExpr {
  kind: 'leaf';
  line: number;
  /** Steps under resource.attributes (or under the list element), e.g. ["encryption", "enabled"]; [] is the element itself. */
  path: string[];
  operator: ValueOperator;
  operand: Operand;
  /** For length / age_days: the comparison applied to the measured value. */
  comparison?: Comparison;
}

/** all / any / none: an expression tested on every element of a list attribute. */
export interface QuantifierExpr {
  kind: 'quantifier';
  line: number;
  path: string[];
  quantifier: Quantifier;
  item: Expr;
}

/** all_of / any_of over sub-expressions, or not of one. */
export interface LogicExpr {
  kind: 'all_of' | 'any_of' | 'not';
  line: number;
  items: Expr[];
}

export type Expr = LeafExpr | QuantifierExpr | LogicExpr;

/** A parsed `check:` block. */
export interface DslCheck {
  /** Line of the `check:` key. */
  line: number;
  when: Expr | null;
  assert: Expr;
}

/** The kinds of operand an operator accepts, checked on literals and on the type of a referenced parameter. */
type OperandKind =
  'any' | 'scalar' | 'list' | 'boolean' | 'string' | 'regex' | 'number' | 'cidr' | 'comparison';

/** Value operators: name → the operand it takes. What each means is in dsl-rego.ts and docs/rules-dsl.md. */
const VALUE_OPERATORS = {
  equals: 'any',
  not_equals: 'any',
  in: 'list',
  not_in: 'list',
  exists: 'boolean',
  absent: 'boolean',
  matches: 'regex',
  contains: 'scalar',
  starts_with: 'string',
  gt: 'number',
  gte: 'number',
  lt: 'number',
  lte: 'number',
  length: 'comparison',
  age_days: 'comparison',
  cidr_contains: 'cidr',
  is_public_cidr: 'boolean',
} as const satisfies Record<string, OperandKind>;

export type ValueOperator = keyof typeof VALUE_OPERATORS;

const QUANTIFIERS = ['all', 'any', 'none'] as const;
export type Quantifier = (typeof QUANTIFIERS)[number];

const LOGIC_OPERATORS = ['all_of', 'any_of', 'not'] as const;

/** Operators that take `exists`-style booleans and so cannot reference a parameter. */
const NO_PARAMS: ReadonlySet<string> = new Set(['exists', 'absent', 'is_public_cidr']);

const ATTRIBUTE_OPERATORS: readonly string[] = [...Object.keys(VALUE_OPERATORS), ...QUANTIFIERS];

function isValueOperator(key: string): key is ValueOperator {
  return Object.hasOwn(VALUE_OPERATORS, key);
}

function isQuantifier(key: string): key is Quantifier {
  return (QUANTIFIERS as readonly string[]).includes(key);
}

function isJsonValue(v: unknown): v is JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJsonValue);
  if (typeof v === 'object') return Object.values(v as object).every(isJsonValue);
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The operator names a rule author can use, for error messages and docs. */
export const DSL_OPERATORS: readonly string[] = [...LOGIC_OPERATORS, ...ATTRIBUTE_OPERATORS];

/** A dotted path under attributes, or `.` for the list element itself (inside all/any/none). */
const ATTRIBUTE_PATH = /^(\.|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)$/;
const PARAM_REF = /^\$params\.([A-Za-z_][A-Za-z0-9_]*)$/;
const IPV4_CIDR =
  /^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\/([0-9]|[12][0-9]|3[0-2]))?$/;
const IPV6_CIDR = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*(\/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))?$/;
/** Regex features JavaScript accepts but Go's RE2 (opa eval, opa test) rejects or reads differently. */
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

/** Is this string an IPv4/IPv6 address or CIDR block that net.cidr_contains accepts? */
export function isCidrOrIp(s: string): boolean {
  return IPV4_CIDR.test(s) || IPV6_CIDR.test(s);
}

const KIND_NAMES: Record<OperandKind, string> = {
  any: 'a value',
  scalar: 'a string, number or boolean',
  list: 'a list (type: array)',
  boolean: 'true or false',
  string: 'a string',
  regex: 'a regular expression (type: string)',
  number: 'a number (type: number or integer)',
  cidr: 'an IP address or CIDR block (type: string)',
  comparison: 'a comparison',
};

/** Which operand kinds a parameter's JSON Schema type satisfies. */
function paramKinds(schema: Record<string, unknown> | undefined): Set<OperandKind> {
  const kinds = new Set<OperandKind>(['any']);
  const type = schema?.type;
  if (type === 'string') ['scalar', 'string', 'regex', 'cidr'].forEach((k) => kinds.add(k as OperandKind));
  if (type === 'number' || type === 'integer')
    ['scalar', 'number'].forEach((k) => kinds.add(k as OperandKind));
  if (type === 'boolean') ['scalar', 'boolean'].forEach((k) => kinds.add(k as OperandKind));
  if (type === 'array') kinds.add('list');
  return kinds;
}

/** Why a literal is not a valid operand of `kind`, or null when it is. */
function literalProblem(kind: OperandKind, v: unknown): string | null {
  switch (kind) {
    case 'any':
      return isJsonValue(v) ? null : 'expects a YAML/JSON value';
    case 'scalar':
      return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))
        ? null
        : 'expects a string, number or boolean';
    case 'list':
      return Array.isArray(v) && isJsonValue(v) ? null : 'expects a list of values';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'expects true or false';
    case 'string':
      return typeof v === 'string' ? null : 'expects a string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'expects a number';
    case 'regex': {
      if (typeof v !== 'string') return 'expects a regular expression (a string)';
      if (NOT_RE2.test(v)) return 'uses lookaround or backreferences, which Go/RE2 regular expressions lack';
      try {
        new RegExp(v, 'u');
        return null;
      } catch (e) {
        return `is not a valid regular expression (${(e as Error).message})`;
      }
    }
    case 'cidr':
      return typeof v === 'string' && isCidrOrIp(v)
        ? null
        : 'expects an IP address or CIDR block such as 10.0.0.0/8';
    case 'comparison':
      return null; // parsed separately
  }
}

class DslParser {
  readonly problems: SourceProblem[] = [];
  private readonly src: YamlSource;
  private readonly params: Record<string, Record<string, unknown>>;
  constructor(src: YamlSource) {
    this.src = src;
    const parameters = (src.data as { parameters?: { properties?: Record<string, Record<string, unknown>> } })
      .parameters;
    this.params = parameters?.properties ?? {};
  }

  private problem(code: SourceProblem['code'], line: number, message: string): void {
    this.problems.push({ code, file: this.src.file, line, message });
  }

  /** Parses the expression at `path`; returns null (after recording a problem) when it is malformed. */
  expr(value: unknown, path: JsonPath, inList: boolean): Expr | null {
    const line = lineAt(this.src, path);
    const where = fieldName(path);
    if (!isPlainObject(value)) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        line,
        `${where}: expected an expression (a mapping), got ${describe(value)}`,
      );
      return null;
    }
    const keys = Object.keys(value);
    if ('attribute' in value) return this.attributeExpr(value, path, line, inList);
    for (const key of keys) {
      if (!(LOGIC_OPERATORS as readonly string[]).includes(key)) {
        const known = ATTRIBUTE_OPERATORS.includes(key);
        const hint = known ? ` ('${key}' needs an 'attribute:' beside it)` : '';
        this.problem(
          known ? ERROR_CODES.DSL_INVALID : ERROR_CODES.DSL_UNKNOWN_OPERATOR,
          keyLineAt(this.src, [...path, key]),
          `${where}: unknown operator '${key}'${hint}; known operators: ${DSL_OPERATORS.join(', ')}`,
        );
        return null;
      }
    }
    if (keys.length !== 1) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        line,
        `${where}: one operator per expression, found ${keys.length ? keys.join(', ') : 'none'}; nest them under all_of`,
      );
      return null;
    }
    const op = keys[0] as (typeof LOGIC_OPERATORS)[number];
    const operand = value[op];
    const opPath = [...path, op];
    if (op === 'not') {
      const item = this.expr(operand, opPath, inList);
      return item && { kind: 'not', line: keyLineAt(this.src, opPath), items: [item] };
    }
    if (!Array.isArray(operand) || operand.length === 0) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, opPath),
        `${fieldName(opPath)}: expects a non-empty list of expressions`,
      );
      return null;
    }
    const items = operand.map((item, i) => this.expr(item, [...opPath, i], inList));
    if (items.some((i) => i === null)) return null;
    return { kind: op, line: keyLineAt(this.src, opPath), items: items as Expr[] };
  }

  private attributeExpr(
    value: Record<string, unknown>,
    path: JsonPath,
    line: number,
    inList: boolean,
  ): Expr | null {
    const where = fieldName(path);
    const attribute = value.attribute;
    if (typeof attribute !== 'string' || !ATTRIBUTE_PATH.test(attribute) || (attribute === '.' && !inList)) {
      const hint = attribute === '.' ? " ('.' names the list element, inside all/any/none only)" : '';
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, [...path, 'attribute']),
        `${where}.attribute: expected a dotted attribute path like encryption.enabled, got ${describe(attribute)}${hint}`,
      );
      return null;
    }
    const operators = Object.keys(value).filter((k) => k !== 'attribute');
    for (const key of operators) {
      if (!ATTRIBUTE_OPERATORS.includes(key)) {
        this.problem(
          ERROR_CODES.DSL_UNKNOWN_OPERATOR,
          keyLineAt(this.src, [...path, key]),
          `${where}: unknown operator '${key}' for attribute ${attribute}; known operators: ${ATTRIBUTE_OPERATORS.join(', ')}`,
        );
        return null;
      }
    }
    if (operators.length !== 1) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        line,
        `${where}: attribute ${attribute} needs exactly one operator (${ATTRIBUTE_OPERATORS.join(', ')}), found ${operators.length ? operators.join(', ') : 'none'}`,
      );
      return null;
    }
    const operator = operators[0]!;
    const attrPath = attribute === '.' ? [] : attribute.split('.');
    const attrLine = keyLineAt(this.src, [...path, 'attribute']);
    const opPath = [...path, operator];
    if (isQuantifier(operator)) {
      const item = this.expr(value[operator], opPath, true);
      return item && { kind: 'quantifier', line: attrLine, path: attrPath, quantifier: operator, item };
    }
    if (!isValueOperator(operator)) return null;
    const kind: OperandKind = VALUE_OPERATORS[operator];
    if (kind === 'comparison') {
      const parsed = this.comparison(value[operator], opPath);
      return (
        parsed && {
          kind: 'leaf',
          line: attrLine,
          path: attrPath,
          operator,
          operand: parsed.operand,
          comparison: parsed.comparison,
        }
      );
    }
    const operand = this.operand(value[operator], opPath, kind, !NO_PARAMS.has(operator));
    return operand && { kind: 'leaf', line: attrLine, path: attrPath, operator, operand };
  }

  /** `{ gte: 3 }`: exactly one comparison with a number (or number parameter). */
  private comparison(value: unknown, path: JsonPath): { comparison: Comparison; operand: Operand } | null {
    const keys = isPlainObject(value) ? Object.keys(value) : [];
    const comparison = keys[0] as Comparison | undefined;
    if (keys.length !== 1 || !comparison || !(COMPARISONS as readonly string[]).includes(comparison)) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, path),
        `${fieldName(path)}: expects one comparison (${COMPARISONS.join(', ')}) with a number, e.g. { gte: 1 }, got ${keys.length ? keys.join(', ') : describe(value)}`,
      );
      return null;
    }
    const operand = this.operand(
      (value as Record<string, unknown>)[comparison],
      [...path, comparison],
      'number',
      true,
    );
    return operand && { comparison, operand };
  }

  private operand(value: unknown, path: JsonPath, kind: OperandKind, paramsAllowed: boolean): Operand | null {
    const line = lineAt(this.src, path);
    const where = fieldName(path);
    if (typeof value === 'string' && value.startsWith('$')) {
      const name = PARAM_REF.exec(value)?.[1];
      if (!paramsAllowed || !name) {
        this.problem(
          ERROR_CODES.DSL_INVALID,
          line,
          paramsAllowed
            ? `${where}: values starting with '$' are references, written $params.<name>; got ${JSON.stringify(value)}`
            : `${where}: takes true or false, not a parameter reference`,
        );
        return null;
      }
      const schema = this.params[name];
      if (!schema) {
        const declared = Object.keys(this.params);
        this.problem(
          ERROR_CODES.DSL_INVALID,
          line,
          `${where}: $params.${name} is not declared under parameters.properties${declared.length ? ` (declared: ${declared.join(', ')})` : ''}`,
        );
        return null;
      }
      if (!paramKinds(schema).has(kind)) {
        this.problem(
          ERROR_CODES.DSL_INVALID,
          line,
          `${where}: $params.${name} has type ${JSON.stringify(schema.type ?? 'unspecified')}, but this operand must be ${KIND_NAMES[kind]}`,
        );
        return null;
      }
      return { kind: 'param', name };
    }
    const invalid = literalProblem(kind, value);
    if (invalid) {
      this.problem(ERROR_CODES.DSL_INVALID, line, `${where}: ${invalid}, got ${describe(value)}`);
      return null;
    }
    if (Array.isArray(value) && value.some((v) => typeof v === 'string' && v.startsWith('$'))) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        line,
        `${where}: list items starting with '$' are reserved; reference a whole list parameter as $params.<name>`,
      );
      return null;
    }
    return { kind: 'value', value: value as JsonValue };
  }
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Parses the `check:` block of a rule.yaml (already validated against rule.schema.json, so `check.assert`
 * exists). Returns the tree, or the problems with their lines.
 */
export function parseDslCheck(src: YamlSource): { check: DslCheck | null; problems: SourceProblem[] } {
  const parser = new DslParser(src);
  const raw = (src.data as { check?: Record<string, unknown> }).check;
  if (!raw) return { check: null, problems: [] };
  const when = raw.when === undefined ? null : parser.expr(raw.when, ['check', 'when'], false);
  const assert = parser.expr(raw.assert, ['check', 'assert'], false);
  if (parser.problems.length > 0 || !assert || (raw.when !== undefined && !when)) {
    return { check: null, problems: parser.problems };
  }
  return { check: { line: keyLineAt(src, ['check']), when, assert }, problems: [] };
}
