/**
 * Checks for hand-written Rego (policy.rego and *_test.rego in a rule folder): formatted with `opa fmt`,
 * in the rule's package, and defining the contract predicates of docs/rules.md with one argument.
 */
import { ERROR_CODES, type SourceProblem } from '../errors.ts';
import { CONTRACT_PREDICATES } from './generate.ts';
import { parseOpaErrors, runOpa } from './opa.ts';
import type { SourceFile } from './rule-sources.ts';

/** A problem at the first line where the file differs from its `opa fmt` output, or null when formatted. */
export async function formatProblem(opa: string, source: SourceFile): Promise<SourceProblem | null> {
  const r = await runOpa(opa, ['fmt'], { stdin: source.text });
  if (r.code !== 0) return null; // a parse error: opa check reports it with its line
  if (r.stdout === source.text) return null;
  const mine = source.text.split('\n');
  const theirs = r.stdout.split('\n');
  let line = 0;
  while (line < mine.length && mine[line] === theirs[line]) line++;
  return {
    code: ERROR_CODES.REGO_FORMAT,
    file: source.file,
    line: line + 1,
    message: `not formatted as opa fmt formats it (run: opa fmt -w ${source.source})`,
  };
}

interface ParsedModule {
  package?: { path?: { value: unknown }[] };
  rules?: { head?: { name?: string; ref?: { value: unknown }[]; args?: unknown[] } }[];
}

function lineOf(text: string, pattern: RegExp): number {
  const index = text.split('\n').findIndex((l) => pattern.test(l));
  return index === -1 ? 1 : index + 1;
}

/**
 * Parses policy.rego and returns the contract predicates it defines (and the parsed module, with locations),
 * with problems when the package is not `expectedPackage`, `compliant` is missing, or a predicate does not take
 * exactly one argument (the resource).
 */
export async function regoContract(
  opa: string,
  policy: SourceFile,
  expectedPackage: string,
): Promise<{ predicates: Set<string>; problems: SourceProblem[]; module: unknown }> {
  const problems: SourceProblem[] = [];
  const predicates = new Set<string>();
  const r = await runOpa(opa, [
    'parse',
    '--format',
    'json',
    '--json-include',
    'locations,-comments',
    policy.file,
  ]);
  if (r.code !== 0) {
    const errors = parseOpaErrors(r.stdout) ?? parseOpaErrors(r.stderr) ?? [];
    for (const e of errors) {
      problems.push({
        code: ERROR_CODES.REGO_CHECK,
        file: policy.file,
        line: e.location?.row ?? 1,
        message: e.message,
      });
    }
    if (problems.length === 0) {
      problems.push({
        code: ERROR_CODES.REGO_CHECK,
        file: policy.file,
        line: 1,
        message: (r.stderr || r.stdout).trim(),
      });
    }
    return { predicates, problems, module: null };
  }
  const module = JSON.parse(r.stdout) as ParsedModule;
  const pkg = (module.package?.path ?? [])
    .slice(1)
    .map((t) => String(t.value))
    .join('.');
  if (pkg !== expectedPackage) {
    problems.push({
      code: ERROR_CODES.REGO_CONTRACT,
      file: policy.file,
      line: lineOf(policy.text, /^package\s/),
      message: `package must be ${expectedPackage} (the rule id in snake case), found ${pkg || 'none'}`,
    });
  }
  const contract = new Set<string>(CONTRACT_PREDICATES.map(([p]) => p));
  for (const rule of module.rules ?? []) {
    const name = rule.head?.name ?? String(rule.head?.ref?.[0]?.value ?? '');
    if (!contract.has(name)) continue;
    predicates.add(name);
    if ((rule.head?.args ?? []).length !== 1) {
      problems.push({
        code: ERROR_CODES.REGO_CONTRACT,
        file: policy.file,
        line: lineOf(policy.text, new RegExp(`^(default\\s+)?${name}\\b`)),
        message: `${name} must be a function of one argument, the resource: ${name}(r) if { ... }`,
      });
    }
  }
  if (!predicates.has('compliant')) {
    problems.push({
      code: ERROR_CODES.REGO_CONTRACT,
      file: policy.file,
      line: lineOf(policy.text, /^package\s/),
      message: 'the rule must define compliant(r): true when the resource passes (docs/rules.md)',
    });
  }
  return { predicates, problems, module };
}
