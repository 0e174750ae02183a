/**
 * Compiles a parsed DSL check (dsl.ts) to a readable Rego v1 module that follows the rule contract in
 * docs/rules.md: `compliant(r)`, `undecidable(r)` and, with a `when:`, `not_applicable(r)`.
 *
 * Three-valued logic: every expression node N becomes two predicates, N_holds(r) and N_violated(r). When
 * neither is true the node cannot be decided (an attribute it reads is absent). all_of/any_of/not follow
 * Kleene's rules, so an undecidable branch only matters when the decided branches leave the answer open.
 */
import type { DslCheck, Expr, LeafExpr, Operand, QuantifierExpr } from './dsl.ts';

/** What the compiler needs to know about the rule it compiles. */
export interface DslRuleInfo {
  id: string;
  version: string;
  title: string;
  packageName: string;
  /** rule.yaml path relative to the rules root, for the header comment. */
  source: string;
}

/** A Rego term for a JSON value (JSON is valid Rego term syntax). */
export function regoValue(value: unknown): string {
  return JSON.stringify(value);
}

function operandTerm(operand: Operand, ruleId: string): string {
  return operand.kind === 'param'
    ? `data.params[${regoValue(ruleId)}].${operand.name}`
    : regoValue(operand.value);
}

function operandText(operand: Operand): string {
  return operand.kind === 'param' ? `$params.${operand.name}` : regoValue(operand.value);
}

/** A direct reference to the value at `path` under `scope`: `s["encryption"]["enabled"]`. */
function refAt(scope: string, path: readonly string[]): string {
  return `${scope}${path.map((step) => `[${regoValue(step)}]`).join('')}`;
}

/**
 * The Rego term for the value at `path` of the scope `s`, defined only when the attribute could be read. A
 * path of one step is a plain reference; a longer one gets a helper `<node>_value(s)` (emitted into `out`)
 * that also reads a null on the way as null (docs/rules-dsl.md). References are resolved at compile time,
 * where the generic walk of a path (object.get and a marker compared at each read) cost a tenth of the
 * engine's time.
 */
function valueAt(name: string, path: readonly string[], out: string[]): string {
  if (path.length === 0) return 's';
  if (path.length === 1) return refAt('s', path);
  const prefixes = path.slice(1).map((_, i) => `else := null if ${refAt('s', path.slice(0, i + 1))} == null`);
  out.push(
    `# The value at ${path.join('.')}; null when a step on the way is null.\n${name}_value(s) := v if v := ${refAt('s', path)}\n${prefixes.join('\n')}`,
  );
  return `${name}_value(s)`;
}

/** `v := <the value at the path>`: defined only when the attribute could be read. */
function bindValue(value: string): string {
  return `v := ${value}`;
}

function describeLeaf(leaf: LeafExpr | QuantifierExpr): string {
  const attribute = leaf.path.length ? leaf.path.join('.') : '.';
  if (leaf.kind === 'quantifier') return `${attribute} ${leaf.quantifier}`;
  const operand = leaf.comparison
    ? `{${leaf.comparison}: ${operandText(leaf.operand)}}`
    : operandText(leaf.operand);
  return `${attribute} ${leaf.operator} ${operand}`;
}

function rule(head: string, body: string[]): string {
  if (body.length === 1) return `${head} if ${body[0]}`;
  return `${head} if {\n${body.map((b) => `\t${b}`).join('\n')}\n}`;
}

/**
 * The test a value operator makes on a bound value `v`, as one Rego expression that is true when it holds.
 * The violated case is its negation (`not ...`), so a value of the wrong type violates the operator.
 * null for the operators that are not a test on the value (exists, absent).
 */
function valueTest(leaf: LeafExpr, ruleId: string): string {
  const x = operandTerm(leaf.operand, ruleId);
  switch (leaf.operator) {
    case 'equals':
    case 'not_equals':
      return `v == ${x}`;
    case 'in':
    case 'not_in':
      return `lib.in_list(v, ${x})`;
    case 'matches':
      return `lib.matches(v, ${x})`;
    case 'contains':
      return `lib.has(v, ${x})`;
    case 'starts_with':
      return `lib.prefixed(v, ${x})`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return `lib.compare(v, ${regoValue(leaf.operator)}, ${x})`;
    case 'length':
      return `lib.length_is(v, ${regoValue(leaf.comparison)}, ${x})`;
    case 'age_days':
      return `lib.age_is(v, data.scan.unix_seconds, ${regoValue(leaf.comparison)}, ${x})`;
    case 'cidr_contains':
      return `lib.cidr_contains(v, ${x})`;
    case 'is_public_cidr':
      return 'lib.public_cidr(v)';
    case 'exists':
      return 'v != null';
    case 'absent':
      throw new Error('absent is compiled by emitLeaf');
  }
}

/** Operators whose test is the negation of another's, or negated by a false operand. */
function negated(leaf: LeafExpr): boolean {
  if (leaf.operator === 'not_equals' || leaf.operator === 'not_in') return true;
  if (leaf.operator === 'exists' || leaf.operator === 'is_public_cidr')
    return leaf.operand.kind === 'value' && leaf.operand.value === false;
  return false;
}

function emitLeaf(name: string, leaf: LeafExpr, ruleId: string, out: string[]): void {
  const comment = `# rule.yaml line ${leaf.line}: ${describeLeaf(leaf)}`;
  let holds: string[];
  let violated: string[];
  const helpers: string[] = [];
  const value = valueAt(name, leaf.path, helpers);
  if (leaf.operator === 'absent') {
    // Missing or null: the one operator that decides on a missing attribute (optional keys such as tags).
    // Through a predicate of its own: the wasm target got `not <function call> != null` wrong (it was false
    // for an undefined value) where `opa eval` did not.
    if (leaf.path.length > 0) helpers.push(rule(`${name}_set(s)`, [bindValue(value), 'v != null']));
    const set = leaf.path.length === 0 ? 's == null' : `not ${name}_set(s)`;
    const notSet = leaf.path.length === 0 ? 's != null' : `${name}_set(s)`;
    [holds, violated] =
      leaf.operand.kind === 'value' && leaf.operand.value === false ? [[notSet], [set]] : [[set], [notSet]];
  } else {
    const test = valueTest(leaf, ruleId);
    const yes = [bindValue(value), test];
    const no = [bindValue(value), leaf.operator === 'exists' ? 'v == null' : `not ${test}`];
    [holds, violated] = negated(leaf) ? [no, yes] : [yes, no];
  }
  out.push(`${comment}\n${rule(`${name}_holds(s)`, holds)}`);
  out.push(rule(`${name}_violated(s)`, violated));
  out.push(...helpers);
}

/**
 * all / any / none over a list attribute. A null list (not configured) has no elements; a value that is not a
 * list violates the quantifier; an absent one leaves it undecided.
 */
function emitQuantifier(name: string, q: QuantifierExpr, ruleId: string, out: string[]): void {
  const item = `${name}_1`;
  const helpers: string[] = [];
  const value = valueAt(name, q.path, helpers);
  const list = [bindValue(value), 'xs := lib.items(v)'];
  const some = (p: 'holds' | 'violated') => [...list, 'some e in xs', `${item}_${p}(e)`];
  const every = (p: 'holds' | 'violated') => [...list, `every e in xs { ${item}_${p}(e) }`];
  const [holds, violated] =
    q.quantifier === 'any'
      ? [some('holds'), every('violated')]
      : q.quantifier === 'all'
        ? [every('holds'), some('violated')]
        : [every('violated'), some('holds')];
  out.push(`# rule.yaml line ${q.line}: ${describeLeaf(q)}\n${rule(`${name}_holds(s)`, holds)}`);
  out.push(rule(`${name}_violated(s)`, violated));
  out.push(rule(`${name}_violated(s)`, [bindValue(value), 'not lib.is_list(v)']));
  out.push(...helpers);
  emitNode(item, q.item, ruleId, out);
}

/** Emits the holds/violated predicates of one node and, recursively, of its children. */
function emitNode(name: string, expr: Expr, ruleId: string, out: string[]): void {
  if (expr.kind === 'leaf') return emitLeaf(name, expr, ruleId, out);
  if (expr.kind === 'quantifier') return emitQuantifier(name, expr, ruleId, out);
  const holds = `${name}_holds(s)`;
  const violated = `${name}_violated(s)`;
  const children = expr.items.map((_, i) => `${name}_${i + 1}`);
  const comment = `# rule.yaml line ${expr.line}: ${expr.kind}`;
  if (expr.kind === 'not') {
    out.push(`${comment}\n${rule(holds, [`${children[0]}_violated(s)`])}`);
    out.push(rule(violated, [`${children[0]}_holds(s)`]));
  } else {
    const [all, some] = expr.kind === 'all_of' ? ['holds', 'violated'] : ['violated', 'holds'];
    out.push(
      `${comment}\n${rule(
        `${name}_${all}(s)`,
        children.map((c) => `${c}_${all}(s)`),
      )}`,
    );
    for (const c of children) out.push(rule(`${name}_${some}(s)`, [`${c}_${some}(s)`]));
  }
  expr.items.forEach((item, i) => emitNode(children[i] as string, item, ruleId, out));
}

/** The Rego module of a DSL rule, formatted as `opa fmt` would. */
export function compileDslToRego(check: DslCheck, info: DslRuleInfo): string {
  const out: string[] = [];
  out.push(
    [
      `# Generated by \`complywise rules build\` from ${info.source}. Do not edit: change its check: block.`,
      `# ${info.id} ${info.version}: ${info.title.replace(/\s+/g, ' ')}`,
      `package ${info.packageName}`,
    ].join('\n'),
  );
  out.push(
    `# Contract (docs/rules.md): pass when compliant, error when undecidable, else fail.\n${rule('compliant(r)', ['assert_holds(r.attributes)'])}`,
  );
  out.push(rule('undecidable(r)', ['not assert_holds(r.attributes)', 'not assert_violated(r.attributes)']));
  if (check.when) {
    out.push(
      `# Applicability (when:): not_applicable when violated.\n${rule('not_applicable(r)', ['when_violated(r.attributes)'])}`,
    );
    out.push(rule('undecidable(r)', ['not when_holds(r.attributes)', 'not when_violated(r.attributes)']));
    emitNode('when', check.when, info.id, out);
  }
  const chain = [
    ...(check.when
      ? ['"not_applicable" if when_violated(r.attributes)', '"error" if not when_holds(r.attributes)']
      : []),
    '"pass" if assert_holds(r.attributes)',
    '"fail" if assert_violated(r.attributes)',
  ];
  out.push(
    [
      '# The same precedence in one pass, which the decide module calls: each predicate above is evaluated at',
      '# most once per resource (the contract predicates, tried in turn, test `assert` up to three times).',
      `${DSL_STATUS}(r) := ${chain[0]}`,
      ...chain.slice(1).map((c) => `else := ${c}`),
      'else := "error"',
    ].join('\n'),
  );
  emitNode('assert', check.assert, info.id, out);
  // Only rules that call an operator of lib.rego import it (an unused import fails `opa check --strict`).
  if (out.some((part) => /^[^#\n]*\blib\.\w+\(/m.test(part))) out.splice(1, 0, 'import data.complywise.lib');
  return `${out.join('\n\n')}\n`;
}

/**
 * The name of the function a compiled DSL rule defines besides the contract predicates: its status in one
 * pass. The decide module calls it instead of the predicates when the rule defines it.
 */
export const DSL_STATUS = 'status';

/** The predicates a compiled DSL rule defines (the decide module calls only these). */
export function dslPredicates(check: DslCheck): Set<string> {
  const names = new Set(['compliant', 'undecidable', DSL_STATUS]);
  if (check.when) names.add('not_applicable');
  return names;
}
