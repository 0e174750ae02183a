/**
 * SARIF 2.1.0 logs for `complywise rules lint` and `rules test`, so CI systems (GitHub code scanning and
 * others) can annotate the rule files. One run per log; paths are relative to the repository root.
 */
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { RuleTestResult } from '../../engine/compile/build.ts';
import type { SourceProblem } from '../../engine/errors.ts';
import { REPO_ROOT } from '../../engine/paths.ts';

const SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const INFORMATION_URI = 'https://github.com/complywise/complywise/blob/main/docs/rules.md';

/** The version of ComplyWise (package.json), named as the driver's version (SARIF2005 wants one). */
const TOOL_VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: unknown[];
}

function uri(file: string): string {
  const rel = relative(REPO_ROOT, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

function location(file: string, line: number) {
  return {
    physicalLocation: {
      artifactLocation: { uri: uri(file), uriBaseId: 'REPO_ROOT' },
      region: { startLine: Math.max(1, line) },
    },
  };
}

function run(name: string, rules: { id: string; text: string }[], results: unknown[]) {
  return {
    tool: {
      driver: {
        name: `complywise ${name}`,
        version: TOOL_VERSION,
        semanticVersion: TOOL_VERSION,
        informationUri: INFORMATION_URI,
        rules: rules.map((r) => ({ id: r.id, shortDescription: { text: r.text } })),
      },
    },
    originalUriBaseIds: {
      REPO_ROOT: { description: { text: 'The root of the repository holding rules/.' } },
    },
    results,
  };
}

/** Lint problems as SARIF: one result per problem, its rule the error code. */
export function lintSarif(problems: readonly SourceProblem[]): SarifLog {
  const codes = [...new Set(problems.map((p) => p.code))].sort();
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      run(
        'rules lint',
        codes.map((code) => ({ id: code, text: `Rule source problem ${code}` })),
        problems.map((p) => ({
          ruleId: p.code,
          ruleIndex: codes.indexOf(p.code),
          level: 'error',
          message: { text: p.message },
          locations: [location(p.file, p.line)],
        })),
      ),
    ],
  };
}

/** Test results as SARIF: every test a result, `pass` (level none) or `fail` (level error); rules are rule ids. */
export function testSarif(results: readonly RuleTestResult[]): SarifLog {
  const ids = [...new Set(results.map((r) => r.rule_id ?? 'rego-test'))].sort();
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      run(
        'rules test',
        ids.map((id) => ({
          id,
          text: id === 'rego-test' ? 'Hand-written Rego tests' : `Tests of rule ${id}`,
        })),
        results.map((r) => {
          const ruleId = r.rule_id ?? 'rego-test';
          return {
            ruleId,
            ruleIndex: ids.indexOf(ruleId),
            kind: r.passed ? 'pass' : 'fail',
            level: r.passed ? 'none' : 'error',
            message: {
              text: r.passed
                ? `${r.test} passed${r.expected ? ` (${r.expected})` : ''}`
                : (r.message ?? `${r.test} failed`),
            },
            locations: [location(r.file, r.line)],
          };
        }),
      ),
    ],
  };
}
