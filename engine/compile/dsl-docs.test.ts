/** Every `check:` example in docs/rules-dsl.md parses and compiles: the documentation cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../yaml-source.ts';
import { parseDslCheck } from './dsl.ts';
import { compileDslToRego } from './dsl-rego.ts';

const doc = readFileSync(new URL('../../docs/rules-dsl.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => m[1]!)
  .filter((y) => y.includes('check:'));

describe('docs/rules-dsl.md examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples.map((e, i) => [i + 1, e] as const))('example %i parses and compiles', (_i, yaml) => {
    const { check, problems } = parseDslCheck(parseYamlSource('rules-dsl.md', yaml));
    expect(problems).toEqual([]);
    const rego = compileDslToRego(check!, {
      id: 'CW-DOC-EX-001',
      version: '1.0.0',
      title: 'example',
      packageName: 'complywise.rules.cw_doc_ex_001',
      source: 'docs/rules-dsl.md',
    });
    expect(rego).toContain('compliant(r) if assert_holds(r.attributes)');
  });
});
