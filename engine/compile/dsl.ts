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

/** attribute <path> <operator> <operand>: one test on one attribute of the resource. */
export interface LeafExpr {
  kind: 'leaf';
  line: number;
  /** Steps under resource.attributes, e.g. ["encryption", "enabled"]. */
  path: string[];
  operator: LeafOperator;
  operand: JsonValue;
}

/** all_of / any_of over sub-expressions, or not of one. */
export interface LogicExpr {
  kind: 'all_of' | 'any_of' | 'not';
  line: number;
  items: Expr[];
}

export type Expr = LeafExpr | LogicExpr;

/** A parsed `check:` block. */
export interface DslCheck {
  /** Line of the `check:` key. */
  line: number;
  when: Expr | null;
  assert: Expr;
}

/** What a leaf operator accepts as operand; the compiler (dsl-rego.ts) says what it means. */
const LEAF_OPERATORS = {
  /** The attribute equals the operand (any JSON value; compared structurally). */
  equals: (operand: unknown) => (isJsonValue(operand) ? null : 'expects a YAML/JSON value'),
  /** exists: true holds when the attribute is set to a non-null value; exists: false when it is null. */
  exists: (operand: unknown) => (typeof operand === 'boolean' ? null : 'expects true or false'),
} as const satisfies Record<string, (operand: unknown) => string | null>;

export type LeafOperator = keyof typeof LEAF_OPERATORS;

const LOGIC_OPERATORS = ['all_of', 'any_of', 'not'] as const;

function isLeafOperator(key: string): key is LeafOperator {
  return Object.hasOwn(LEAF_OPERATORS, key);
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
export const DSL_OPERATORS: readonly string[] = [...LOGIC_OPERATORS, ...Object.keys(LEAF_OPERATORS)];

const ATTRIBUTE_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

class DslParser {
  readonly problems: SourceProblem[] = [];
  private readonly src: YamlSource;
  constructor(src: YamlSource) {
    this.src = src;
  }

  private problem(code: SourceProblem['code'], line: number, message: string): void {
    this.problems.push({ code, file: this.src.file, line, message });
  }

  /** Parses the expression at `path`; returns null (after recording a problem) when it is malformed. */
  expr(value: unknown, path: JsonPath): Expr | null {
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
    if ('attribute' in value) return this.leaf(value, path, line);
    for (const key of keys) {
      if (!(LOGIC_OPERATORS as readonly string[]).includes(key)) {
        const hint = isLeafOperator(key) ? ` ('${key}' needs an 'attribute:' beside it)` : '';
        this.problem(
          isLeafOperator(key) ? ERROR_CODES.DSL_INVALID : ERROR_CODES.DSL_UNKNOWN_OPERATOR,
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
      const item = this.expr(operand, opPath);
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
    const items = operand.map((item, i) => this.expr(item, [...opPath, i]));
    if (items.some((i) => i === null)) return null;
    return { kind: op, line: keyLineAt(this.src, opPath), items: items as Expr[] };
  }

  private leaf(value: Record<string, unknown>, path: JsonPath, line: number): Expr | null {
    const where = fieldName(path);
    const attribute = value.attribute;
    if (typeof attribute !== 'string' || !ATTRIBUTE_PATH.test(attribute)) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, [...path, 'attribute']),
        `${where}.attribute: expected a dotted attribute path like encryption.enabled, got ${describe(attribute)}`,
      );
      return null;
    }
    const operators = Object.keys(value).filter((k) => k !== 'attribute');
    for (const key of operators) {
      if (!isLeafOperator(key)) {
        this.problem(
          ERROR_CODES.DSL_UNKNOWN_OPERATOR,
          keyLineAt(this.src, [...path, key]),
          `${where}: unknown operator '${key}' for attribute ${attribute}; known operators: ${Object.keys(LEAF_OPERATORS).join(', ')}`,
        );
        return null;
      }
    }
    if (operators.length !== 1) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        line,
        `${where}: attribute ${attribute} needs exactly one operator (${Object.keys(LEAF_OPERATORS).join(', ')}), found ${operators.length ? operators.join(', ') : 'none'}`,
      );
      return null;
    }
    const operator = operators[0] as LeafOperator;
    const operand = value[operator];
    const invalid = LEAF_OPERATORS[operator](operand);
    if (invalid) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, [...path, operator]),
        `${where}.${operator}: ${invalid}, got ${describe(operand)}`,
      );
      return null;
    }
    if (typeof operand === 'string' && operand.startsWith('$')) {
      this.problem(
        ERROR_CODES.DSL_INVALID,
        lineAt(this.src, [...path, operator]),
        `${where}.${operator}: values starting with '$' are reserved for references such as $params.<name>`,
      );
      return null;
    }
    return {
      kind: 'leaf',
      line: keyLineAt(this.src, [...path, 'attribute']),
      path: attribute.split('.'),
      operator,
      operand: operand as JsonValue,
    };
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
  const when = raw.when === undefined ? null : parser.expr(raw.when, ['check', 'when']);
  const assert = parser.expr(raw.assert, ['check', 'assert']);
  if (parser.problems.length > 0 || !assert || (raw.when !== undefined && !when)) {
    return { check: null, problems: parser.problems };
  }
  return { check: { line: keyLineAt(src, ['check']), when, assert }, problems: [] };
}
