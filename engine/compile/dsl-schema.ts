/**
 * Checks a parsed DSL check against the schemas of the rule's resource types: every attribute path exists
 * (with a did-you-mean over its siblings), each operator fits the attribute's type (`gt` on a number,
 * `matches` on a string, a quantifier on a list), and literal `equals`/`in` values are of the attribute's type
 * and among its `enum`. Without this a misspelt attribute is simply absent at evaluation, so the rule
 * decides `error` everywhere and only its fixtures tell.
 */
import { ERROR_CODES, type SourceProblem } from '../errors.ts';
import {
  attributesSchema,
  branches,
  declaredTypes,
  didYouMean,
  elementSchema,
  jsonType,
  resolvePath,
  schemaTypes,
  typeText,
  type SchemaNode,
} from './attribute-schema.ts';
import type { DslCheck, Expr, LeafExpr, ValueOperator } from './dsl.ts';

/** Operators that only make sense on some types: operator → the JSON types it can hold for. */
const OPERATOR_TYPES: Partial<Record<ValueOperator, readonly string[]>> = {
  gt: ['number'],
  gte: ['number'],
  lt: ['number'],
  lte: ['number'],
  matches: ['string'],
  starts_with: ['string'],
  age_days: ['string'],
  cidr_contains: ['string'],
  is_public_cidr: ['string'],
  contains: ['array', 'string'],
  length: ['array', 'string', 'object'],
};

/** Why the literal `value` can never be what the attribute at `node` holds, or null when it can. */
function valueProblem(node: SchemaNode, value: unknown): string | null {
  const types = schemaTypes(node);
  const type = jsonType(value);
  if (types === null) return null;
  if (!types.has(type))
    return `${JSON.stringify(value)} is ${typeText([type])}, but the attribute is ${typeText(types)}`;
  // Branches that admit a value of this type; the value must fit the enum of each one that has one.
  const admitting = branches(node).filter((b) =>
    declaredTypes(b).some((t) => (t === 'integer' ? 'number' : t) === type),
  );
  if (admitting.length === 0 || admitting.some((b) => !b.enum)) return null;
  const allowed = admitting.flatMap((b) => b.enum!);
  if (allowed.some((v) => JSON.stringify(v) === JSON.stringify(value))) return null;
  const guess =
    typeof value === 'string'
      ? didYouMean(
          value,
          allowed.filter((v): v is string => typeof v === 'string'),
        )
      : null;
  return `${JSON.stringify(value)} is not one of its values (${allowed.map((v) => JSON.stringify(v)).join(', ')})${guess ? `; did you mean ${guess}?` : ''}`;
}

class Checker {
  readonly problems: SourceProblem[] = [];
  private readonly file: string;
  private readonly type: string;
  constructor(file: string, type: string) {
    this.file = file;
    this.type = type;
  }

  private problem(code: SourceProblem['code'], line: number, message: string): void {
    this.problems.push({ code, file: this.file, line, message });
  }

  /** The schema at `path` under `scope`, or null after reporting why it does not resolve. */
  private resolve(scope: SchemaNode, path: string[], prefix: string, line: number): SchemaNode | null {
    const r = resolvePath(scope, path, prefix);
    if ('node' in r) return r.node;
    const shown = `${prefix}${path.join('.')}` || '.';
    this.problem(
      ERROR_CODES.UNKNOWN_REFERENCE,
      line,
      `attribute ${shown}: ${this.type} ${r.problem.message}`,
    );
    return null;
  }

  expr(e: Expr, scope: SchemaNode, prefix: string): void {
    if (e.kind === 'leaf') return this.leaf(e, scope, prefix);
    if (e.kind === 'quantifier') {
      const node = this.resolve(scope, e.path, prefix, e.line);
      if (!node) return;
      const shown = `${prefix}${e.path.join('.')}` || '.';
      const element = elementSchema(node);
      if (!element) {
        this.problem(
          ERROR_CODES.DSL_INVALID,
          e.line,
          `attribute ${shown}: ${e.quantifier} needs a list, but in ${this.type} it is ${typeText(schemaTypes(node) ?? [])}`,
        );
        return;
      }
      return this.expr(e.item, element, `${shown === '.' ? prefix.replace(/\.$/, '') : shown}[].`);
    }
    for (const item of e.items) this.expr(item, scope, prefix);
  }

  private leaf(e: LeafExpr, scope: SchemaNode, prefix: string): void {
    const node = this.resolve(scope, e.path, prefix, e.line);
    if (!node) return;
    const shown = `${prefix}${e.path.join('.')}`.replace(/\.$/, '') || '.';
    const types = schemaTypes(node);
    const needed = OPERATOR_TYPES[e.operator];
    if (needed && types) {
      const usable = [...types].filter((t) => t !== 'null');
      if (usable.length && !usable.some((t) => needed.includes(t))) {
        this.problem(
          ERROR_CODES.DSL_INVALID,
          e.line,
          `attribute ${shown}: ${e.operator} needs ${typeText(needed)}, but in ${this.type} it is ${typeText(usable)}`,
        );
        return;
      }
    }
    if (e.operand.kind !== 'value') return;
    const values =
      e.operator === 'equals' || e.operator === 'not_equals'
        ? [e.operand.value]
        : e.operator === 'in' || e.operator === 'not_in'
          ? (e.operand.value as unknown[])
          : [];
    for (const value of values) {
      const why = valueProblem(node, value);
      if (why) {
        this.problem(
          ERROR_CODES.DSL_INVALID,
          e.line,
          `attribute ${shown}: ${e.operator} ${why} (${this.type})`,
        );
      }
    }
  }
}

/**
 * Problems of a parsed check against each of `resourceTypes` that has a schema (a type without one is
 * reported elsewhere), each at the line of the attribute it is about.
 */
export function dslSchemaProblems(
  check: DslCheck,
  file: string,
  resourceTypes: readonly string[],
): SourceProblem[] {
  const seen = new Set<string>();
  const problems: SourceProblem[] = [];
  for (const type of resourceTypes) {
    const schema = attributesSchema(type);
    if (!schema) continue;
    const checker = new Checker(file, type);
    if (check.when) checker.expr(check.when, schema, '');
    checker.expr(check.assert, schema, '');
    for (const p of checker.problems) {
      const key = `${p.line}\0${p.message}`;
      if (!seen.has(key)) problems.push(p);
      seen.add(key);
    }
  }
  return problems;
}
