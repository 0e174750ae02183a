/**
 * Attribute paths a hand-written policy.rego reads, checked against the schemas of the rule's resource types.
 * Found statically in the AST of `opa parse --format json`: every reference `<var>.attributes.<key>...`
 * (`r.attributes.public_access_block.block_public_acls`), and every literal `"<key>" in object.keys(r.attributes)`.
 * A path built at run time (a key held in a variable, a value passed to a helper) is not followed.
 */
import { ERROR_CODES, type SourceProblem } from '../errors.ts';
import { attributesSchema, elementSchema, resolvePath, type SchemaNode } from './attribute-schema.ts';
import type { SourceFile } from './rule-sources.ts';

/** A term of OPA's JSON AST. */
interface Term {
  type?: string;
  value?: unknown;
  location?: { row?: number };
}

/** One statically known step of a path: a key, or any element of a list. */
type Step = { key: string } | { element: true };

interface AttributeRead {
  line: number;
  steps: Step[];
}

function isTerm(v: unknown): v is Term {
  return typeof v === 'object' && v !== null && 'type' in v;
}

/** `[var r, "attributes", ...]`: the steps after `attributes`, when `terms` is such a reference. */
function attributeSteps(terms: Term[]): Step[] | null {
  const [head, second] = terms;
  if (head?.type !== 'var' || head.value === 'data' || head.value === 'input') return null;
  if (second?.type !== 'string' || second.value !== 'attributes') return null;
  const steps: Step[] = [];
  for (const t of terms.slice(2)) {
    if (t.type === 'string') steps.push({ key: String(t.value) });
    else if (t.type === 'var' || t.type === 'number') steps.push({ element: true });
    else break;
  }
  return steps;
}

function isRef(t: Term | undefined, name: string): boolean {
  const parts = Array.isArray(t?.value) ? (t.value as Term[]) : [];
  return t?.type === 'ref' && parts.map((p) => String(p.value)).join('.') === name;
}

/** `"key" in object.keys(r.attributes)`, i.e. `internal.member_2("key", object.keys(<attributes>))`: the key. */
function keyMembership([op, key, of]: Term[]): Term | null {
  if (!isRef(op, 'internal.member_2') || key?.type !== 'string' || of?.type !== 'call') return null;
  const [fn, target] = Array.isArray(of.value) ? (of.value as Term[]) : [];
  if (!isRef(fn, 'object.keys') || target?.type !== 'ref') return null;
  return attributeSteps(target.value as Term[])?.length === 0 ? key : null;
}

/** Every attribute read in a parsed module, in document order. */
function attributeReads(module: unknown): AttributeRead[] {
  const reads: AttributeRead[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    if (isTerm(node) && node.type === 'ref' && Array.isArray(node.value)) {
      const terms = node.value as Term[];
      const steps = attributeSteps(terms);
      if (steps && steps.length > 0) {
        reads.push({ line: terms[2]?.location?.row ?? node.location?.row ?? 1, steps });
      }
    }
    // A call is a `call` term, or an expression's `terms` when it stands alone in a body.
    const call = isTerm(node) && node.type === 'call' ? node.value : (node as { terms?: unknown }).terms;
    if (Array.isArray(call)) {
      const key = keyMembership(call as Term[]);
      if (key) reads.push({ line: key.location?.row ?? 1, steps: [{ key: String(key.value) }] });
    }
    Object.values(node).forEach(visit);
  };
  visit(module);
  return reads;
}

/** Follows steps in a schema and says why they do not resolve, or null when they do (or cannot be known). */
function follow(schema: SchemaNode, steps: Step[]): string | null {
  let at = schema;
  for (const [i, step] of steps.entries()) {
    if ('element' in step) {
      const element = elementSchema(at);
      if (!element) return null; // an object indexed by a variable: the key is not known statically
      at = element;
      continue;
    }
    const r = resolvePath(at, [step.key], i ? `${pathText(steps.slice(0, i))}.` : '');
    if ('problem' in r) return r.problem.message;
    at = r.node;
  }
  return null;
}

function pathText(steps: Step[]): string {
  return steps
    .map((s) => ('key' in s ? `.${s.key}` : '[_]'))
    .join('')
    .slice(1);
}

/** Problems for attribute reads of `policy` that no resource type of the rule has. */
export function regoAttributeProblems(
  module: unknown,
  policy: SourceFile,
  resourceTypes: readonly string[],
): SourceProblem[] {
  const problems = new Map<string, SourceProblem>();
  for (const read of attributeReads(module)) {
    for (const type of resourceTypes) {
      const schema = attributesSchema(type);
      const why = schema && follow(schema, read.steps);
      if (!why) continue;
      const message = `attribute ${pathText(read.steps)}: ${type} ${why}`;
      problems.set(`${read.line}\0${message}`, {
        code: ERROR_CODES.UNKNOWN_REFERENCE,
        file: policy.file,
        line: read.line,
        message,
      });
    }
  }
  return [...problems.values()];
}
