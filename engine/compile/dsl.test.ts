import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../errors.ts';
import { parseYamlSource } from '../yaml-source.ts';
import { parseDslCheck } from './dsl.ts';

/** Parses a check: block written as YAML lines (the block starts on line 1). */
function parse(...lines: string[]) {
  return parseDslCheck(parseYamlSource('rule.yaml', ['check:', ...lines, ''].join('\n')));
}

describe('DSL parser', () => {
  it('parses when/assert into a tree that keeps every line', () => {
    const { check, problems } = parse(
      '  when:',
      '    attribute: versioning.status',
      '    equals: Enabled',
      '  assert:',
      '    any_of:',
      '      - attribute: encryption.enabled',
      '        equals: true',
      '      - not:',
      '          attribute: public_access_block',
      '          exists: false',
    );
    expect(problems).toEqual([]);
    expect(check).toEqual({
      line: 1,
      when: { kind: 'leaf', line: 3, path: ['versioning', 'status'], operator: 'equals', operand: 'Enabled' },
      assert: {
        kind: 'any_of',
        line: 6,
        items: [
          { kind: 'leaf', line: 7, path: ['encryption', 'enabled'], operator: 'equals', operand: true },
          {
            kind: 'not',
            line: 9,
            items: [
              { kind: 'leaf', line: 10, path: ['public_access_block'], operator: 'exists', operand: false },
            ],
          },
        ],
      },
    });
  });

  it.each([
    [
      'an unknown logical operator',
      ['  assert:', '    one_of:', '      - attribute: a', '        equals: 1'],
      ERROR_CODES.DSL_UNKNOWN_OPERATOR,
      3,
      "check.assert: unknown operator 'one_of'; known operators: all_of, any_of, not, equals, exists",
    ],
    [
      'an unknown comparison, nested',
      [
        '  assert:',
        '    all_of:',
        '      - attribute: a',
        '        equals: 1',
        '      - attribute: b',
        '        greater_than: 2',
      ],
      ERROR_CODES.DSL_UNKNOWN_OPERATOR,
      7,
      "check.assert.all_of[1]: unknown operator 'greater_than' for attribute b; known operators: equals, exists",
    ],
    [
      'two operators on one attribute',
      ['  assert:', '    attribute: a', '    equals: 1', '    exists: true'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert: attribute a needs exactly one operator (equals, exists), found equals, exists',
    ],
    [
      'a leaf operator without attribute',
      ['  assert:', '    equals: 1'],
      ERROR_CODES.DSL_INVALID,
      3,
      "check.assert: unknown operator 'equals' ('equals' needs an 'attribute:' beside it); known operators: all_of, any_of, not, equals, exists",
    ],
    [
      'an empty any_of',
      ['  assert:', '    any_of: []'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert.any_of: expects a non-empty list of expressions',
    ],
    [
      'a malformed attribute path',
      ['  assert:', '    attribute: encryption..enabled', '    equals: true'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.assert.attribute: expected a dotted attribute path like encryption.enabled, got string "encryption..enabled"',
    ],
    [
      'a non-boolean exists',
      ['  assert:', '    attribute: a', '    exists: "yes"'],
      ERROR_CODES.DSL_INVALID,
      4,
      'check.assert.exists: expects true or false, got string "yes"',
    ],
    [
      'a $-reference',
      ['  assert:', '    attribute: a', '    equals: $params.level'],
      ERROR_CODES.DSL_INVALID,
      4,
      "check.assert.equals: values starting with '$' are reserved for references such as $params.<name>",
    ],
    [
      'a list where an expression belongs',
      ['  when:', '    - attribute: a', '      equals: 1', '  assert:', '    attribute: a', '    equals: 1'],
      ERROR_CODES.DSL_INVALID,
      3,
      'check.when: expected an expression (a mapping), got a list',
    ],
  ])('rejects %s with its line', (_what, lines, code, line, message) => {
    expect(parse(...lines)).toEqual({ check: null, problems: [{ code, file: 'rule.yaml', line, message }] });
  });
});
