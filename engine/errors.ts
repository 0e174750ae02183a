/**
 * Every error the engine raises, with its code defined once here. Problems found in source files (rule YAML,
 * Rego, fixtures, framework YAML) carry file and line so a human can jump straight to them.
 */
import { isAbsolute, relative } from 'node:path';

export const ERROR_CODES = {
  /** The YAML (or JSON) text does not parse. */
  YAML_SYNTAX: 'YAML_SYNTAX',
  /** A document does not match its JSON Schema. */
  SCHEMA_INVALID: 'SCHEMA_INVALID',
  /** Two definitions share an id that must be unique. */
  DUPLICATE_ID: 'DUPLICATE_ID',
  /** An id points at something that does not exist (UCF control, framework, requirement, resource type). */
  UNKNOWN_REFERENCE: 'UNKNOWN_REFERENCE',
  /** Following the parents of a framework group or requirement leads back to itself. */
  PARENT_CYCLE: 'PARENT_CYCLE',
  /** A framework requirement no UCF control maps to and that is not marked out of scope. */
  UNMAPPED_REQUIREMENT: 'UNMAPPED_REQUIREMENT',
  /** A requirement is marked out of scope and mapped at the same time. */
  MAPPING_CONFLICT: 'MAPPING_CONFLICT',
  /** A file given to `frameworks import` is not what it should be (not OSCAL, a CSV without the mapped columns). */
  IMPORT_INVALID: 'IMPORT_INVALID',
  /** A DSL expression uses an operator the compiler does not know. */
  DSL_UNKNOWN_OPERATOR: 'DSL_UNKNOWN_OPERATOR',
  /** A DSL expression is malformed (wrong operand, bad path, empty list...). */
  DSL_INVALID: 'DSL_INVALID',
  /** A rule folder is not laid out as docs/rules.md says (missing check, both check and policy.rego, ...). */
  RULE_LAYOUT: 'RULE_LAYOUT',
  /** A message template uses a placeholder we do not fill. */
  MESSAGE_PLACEHOLDER: 'MESSAGE_PLACEHOLDER',
  /** A rule's parameters block is not a usable JSON Schema or its defaults do not validate. */
  PARAMETERS_INVALID: 'PARAMETERS_INVALID',
  /** A fixture resource is not valid JSON, not a valid resource, or of a type the rule does not evaluate. */
  FIXTURE_INVALID: 'FIXTURE_INVALID',
  /** A hand-written Rego rule breaks the contract in docs/rules.md (package name, predicates). */
  REGO_CONTRACT: 'REGO_CONTRACT',
  /** A hand-written Rego file is not formatted with `opa fmt`. */
  REGO_FORMAT: 'REGO_FORMAT',
  /** `opa check --strict` rejected the Rego. */
  REGO_CHECK: 'REGO_CHECK',
  /** The Rego calls a builtin the WebAssembly target does not provide. */
  REGO_BUILTIN_UNAVAILABLE: 'REGO_BUILTIN_UNAVAILABLE',
  /** A fixture did not get the status its folder promises (`opa test` failed). */
  REGO_TEST_FAILED: 'REGO_TEST_FAILED',
  /** The OPA CLI is missing or failed in a way that is not about our sources. */
  OPA_FAILED: 'OPA_FAILED',
  /** The committed bundle differs from a fresh build. */
  BUNDLE_STALE: 'BUNDLE_STALE',
  /** The bundle directory is missing a file or holds one that does not parse. */
  BUNDLE_INVALID: 'BUNDLE_INVALID',
  /** Tenant parameters do not validate against the rule's parameter schema. */
  PARAMS_INVALID: 'PARAMS_INVALID',
  /** A rule id passed on the command line or to an API does not exist. */
  UNKNOWN_RULE: 'UNKNOWN_RULE',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One problem at one place in one source file. */
export interface SourceProblem {
  code: ErrorCode;
  file: string;
  line: number;
  message: string;
}

/** A path as we show it: relative to the working directory when it lies below it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** Formats a problem as `file:line: message`, the form editors and CI annotate. */
export function formatProblem(p: SourceProblem): string {
  return `${displayPath(p.file)}:${p.line}: ${p.message}`;
}

/** Sorts problems by file then line, so reports are stable. */
export function sortProblems(problems: SourceProblem[]): SourceProblem[] {
  return [...problems].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

/** Thrown when source files (rules, fixtures, frameworks) have problems; the message lists them all. */
export class SourceError extends Error {
  readonly problems: SourceProblem[];
  readonly code: ErrorCode;
  constructor(problems: SourceProblem[]) {
    const sorted = sortProblems(problems);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'SourceError';
    this.problems = sorted;
    this.code = sorted[0]?.code ?? ERROR_CODES.SCHEMA_INVALID;
  }
}

/** Thrown for failures that are not about one place in a source file (bundle, parameters, OPA itself). */
export class EngineError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
    this.details = details;
  }
}

/** Collects problems while a pass goes on, then throws them all at once. */
export class ProblemList {
  readonly items: SourceProblem[] = [];
  add(code: ErrorCode, file: string, line: number, message: string): void {
    this.items.push({ code, file, line, message });
  }
  push(...problems: SourceProblem[]): void {
    this.items.push(...problems);
  }
  get empty(): boolean {
    return this.items.length === 0;
  }
  /** Throws a SourceError when any problem was recorded. */
  throwIfAny(): void {
    if (this.items.length > 0) throw new SourceError(this.items);
  }
}
